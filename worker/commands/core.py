"""Core commands: `db upgrade`, `check`, `cycle` and `demo`."""

from __future__ import annotations

import argparse
from typing import Any

from worker.commands.context import CommandContext


def register(sub: argparse._SubParsersAction[Any]) -> None:
    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = db_sub.add_parser(
        "upgrade",
        help="apply database migrations",
        description="Create the database on a new path, or apply every pending migration to an existing one (the "
        "worker also migrates at start). A database this data directory used before that is now gone, empty or "
        "damaged is refused: restore it from a backup.",
    )
    up.add_argument(
        "--new",
        action="store_true",
        help="start over with an empty database where the old one is gone or empty (0 bytes); never overwrites data",
    )
    up.set_defaults(handler=db_upgrade)

    check = sub.add_parser(
        "check",
        help="check configuration and connectivity of every configured part",
        description="Load the configuration, then try each configured part (database, Xero, inbox, registrar, "
        "SMTP) and print one PASS or FAIL line each. Exits non-zero when anything fails.",
    )
    check.set_defaults(handler=check_parts)

    cycle = sub.add_parser(
        "cycle",
        help="run every job once, now",
        description="Run every job once in order (sync Xero, read the inbox, match receipts, dispatch the outbox, "
        "raise renewals) and exit.",
    )
    cycle.set_defaults(handler=run_cycle)

    demo = sub.add_parser(
        "demo",
        help="run one full cycle on demo data with no credentials and print the report",
        description="Start a loopback Xero sandbox holding a demo organisation (customers, open invoices for "
        "registrations, renewals and hosting, payments, bank lines), put sample card-payment notices (one forged) "
        "in a Maildir, run one full cycle with the manual registrar, then print the exceptions report and the "
        "path of its HTML. Uses its own directory (default var/demo), wiped at each run, where it leaves its "
        "settings (worker.toml, for RW_CONFIG) and its log (demo.log). With --serve the sandbox stays up until "
        "Ctrl-C, so every command can be tried against it.",
    )
    demo.add_argument("--dir", default="var/demo", help="working directory for the demo (default: var/demo)")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="afterwards keep the Xero sandbox up (until Ctrl-C) and print the commands to carry on with it",
    )
    demo.set_defaults(handler=run_demo)


def db_upgrade(ctx: CommandContext) -> int:
    from worker.store.database import current_revision
    from worker.store.opening import open_database, place_of

    settings = ctx.settings()
    engine = open_database(settings.worker.database_url, settings.worker.data_dir, create=True, new=ctx.args.new)
    print(f"database {place_of(settings.worker.database_url).shown} at revision {current_revision(engine)}")
    return 0


def check_parts(ctx: CommandContext) -> int:
    from worker.checks import run_checks

    results = run_checks(ctx.settings())
    for result in results:
        print(result.line())
    return 0 if all(r.ok for r in results) else 1


def run_cycle(ctx: CommandContext) -> int:
    from worker.cycle import run_cycle as cycle

    summaries = cycle(ctx.app())
    return 0 if all(s is not None for s in summaries.values()) else 1


def run_demo(ctx: CommandContext) -> int:
    import sys
    from pathlib import Path

    from worker.demo.run import run_demo as demo

    return demo(sys.stdout, Path(ctx.args.dir).resolve(), serve=ctx.args.serve)
