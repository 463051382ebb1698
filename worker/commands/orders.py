"""Commands of the orders area: see paid orders and their effects, close a manual registration by hand, and
start, change or stop a hosting service (its repeating Xero invoice follows on the next dispatch)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select, update

from config.settings import Settings
from rules.money import Money
from worker.commands.context import CommandContext
from worker.effects.orders import settle_orders
from worker.effects.registrations import finish_by_hand
from worker.outbox import effect_key, enqueue, queue_hosting_start, requeue
from worker.store.outbox_tables import hosting_services, outbox_orders, registrar_actions
from worker.store.tables import orders, outbox

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands."""
    cmd = sub.add_parser(
        "orders",
        help="paid orders and their effects; close a manual registration",
        description="Paid orders and what the worker did for them.",
    )
    osub = cmd.add_subparsers(dest="orders_command", metavar="ACTION", required=True)
    ls = osub.add_parser(
        "list",
        help="list orders with their effects",
        description="List orders (paid ones by default) with each effect's status: the payment in "
        "Xero, the registration or renewal, history notes, hosting.",
    )
    ls.add_argument(
        "--status",
        default="paid",
        choices=("open", "paid", "done", "closed", "all"),
        help="which orders to show (default: paid, i.e. waiting for effects)",
    )
    ls.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    ls.set_defaults(handler=lambda ctx: _with_db(ctx, orders_list))
    done = osub.add_parser(
        "done",
        help="record a registration or renewal done by hand",
        description="Close the to-do of a manual registration or renewal: records the registrar reference and the "
        "new expiry, queues the History note on the invoice, resolves the to-do, and settles the order.",
    )
    done.add_argument("order", metavar="ORDER", help="the order id, e.g. ORD-1042")
    done.add_argument("--ref", required=True, help="the registrar's order id or reference")
    done.add_argument(
        "--expires",
        type=date.fromisoformat,
        default=None,
        help="new expiry YYYY-MM-DD (default: today, or the old expiry, plus the term)",
    )
    done.add_argument("--cost", default=None, help="what you paid upstream, for the margin line (e.g. 18.50)")
    done.set_defaults(handler=lambda ctx: _with_db(ctx, orders_done))
    retry = osub.add_parser(
        "retry",
        help="retry a failed action after fixing its cause",
        description="Give a failed outbox action (the subject of its failed_action review item, e.g. "
        "register:example.co.nz:ORD-1042) a fresh set of attempts; the next dispatch runs it, checking first.",
    )
    retry.add_argument("key", metavar="KEY", help="the action's key, as shown in the review item")
    retry.set_defaults(handler=lambda ctx: _with_db(ctx, orders_retry))

    host = sub.add_parser(
        "hosting",
        help="start, change or stop a hosting service",
        description="Hosting services are billed by a repeating Xero invoice at your own rate for "
        "the plan ([hosting] plans); the next dispatch creates, updates or ends it.",
    )
    hsub = host.add_subparsers(dest="hosting_command", metavar="ACTION", required=True)
    start = hsub.add_parser(
        "start",
        help="a site went live: start billing its plan",
        description="Start a hosting service and queue its monthly repeating invoice.",
    )
    start.add_argument("--domain", required=True, help="the site's domain")
    start.add_argument("--plan", required=True, help="a plan name from [hosting] plans")
    start.add_argument("--contact", required=True, help="the Xero ContactID to bill")
    start.add_argument("--start", type=date.fromisoformat, default=None, help="first invoice date (default today)")
    start.set_defaults(handler=lambda ctx: _with_db(ctx, hosting_start))
    change = hsub.add_parser(
        "change",
        help="move a site to another plan",
        description="Change the plan of an active hosting service; its repeating invoice is "
        "updated to the new plan's rate.",
    )
    change.add_argument("--domain", required=True, help="the site's domain")
    change.add_argument("--plan", required=True, help="the new plan from [hosting] plans")
    change.set_defaults(handler=lambda ctx: _with_db(ctx, hosting_change))
    stop = hsub.add_parser(
        "stop",
        help="stop billing a site",
        description="Stop an active hosting service; its repeating invoice is ended.",
    )
    stop.add_argument("--domain", required=True, help="the site's domain")
    stop.set_defaults(handler=lambda ctx: _with_db(ctx, hosting_stop))


def _with_db(ctx: CommandContext, command: Callable[[Engine, Settings, argparse.Namespace, Clock], int]) -> int:
    from worker.store.database import make_engine, upgrade

    settings = ctx.settings()
    engine = make_engine(settings.worker.database_url)
    upgrade(engine)
    try:
        return command(engine, settings, ctx.args, _now)
    finally:
        engine.dispose()


