"""The work behind the `orders` and `hosting` commands, imported only when one of them runs."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, update

from config.settings import Settings
from rules.money import Money
from rules.suffixes import by_suffix
from rules.words import domain_named, domain_words, money_words
from worker.acting import act
from worker.audit import shell_actor
from worker.chores import parse_cost, record_done, retry_action
from worker.commands import order_input
from worker.commands.failures import refuse
from worker.effects.hosting import retire_if_never_started
from worker.first_payment import cancel_waiting, hold_until_paid, paid_first_payment, record_started
from worker.hosting_history import change_plan, end_service
from worker.outbox import effect_key, enqueue, queue_hosting_start
from worker.store.orders import owed_from_row, part_paid_sums
from worker.store.outbox_tables import hosting_services, outbox_orders, registrar_actions
from worker.store.tables import orders, outbox, watermarks

Clock = Callable[[], datetime]
Handler = Callable[[Engine, Settings, argparse.Namespace, Clock], int]


def utc_now() -> datetime:
    return datetime.now(UTC)


def orders_list(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    query = select(orders).order_by(orders.c.updated_at.desc()).limit(args.limit)
    if args.status != "all":
        query = query.where(orders.c.status == args.status)
    as_json = bool(getattr(args, "json", False))
    listed: list[dict[str, Any]] = []
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        paid = part_paid_sums(conn, [o.order_id for o in rows if o.status == "part_paid"])
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
            owed = owed_from_row(o, paid.get(o.order_id))
            listed.append(
                {
                    "order": o.order_id,
                    "invoice": o.invoice_number,
                    "customer": owed.customer,
                    "domain": o.domain,
                    "kind": o.kind,
                    "status": o.status,
                    "amount": {"amount": o.amount_due, "currency": o.currency},
                    "owed": {"amount": str(owed.owed.cents()), "currency": owed.owed.currency},
                    "paid_by": o.paid_by,
                    "effects": [{"kind": e.kind, "status": e.status} for e in effects],
                    "to_do": todo is not None,
                }
            )
            if as_json:
                continue
            parts = [f"{e.kind}={e.status}" for e in effects] + (["to-do: waiting for 'orders done'"] if todo else [])
            still = f" (owes {money_words(owed.owed)})" if o.status == "part_paid" else ""
            print(
                f"{o.order_id}  {o.status:<6} {o.kind:<20} {domain_words(o.domain or '-'):<28} {o.invoice_number:<12} "
                f"{money_words(Money.of(o.amount_due, o.currency))}{still}  {', '.join(parts) or 'no effects'}"
            )
    if as_json:
        print(json.dumps(listed, indent=1, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no {args.status} orders" if args.status != "all" else "no orders")
    return 0


def orders_done(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    cost = None
    if args.cost is not None:
        try:
            cost = parse_cost(args.cost, settings.registrar.price_currency)
        except ValueError as exc:
            return refuse(f"--cost: {exc}")
    acted = act(
        engine,
        lambda conn, now: record_done(
            conn, order_id=args.order, reference=args.ref, now=now, expires=args.expires, cost=cost
        ),
        now=clock(),
        actor=shell_actor(),
        via="cli",
        action="done",
        subject=args.order,
        request={"ref": args.ref, "expires": str(args.expires or ""), "cost": args.cost or ""},
    )
    if not acted.ok:
        return refuse(acted.message, 1)
    print(acted.message)
    return 0


def orders_new(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    # Stored and sent in its IDNA form; shown in its Unicode form.
    name = order_input.domain_to_order(settings, args.domain)
    domain = name.ascii
    if args.email and not args.name:
        return refuse("--email needs --name, for the contact created when Xero has none with that address")
    email = order_input.customer_email(args.email) if args.email else ""
    contact_name = order_input.customer_name(args.name) if args.name else ""
    try:
        price = _order_price(settings, domain, args.years, args.price)
    except ValueError as exc:
        return refuse(str(exc))
    now = clock()
    payload = {
        "domain": domain,
        "years": args.years,
        "amount": str(price),
        "currency": settings.worker.home_currency,
        "contact_id": args.contact or "",
        "contact_email": email,
        "contact_name": contact_name,
        "item_code": next((c for c, k in settings.xero.item_codes.items() if k == "domain_registration"), ""),
    }
    with engine.begin() as conn:
        open_already, earlier = _order_invoices(conn, domain)
        if open_already:
            return refuse(f"{name.shown()} {open_already}; nothing more queued", 1)
        # The domain's next order, never the clock: the same command run twice (or at once) queues one invoice,
        # and a new order after the last one was paid, voided or failed is its own.
        key = effect_key("order_invoice", domain, str(earlier + 1))
        if not enqueue(conn, key=key, kind="order_invoice", payload=payload, now=now):
            return refuse(f"an invoice for {name.shown()} was queued meanwhile ({key}); nothing more queued", 1)
    print(
        f"invoice for {name.shown()}, {args.years} year(s) at {price} {settings.worker.home_currency}, queued; the "
        "next dispatch raises it in Xero, and its payment registers the domain"
    )
    return 0


def _order_invoices(conn: Any, domain: str) -> tuple[str, int]:
    """Whether an order invoice for `domain` is still open, in words ("" when none is): queued, or raised and open
    in Xero (or not read back from Xero since it was raised); and how many were ever queued for it."""
    rows = [
        r
        for r in conn.execute(
            select(
                outbox.c.idempotency_key, outbox.c.status, outbox.c.result, outbox.c.payload, outbox.c.updated_at
            ).where(outbox.c.kind == "order_invoice")
        )
        if (r.payload or {}).get("domain") == domain
    ]
    read_at = conn.execute(select(watermarks.c.updated_at).where(watermarks.c.name == "xero.invoices")).scalar()
    for r in rows:
        if r.status in ("pending", "running"):
            return f"already has an invoice queued ({r.idempotency_key})", len(rows)
        result = (r.result or {}) if r.status == "done" else {}
        if not result.get("invoice_id"):
            continue  # failed: in review, and no invoice was raised
        number = result.get("invoice_number") or result["invoice_id"]
        states = conn.execute(select(orders.c.status).where(orders.c.invoice_id == result["invoice_id"])).scalars()
        states = list(states)
        if any(state in ("open", "part_paid") for state in states):
            return f"already has invoice {number} open in Xero (void it there first to order again)", len(rows)
        if not states and (read_at is None or _utc(read_at) <= _utc(r.updated_at)):
            # Raised, and Xero not read since: it is open until the next sync says otherwise.
            return f"already has invoice {number} raised in Xero; try again after the next sync", len(rows)
    return "", len(rows)


def _utc(stamp: datetime) -> datetime:
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _order_price(settings: Settings, domain: str, years: int, given: str | None) -> Decimal:
    if given is not None:
        return order_input.typed_amount(given, "--price")
    rate = by_suffix(settings.hosting.domain_rates, domain)
    if rate is None:
        tld = domain.rsplit(".", 1)[-1]
        raise ValueError(f"no price for .{tld} domains: give --price, or add it under [hosting] domain_rates")
    return (rate * years).quantize(Decimal("0.01"))


def orders_retry(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    acted = act(
        engine,
        lambda conn, now: retry_action(conn, args.key, now=now),
        now=clock(),
        actor=shell_actor(),
        via="cli",
        action="retry",
        subject=args.key,
    )
    if not acted.ok:
        return refuse(acted.message, 1)
    print(acted.message)
    return 0


def _active_service(conn: Any, domain: str, now: datetime, today: date) -> Any:
    service = conn.execute(
        select(hosting_services).where(
            hosting_services.c.domain == domain.lower(), hosting_services.c.status == "active"
        )
    ).first()
    if service is not None:
        # A service whose start failed for good was never billed: close it rather than block or wait on it.
        reason = retire_if_never_started(conn, service, now, today=today)
        if reason:
            print(
                f"hosting for {domain_named(domain)} never started ({reason[:200]}); it is closed, nothing was billed"
            )
            return None
    return service


def _unknown_plan(settings: Settings, plan: str) -> str:
    return f"unknown plan {plan!r}; configured plans: {', '.join(sorted(settings.hosting.plans)) or 'none'}"


def hosting_start(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    rate = settings.hosting.plans.get(args.plan)
    if rate is None:
        return refuse(_unknown_plan(settings, args.plan))
    now = clock()
    override = bool(getattr(args, "without_first_payment", False))
    today = settings.worker.business_day(now)
    with engine.begin() as conn:
        if _active_service(conn, args.domain, now, today) is not None:
            return refuse(
                f"{domain_named(args.domain)} already has an active hosting service; use 'hosting change' or "
                "'hosting stop'",
                1,
            )
        start = args.start or today
        if not override:
            held = hold_until_paid(
                conn, settings, domain=args.domain, plan=args.plan, contact_id=args.contact, start=start, now=now
            )
            if held is not None:
                if held.already:
                    return refuse(held.message, 1)
                print(held.message)
                return 0
        queue_hosting_start(
            conn,
            domain=args.domain.lower(),
            plan=args.plan,
            contact_id=args.contact,
            rate=rate,
            currency=settings.worker.home_currency,
            start=start,
            source="cli",
            now=now,
        )
        record_started(
            conn,
            domain=args.domain,
            plan=args.plan,
            contact_id=args.contact,
            start=start,
            now=now,
            override=override,
            reason=str(getattr(args, "reason", "") or ""),
            paid_by="" if override else paid_first_payment(conn, args.domain, args.contact) or "",
        )
    unpaid = " without a first payment (recorded)" if override else ""
    print(
        f"hosting for {domain_named(args.domain)} on {args.plan} at {rate} "
        f"{settings.worker.home_currency}/month queued{unpaid}; "
        "the next dispatch creates its repeating invoice"
    )
    return 0


def hosting_change(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    rate = settings.hosting.plans.get(args.plan)
    if rate is None:
        return refuse(_unknown_plan(settings, args.plan))
    now = clock()
    today = settings.worker.business_day(now)
    with engine.begin() as conn:
        service = _active_service(conn, args.domain, now, today)
        if service is None:
            return refuse(f"{domain_named(args.domain)} has no active hosting service; use 'hosting start'", 1)
        revision = service.revision + 1
        conn.execute(
            update(hosting_services)
            .where(hosting_services.c.id == service.id)
            .values(plan=args.plan, rate=str(rate), revision=revision, updated_at=now)
        )
        change_plan(conn, service_id=service.id, plan=args.plan, rate=rate, on=today, now=now)
        enqueue(
            conn,
            key=effect_key("hosting", "change", str(service.id), str(revision)),
            kind="change_hosting",
            payload={"service_id": service.id, "plan": args.plan, "revision": revision},
            now=now,
        )
    print(
        f"{domain_named(args.domain)} moves to {args.plan} at {rate}/month; the next dispatch replaces its "
        "repeating invoice "
        "from the next billing date"
    )
    return 0


def hosting_stop(engine: Engine, settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    now = clock()
    today = settings.worker.business_day(now)
    with engine.begin() as conn:
        service = _active_service(conn, args.domain, now, today)
        if service is None:
            if cancel_waiting(conn, domain=args.domain, now=now):
                print(
                    f"{domain_named(args.domain)} was waiting for its first payment: no longer; void its setup "
                    "invoice in Xero"
                )
                return 0
            return refuse(f"{domain_named(args.domain)} has no active hosting service", 1)
        conn.execute(
            update(hosting_services)
            .where(hosting_services.c.id == service.id)
            .values(status="stopped", stopped_on=today, updated_at=now)
        )
        end_service(conn, service_id=service.id, last_day=today)
        enqueue(
            conn,
            key=effect_key("hosting", "stop", str(service.id)),
            kind="stop_hosting",
            payload={"service_id": service.id},
            now=now,
        )
    print(f"hosting for {domain_named(args.domain)} stopped; the next dispatch ends its repeating invoice")
    return 0
