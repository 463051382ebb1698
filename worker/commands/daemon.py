"""Commands of the daemon area: `run`, `health`, `status`, `report` and `review ...` (registered by `worker.cli`)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from worker.commands.arguments import record_id
from worker.commands.context import CommandContext

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from config.settings import Settings
    from worker.app import App
    from worker.health import Health


def register(sub: argparse._SubParsersAction[Any]) -> None:
    run = sub.add_parser(
        "run",
        help="run the daemon until stopped",
        description="Run every job on its schedule until SIGTERM or SIGINT (the job in progress finishes first). "
        "Only one daemon runs per database: a second one names the holder and exits with status 3; a daemon "
        "that loses its lock (a dropped PostgreSQL session) stops with status 4 so the service manager restarts it.",
    )
    run.set_defaults(handler=run_daemon)

    health = sub.add_parser(
        "health",
        help="exit non-zero when the daemon is down or a job is late",
        description="Check that a daemon holds this database's lock and that every job succeeded recently "
        "enough (its interval x [report] late_factor, plus the misfire grace). For Docker's HEALTHCHECK and "
        "monitoring: exit 0 healthy, 1 unhealthy.",
    )
    health.set_defaults(handler=check_health)

    status = sub.add_parser(
        "status",
        help="show each job, the Xero quota, the inbox watermark and the outbox backlog",
        description="Show the daemon, each job's last success and error, the Xero call quota left, the "
        "watermarks (inbox position, sync points) and the outbox backlog.",
    )
    status.set_defaults(handler=show_status)

    report = sub.add_parser(
        "report",
        help="print the morning report and write its HTML file",
        description="Print the morning exceptions report as text and write it as a standalone HTML file "
        "(default under DATA_DIR/reports/; the path is printed last).",
    )
    report.add_argument("--html", metavar="PATH", type=Path, help="write the HTML here instead")
    report.add_argument(
        "--send", action="store_true", help="also e-mail it now (this moves the 'since the last report' mark)"
    )
    report.set_defaults(handler=print_report)

    review = sub.add_parser(
        "review",
        help="list and resolve review items",
        description="List the items waiting for a person and resolve them. An approval goes through the same "
        "outbox as an automatic decision.",
    )
    actions = review.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="list open review items",
        description="List open review items with the commands that resolve each one. Candidate orders are "
        "worked out again from the orders as they are now: only orders still owing are offered.",
    )
    listing.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array (id, kind, amount, currency, payer, received, source, reason, candidates, commands)",
    )
    listing.set_defaults(handler=review_list)

    approve = actions.add_parser(
        "approve",
        help="apply a receipt to orders",
        description="Approve review item ID: its receipt pays the given orders (default: its only candidate). "
        "First prints exactly what will be recorded and done; then, in one transaction, writes the decision, "
        "marks the orders paid and queues the Xero payments and the registrations, renewals or hosting through "
        "the outbox. By default the receipt must settle the orders exactly, in their currency; anything else is "
        "refused (exit 1) with the difference and the options, and nothing is recorded.",
    )
    approve.add_argument("id", type=record_id, metavar="ID", help="review item number (see: review list)")
    approve.add_argument("--orders", metavar="ORD-1,ORD-2", help="comma-separated order ids this receipt pays")
    approve.add_argument(
        "--part",
        action="store_true",
        help="the receipt is short: record it as a part payment; each order's registration, renewal or hosting "
        "waits until it is paid in full (a later payment, matched or approved, completes it)",
    )
    approve.add_argument(
        "--home-amount",
        metavar="AMOUNT",
        help="for a receipt in another currency: what arrived in the home currency; the payment is recorded in "
        "the invoice's currency for this amount (the implied rate is shown)",
    )
    approve.add_argument(
        "--overpaid",
        action="store_true",
        help="the receipt is more than owed: apply what is owed and keep the rest as a credit (a review item) to "
        "refund or apply to another order",
    )
    approve.add_argument("--dry-run", action="store_true", help="print what would be recorded and done, and stop there")
    approve.add_argument(
        "--link-payer",
        action="store_true",
        help="also remember the payer's name and e-mail as this customer for future matching",
    )
    approve.set_defaults(handler=review_approve)

    for name, verb, text in (
        ("ignore", "ignored", "not a customer payment (or nothing to do): close it, and decide its receipt ignore"),
        ("reject", "rejected", "not genuine (a forged or fraudulent notice): close it, and decide its receipt reject"),
        (
            "done",
            "done",
            "handled by hand (a failed action, a credit refunded): close it; a registrar to-do is closed by "
            "'orders done'",
        ),
    ):
        parser = actions.add_parser(name, help=text.split(":")[0], description=f"Review item ID is {text}.")
        parser.add_argument("id", type=record_id, metavar="ID", help="review item number (see: review list)")
        parser.add_argument("--note", default="", help="what you did or why (kept with the item)")
        parser.set_defaults(handler=review_dismiss, resolution=verb)

    link = actions.add_parser(
        "link",
        help="remember this item's payer as a customer",
        description="Link the payer name and e-mail of review item ID's receipt to a Xero contact, so matching "
        "recognises them next time (the reason then says so). The item stays open.",
    )
    link.add_argument("id", type=record_id, metavar="ID", help="review item number (see: review list)")
    link.add_argument(
        "--contact",
        required=True,
        metavar="CONTACT_ID",
        help="the Xero ContactID of the customer: one whose invoices the worker has read",
    )
    link.set_defaults(handler=review_link)


# ---- daemon ----------------------------------------------------------------------------------------------------


def run_daemon(ctx: CommandContext) -> int:
    from worker.daemon_jobs import daemon_jobs
    from worker.scheduler import run_exclusive

    settings = ctx.settings()
    stop_web: list[Callable[[], None]] = []

    def make_app() -> App:
        # Built once the daemon holds its lock: a second `run` neither migrates nor takes the page's port.
        app = ctx.app()
        if settings.web.enabled:
            from worker.web.serving import start_in_background

            stop_web.append(start_in_background(settings, app.engine, app.clock))
        return app

    try:
        # Checked before the lock is taken: a missing or damaged database stops the daemon with one line.
        return run_exclusive(settings, ctx.engine(migrate=False), make_app, daemon_jobs())
    finally:
        for stop in stop_web:
            stop()


def _health(settings: Settings, engine: Engine) -> Health:
    from worker.app import utc_now
    from worker.daemon_jobs import daemon_jobs
    from worker.health import Health, read_job_states
    from worker.single_instance import current_holder
    from worker.timetable import plan_jobs

    holder = current_holder(engine, settings.worker.data_dir)
    schedule = settings.report.schedule
    with engine.connect() as conn:
        states = read_job_states(
            conn,
            plan_jobs(settings, daemon_jobs()),
            now=utc_now(),
            daemon_since=holder.since if holder else None,
            late_factor=schedule.late_factor,
            grace=timedelta(seconds=schedule.misfire_grace_seconds),
        )
    return Health(daemon=holder, jobs=tuple(states))


def check_health(ctx: CommandContext) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from worker.app import utc_now
    from worker.store.opening import DatabaseUnusable, database_problem, place_of

    settings = ctx.settings()
    try:
        health = _health(settings, ctx.engine(migrate=False))
    except DatabaseUnusable as exc:  # an unusable database is itself the answer: unhealthy
        print(f"UNHEALTHY  database: {exc}")
        return 1
    except SQLAlchemyError as exc:
        print(f"UNHEALTHY  database: {database_problem(exc, place_of(settings.worker.database_url).shown)}")
        return 1
    for line in health.lines(utc_now()):
        print(line)
    signin = _mailbox_sign_in(settings)  # payments go unread until a person signs in again: unhealthy
    if signin:
        print(f"SIGN-IN  {signin}")
    healthy = health.ok and not signin
    print("HEALTHY" if healthy else "UNHEALTHY")
    return 0 if healthy else 1


def _mailbox_sign_in(settings: Settings) -> str:
    """The payments mailbox's own sign-in, when it needs a person (read from the token file, no network)."""
    from integrations.mailsignin.providers import sign_in_problem
    from worker.app import utc_now

    return sign_in_problem(settings.inbox, settings.worker.data_dir, utc_now())