def orders_list(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    query = select(orders).order_by(orders.c.updated_at.desc()).limit(args.limit)
    if args.status != "all":
        query = query.where(orders.c.status == args.status)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        for o in rows:
            effects = conn.execute(
                select(outbox.c.kind, outbox.c.status, outbox.c.last_error)
                .join(outbox_orders, outbox_orders.c.idempotency_key == outbox.c.idempotency_key)
                .where(outbox_orders.c.order_id == o.order_id)
                .order_by(outbox.c.id)
            ).all()
            todo = conn.execute(
                select(registrar_actions.c.status).where(
                    registrar_actions.c.order_id == o.order_id, registrar_actions.c.status == "to_do"
                )
            ).first()
            parts = [f"{e.kind}={e.status}" for e in effects] + (["to-do: waiting for `orders done`"] if todo else [])
            print(
                f"{o.order_id}  {o.status:<6} {o.kind:<20} {o.domain or '-':<28} {o.invoice_number:<12} "
                f"{o.amount_due} {o.currency}  {', '.join(parts) or 'no effects'}"
            )
    if not rows:
        print(f"no {args.status} orders" if args.status != "all" else "no orders")
    return 0


def orders_done(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    cost = None
    if args.cost is not None:
        try:
            cost = Money.of(args.cost, settings.registrar.price_currency)
        except ValueError:
            print(f"--cost must be an amount like 18.50, not {args.cost!r}")
            return 2
    now = clock()
    try:
        with engine.begin() as conn:
            domain = finish_by_hand(
                conn, order_id=args.order, reference=args.ref, now=now, expires=args.expires, cost=cost
            )
            settled = settle_orders(conn, now=now, order_ids=[args.order])
    except (LookupError, ValueError) as exc:
        print(str(exc))
        return 1
    state = "done" if settled else "waiting for its other effects (see `orders list`)"
    print(f"{args.order}: {domain} recorded (reference {args.ref}); the order is {state}")
    return 0


def orders_retry(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    with engine.begin() as conn:
        requeued = requeue(conn, args.key, now=clock())
    if not requeued:
        print(f"no failed action with key {args.key!r}")
        return 1
    print(f"{args.key} queued again; the next dispatch runs it")
    return 0


def _active_service(conn: Any, domain: str) -> Any:
    return conn.execute(
        select(hosting_services).where(
            hosting_services.c.domain == domain.lower(), hosting_services.c.status == "active"
        )
    ).first()


def hosting_start(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    rate = settings.hosting.plans.get(args.plan)
    if rate is None:
        print(f"unknown plan {args.plan!r}; configured plans: {', '.join(sorted(settings.hosting.plans)) or 'none'}")
        return 2
    now = clock()
    with engine.begin() as conn:
        if _active_service(conn, args.domain) is not None:
            print(f"{args.domain} already has an active hosting service; use `hosting change` or `hosting stop`")
            return 1
        key = effect_key("hosting", "start", args.domain.lower(), now.strftime("%Y%m%dT%H%M%S%f"))
        queue_hosting_start(
            conn,
            key=key,
            domain=args.domain.lower(),
            plan=args.plan,
            contact_id=args.contact,
            rate=rate,
            currency=settings.worker.home_currency,
            start=args.start or now.date(),
            source="cli",
            now=now,
        )
    print(
        f"hosting for {args.domain} on {args.plan} at {rate} {settings.worker.home_currency}/month queued; "
        "the next dispatch creates its repeating invoice"
    )
    return 0


def hosting_change(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    rate = settings.hosting.plans.get(args.plan)
    if rate is None:
        print(f"unknown plan {args.plan!r}; configured plans: {', '.join(sorted(settings.hosting.plans)) or 'none'}")
        return 2
    now = clock()
    with engine.begin() as conn:
        service = _active_service(conn, args.domain)
        if service is None:
            print(f"{args.domain} has no active hosting service; use `hosting start`")
            return 1
        revision = service.revision + 1
        conn.execute(
            update(hosting_services)
            .where(hosting_services.c.id == service.id)
            .values(plan=args.plan, rate=str(rate), revision=revision, updated_at=now)
        )
        enqueue(
            conn,
            key=effect_key("hosting", "change", str(service.id), str(revision)),
            kind="change_hosting",
            payload={"service_id": service.id, "plan": args.plan},
            now=now,
        )
    print(f"{args.domain} moves to {args.plan} at {rate}/month; the next dispatch updates its repeating invoice")
    return 0


def hosting_stop(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    now = clock()
    with engine.begin() as conn:
        service = _active_service(conn, args.domain)
        if service is None:
            print(f"{args.domain} has no active hosting service")
            return 1
        conn.execute(
            update(hosting_services)
            .where(hosting_services.c.id == service.id)
            .values(status="stopped", stopped_on=now.date(), updated_at=now)
        )
        enqueue(
            conn,
            key=effect_key("hosting", "stop", str(service.id)),
            kind="stop_hosting",
            payload={"service_id": service.id},
            now=now,
        )
    print(f"hosting for {args.domain} stopped; the next dispatch ends its repeating invoice")
    return 0
