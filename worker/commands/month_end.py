"""`month-end`: the provider's bill checked against what was done and sold, with the margin; and `month-end import`
for a provider that sends a CSV statement instead of a Xero bill."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from worker.commands.context import CommandContext

DESCRIPTION = """\
Two forms:
  reseller-worker month-end YYYY-MM [--json] [--csv PATH]
      Check every charge of the provider's bill(s) for the month against the registrations, renewals and hosting
      the worker did, name every difference, and show the margin per action, customer, plan and domain ending.
      Before a bill arrives, costs come from the price tables.
  reseller-worker month-end import FILE.csv [--month YYYY-MM]
      Import the provider's CSV statement (columns in the README). Every line that cannot be read is listed with
      its line number and nothing is imported; the same file imported twice changes nothing.
Bills from the provider's Xero contact ([provider] xero_contact) are read by the daemon each day at [provider]
read_bills_at (the sync_provider_bills job), and by every `reseller-worker cycle`."""


def register(sub: argparse._SubParsersAction[Any]) -> None:
    cmd = sub.add_parser(
        "month-end",
        help="check the provider's bill for a month and show the margin; import a CSV statement",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("what", metavar="YYYY-MM|import", help="the month to check, or `import`")
    cmd.add_argument("file", metavar="FILE.csv", nargs="?", default=None, help="import: the provider's statement")
    cmd.add_argument("--json", action="store_true", help="print JSON instead of text")
    cmd.add_argument("--csv", metavar="PATH", default=None, help="also write the margin lines to PATH as CSV")
    cmd.add_argument(
        "--month",
        metavar="YYYY-MM",
        default=None,
        help="import: the month the statement is for (default: the month most of its lines are dated in)",
    )
    cmd.set_defaults(handler=run)


def utc_now() -> datetime:
    return datetime.now(UTC)


def run(ctx: CommandContext) -> int:
    from rules.provider_bill import Month

    args = ctx.args
    if args.what == "import":
        if not args.file:
            print("month-end import needs the statement: reseller-worker month-end import FILE.csv", file=sys.stderr)
            return 2
        if args.json or args.csv:
            print("--json and --csv are for `month-end YYYY-MM`, not for import", file=sys.stderr)
            return 2
        month = None
        if args.month:
            try:
                month = Month.parse(args.month)
            except ValueError as exc:
                print(f"--month: {exc}", file=sys.stderr)
                return 2
        return _import(ctx, Path(args.file), month)
    try:
        month = Month.parse(args.what)
    except ValueError as exc:
        print(f"{exc}; or `month-end import FILE.csv`", file=sys.stderr)
        return 2
    if args.file or args.month:
        print("a FILE and --month belong to `month-end import`", file=sys.stderr)
        return 2
    return _report(ctx, month, as_json=args.json, csv_path=Path(args.csv) if args.csv else None)


def _import(ctx: CommandContext, path: Path, month: Any) -> int:
    from rules.provider_bill import StatementError
    from worker.bills import import_statement

    settings = ctx.settings()
    engine = ctx.engine()
    try:
        done = import_statement(engine, path, currency=settings.registrar.price_currency, now=utc_now(), month=month)
    except StatementError as exc:
        print(f"{path.name}: nothing imported; {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    h = done.header
    if done.outcome == "same":
        print(f"{path.name} was imported before ({h.bill_id}); nothing changed")
        return 0
    print(
        f"{path.name}: {len(done.charges)} charge(s) imported as the provider's bill for {h.month} ({h.bill_id}); "
        f"see `reseller-worker month-end {h.month}`"
    )
    return 0


def _report(ctx: CommandContext, month: Any, *, as_json: bool, csv_path: Path | None) -> int:
    from worker.month_end import month_end
    from worker.month_end_output import render_month_end_csv, render_month_end_json, render_month_end_text

    settings = ctx.settings()
    engine = ctx.engine()
    try:
        with engine.connect() as conn:
            result = month_end(conn, settings, month, now=utc_now())
    finally:
        engine.dispose()
    if csv_path is not None:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        csv_path.write_text(render_month_end_csv(result), encoding="utf-8")
    sys.stdout.write(render_month_end_json(result) if as_json else render_month_end_text(result))
    if csv_path is not None and not as_json:
        print(f"margin lines written to {csv_path}")
    return 0