def show_status(ctx: CommandContext) -> int:
    from sqlalchemy import func, inspect, select

    from worker.app import utc_now
    from worker.daemon_jobs import daemon_jobs
    from worker.store.tables import outbox, watermarks
    from worker.timetable import missing_jobs

    settings = ctx.settings()
    engine = ctx.engine(migrate=False)
    health = _health(settings, engine)
    print(f"database {engine.dialect.name}; time zone {settings.worker.timezone}")
    for line in health.lines(utc_now()):
        print(line)
    signin = _mailbox_sign_in(settings)
    if signin:
        print(f"SIGN-IN  {signin}")
    missing = missing_jobs(daemon_jobs())
    if missing:
        print(f"not provided yet: {', '.join(missing)}")
    print(xero_quota_line(health, utc_now()))
    with engine.connect() as conn:
        marks = list(conn.execute(select(watermarks).order_by(watermarks.c.name)))
        if not marks:
            print("watermarks: none yet")
        for mark in marks:
            print(f"watermark {mark.name}: {mark.value}")
        if inspect(conn).has_table("inbox_state"):
            from sqlalchemy import MetaData, Table

            state = Table("inbox_state", MetaData(), autoload_with=conn)
            for row in conn.execute(select(state)):
                print("inbox: " + ", ".join(f"{k}={v}" for k, v in row._mapping.items()))
        counts: dict[str, int] = {
            str(status): int(n)
            for status, n in conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
        }
        oldest = conn.execute(
            select(func.min(outbox.c.created_at)).where(outbox.c.status.in_(("pending", "running")))
        ).scalar()
    backlog = counts.get("pending", 0) + counts.get("running", 0)
    print(
        f"outbox: {backlog} waiting (pending {counts.get('pending', 0)}, running {counts.get('running', 0)}), "
        f"failed {counts.get('failed', 0)}, done {counts.get('done', 0)}"
        + (f"; oldest waiting since {oldest}" if oldest else "")
    )
    return 0


