"""Commands of the daemon area: `run`, `health`, `status`, `report` and `review ...` (registered by `worker.cli`)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
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
        description="List open review items with the commands that resolve each one.",
    )
    listing.set_defaults(handler=review_list)

    approve = actions.add_parser(
        "approve",
        help="apply a receipt to orders",
        description="Approve review item ID: its receipt pays exactly the given orders (default: its only "
        "candidate). Writes the decision, marks the orders paid and queues the payment in Xero and the domain "
        "registration or renewal through the outbox, in one transaction.",
    )
    approve.add_argument("id", type=record_id, metavar="ID", help="review item number (see: review list)")
    approve.add_argument("--orders", metavar="ORD-1,ORD-2", help="comma-separated order ids this receipt pays")
    approve.add_argument(
        "--link-payer",
        action="store_true",
        help="also remember the payer's name and e-mail as this customer for future matching",
    )
    approve.set_defaults(handler=review_approve)

    for name, verb, text in (
        ("ignore", "ignored", "not a customer payment (or nothing to do): close it, and decide its receipt ignore"),
        ("reject", "rejected", "not genuine (a forged or fraudulent notice): close it, and decide its receipt reject"),
        ("done", "done", "handled by hand (a failed action): close it; a registrar to-do is closed by `orders done`"),
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

    from worker.app import build_app, utc_now
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
    try:
        quota = build_app(settings, migrate=False).accounting.quota()
        print(
            f"xero quota: minute {_or_unknown(quota.minute_remaining)}, day {_or_unknown(quota.day_remaining)}"
            + (f", parked until {quota.parked_until:%Y-%m-%d %H:%M %Z}" if quota.parked_until else "")
        )
    except Exception as exc:  # status must show whatever it can
        print(f"xero quota: unknown ({type(exc).__name__}: {exc})")
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


def _or_unknown(value: int | None) -> str:
    return "unknown" if value is None else str(value)


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
    from worker.app import utc_now
    from worker.report.gather import gather_decisions, gather_failed, gather_rejected
    from worker.review import open_items

    with ctx.engine().connect() as conn:
        items = open_items(conn)
        commands: dict[int, tuple[str, ...]] = {d.review_id: d.commands for d in gather_decisions(conn)}
        commands.update({r.review_id: r.commands for r in gather_rejected(conn, utc_now())})
        failed = {f.key: f.commands for f in gather_failed(conn)}
    if not items:
        print("No open review items.")
        return 0
    for item in items:
        print(f"#{item.id}  {item.kind}  {' '.join(item.subject.split())}")
        print(f"    reason:    {' '.join(item.reason.split())}")
        if item.candidates:
            print(f"    orders:    {', '.join(item.candidates)}")
        if item.suggested_action:
            print(f"    suggested: {' '.join(item.suggested_action.split())}")
        for command in commands.get(item.id) or failed.get(item.subject) or ():
            print(f"    $ {command}")
    return 0


def _resolve(ctx: CommandContext, action: Any) -> int:
    from worker.app import utc_now

    with ctx.engine().begin() as conn:
        outcome = action(conn, utc_now())
    print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


def review_approve(ctx: CommandContext) -> int:
    from worker.review import approve

    orders = [o.strip() for o in (ctx.args.orders or "").split(",") if o.strip()] or None
    return _resolve(
        ctx, lambda conn, now: approve(conn, ctx.args.id, order_ids=orders, now=now, link_payer=ctx.args.link_payer)
    )


def review_dismiss(ctx: CommandContext) -> int:
    from worker.review import dismiss

    return _resolve(
        ctx, lambda conn, now: dismiss(conn, ctx.args.id, status=ctx.args.resolution, now=now, note=ctx.args.note)
    )


def review_link(ctx: CommandContext) -> int:
    from worker.commands.order_input import invoiced_contact
    from worker.review import link

    # A link to a contact the worker has no invoice of could never match anything; say so now.
    with ctx.engine().connect() as conn:
        contact = invoiced_contact(conn, ctx.args.contact)
    return _resolve(ctx, lambda conn, now: link(conn, ctx.args.id, contact_id=contact, now=now))