def _or_unknown(value: object) -> str:
    return "unknown" if value is None else str(value)


def xero_quota_line(health: Health, now: datetime) -> str:
    """The quota as Xero last stated it to the sync (kept with its run): a new process has made no call itself."""
    sync = next((job for job in health.jobs if job.name == "sync_xero"), None)
    seen = sync.last_summary if sync is not None else {}
    if sync is None or not any(k in seen for k in ("day_remaining", "minute_remaining")):
        return "xero quota: not known yet (no sync has been answered by Xero)"
    when = max((t for t in (sync.last_success_at, sync.last_failure_at) if t is not None), default=None)
    parked = f", parked until {seen['parked_until']}" if seen.get("parked_until") else ""
    from worker.health import ago

    return (
        f"xero quota: minute {_or_unknown(seen.get('minute_remaining'))}, day {_or_unknown(seen.get('day_remaining'))}"
        f"{parked} (as of the last sync, {ago(now, when)})"
    )


# ---- report ----------------------------------------------------------------------------------------------------


def print_report(ctx: CommandContext) -> int:
    from worker.app import utc_now
    from worker.report.sending import build_report, default_html_path, send, write_html
    from worker.report.text import render_text
    from worker.wiring import build_mailer

    settings = ctx.settings()
    engine = ctx.engine()
    report = build_report(settings, engine, utc_now())
    print(render_text(report), end="")
    path = write_html(report, ctx.args.html or default_html_path(settings, report))
    if ctx.args.send:
        if not send(build_mailer(settings), settings, engine, report):
            print("not sent: no SMTP server or no recipients configured ([report] smtp_host, to)", file=sys.stderr)
            print(f"HTML report: {path}")
            return 1
        print(f"sent to {', '.join(settings.report.to)}")
    print(f"HTML report: {path}")
    return 0


# ---- review ----------------------------------------------------------------------------------------------------


def review_list(ctx: CommandContext) -> int:
    import json

    from rules.reasons import reason_words
    from rules.words import money_words
    from worker.review_list import entry_json, gone_words, review_entries

    settings = ctx.settings()
    with ctx.engine().connect() as conn:
        entries = review_entries(conn, settings)
    if ctx.args.json:
        print(json.dumps([entry_json(e) for e in entries], indent=1, ensure_ascii=False))
        return 0
    if not entries:
        print("No open review items.")
        return 0
    for e in entries:
        print(f"#{e.id}  {e.kind}  {' '.join(e.subject.split())}")
        print(f"    reason:    {reason_words(' '.join(e.reason.split()))}")
        for order in e.candidates:
            print(f"    order:     {order.named}, {order.status.replace('_', ' ')}, owes {money_words(order.owed)}")
        for order in e.gone:
            print(f"    was:       {order.named}: {gone_words(order)} since, not offered")
        if e.suggested_action:
            print(f"    suggested: {reason_words(' '.join(e.suggested_action.split()))}")
        for command in e.commands:
            print(f"    $ {command}")
    return 0


def _act(ctx: CommandContext, action: str, run: Any, *, review_id: int, request: dict[str, Any]) -> Any:
    """Run a person's decision the way the review page does: in one transaction, with its audit entry."""
    from worker.acting import act
    from worker.app import utc_now
    from worker.audit import shell_actor

    return act(
        ctx.engine(),
        run,
        now=utc_now(),
        actor=shell_actor(),
        via="cli",
        action=action,
        review_id=review_id,
        request=request,
    )


def _resolve(ctx: CommandContext, action: str, run: Any, request: dict[str, Any] | None = None) -> int:
    acted = _act(ctx, action, run, review_id=ctx.args.id, request=request or {})
    print(acted.message, file=sys.stdout if acted.ok else sys.stderr)
    return 0 if acted.ok else 1


def review_approve(ctx: CommandContext) -> int:
    from rules.settlement import Terms
    from worker.acting import rehearse
    from worker.app import utc_now
    from worker.approval import ApprovalRequest, approve, order_ids, parse_home_amount, plan_approval, refusal_text
    from worker.invocation import cli_prefix

    settings = ctx.settings()
    try:
        home_amount = parse_home_amount(ctx.args.home_amount)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    request = ApprovalRequest(
        review_id=ctx.args.id,
        orders=order_ids(ctx.args.orders),
        terms=Terms(part=ctx.args.part, overpaid=ctx.args.overpaid, home_amount=home_amount),
        link_payer=ctx.args.link_payer,
    )

    def run(conn: Any, now: Any) -> Any:
        return approve(conn, request, settings=settings, now=now)

    if ctx.args.dry_run:
        acted = rehearse(ctx.engine(), run, now=utc_now())
    else:
        asked = {
            "orders": ",".join(request.orders),
            "part": request.terms.part,
            "overpaid": request.terms.overpaid,
            "home_amount": str(home_amount) if home_amount is not None else "",
            "link_payer": request.link_payer,
        }
        acted = _act(ctx, "approve", run, review_id=request.review_id, request=asked)
    if not acted.ok:
        with ctx.engine().connect() as conn:
            plan = plan_approval(conn, request, settings=settings)
        text = refusal_text(plan, cli_prefix(settings)) if not plan.ok else f"Refused: {acted.message}."
        print(text, file=sys.stderr)
        return 1
    if ctx.args.dry_run:
        # The rehearsal said what approving does; nothing of it was kept.
        print("\n".join(acted.message.splitlines()[1:]))
        print("Nothing recorded (--dry-run).")
    else:
        print(acted.message)
    return 0


def review_dismiss(ctx: CommandContext) -> int:
    from worker.review import dismiss

    args = ctx.args
    return _resolve(
        ctx,
        {"ignored": "ignore", "rejected": "reject"}.get(args.resolution, args.resolution),
        lambda conn, now: dismiss(conn, args.id, status=args.resolution, now=now, note=args.note),
        {"note": args.note},
    )


def review_link(ctx: CommandContext) -> int:
    from worker.commands.order_input import invoiced_contact
    from worker.review import link

    # A link to a contact the worker has no invoice of could never match anything; say so now.
    with ctx.engine().connect() as conn:
        contact = invoiced_contact(conn, ctx.args.contact)
    return _resolve(
        ctx, "link", lambda conn, now: link(conn, ctx.args.id, contact_id=contact, now=now), {"contact": contact}
    )
