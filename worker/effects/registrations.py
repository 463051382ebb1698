"""Registering and renewing domains, exactly once.

Before spending: the order is not done, the domain is still available (registration) or ours with the expected
expiry (renewal), and the upstream price is known. An intent row is committed before the registrar call, so after
a crash or a lost reply the next attempt reconciles (asks the registrar) instead of buying again. With the manual
registrar the handler records a to-do and the order waits for `reseller-worker orders done`.

Nothing counts as done until the registrar's own record shows it (the order Active, a renewal's expiry moved by the
years paid). An order the registrar accepted but has not finished (queued for funds, InActive at the registry) is
`awaiting`: the row keeps checking and never asks again, and is reported when it waits too long.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from integrations.ports import DomainDetails, OutgoingMail, RegistrarResult
from integrations.registrar.manual import MANUAL_STATUS
from integrations.registrar.terms import add_years
from rules.money import Money
from rules.words import domain_named, domain_words
from worker.domains import domain_row, hold_domain
from worker.effects import Checkpoint, Done, Failed, Outcome, Waiting
from worker.outbox import effect_key, enqueue
from worker.store.outbox_tables import outbox_orders, registrar_actions
from worker.store.review_items import raise_review_item
from worker.store.tables import orders, outbox, review_items

if TYPE_CHECKING:
    from worker.app import App
    from worker.outbox import OutboxRow

log = structlog.get_logger(__name__)

CHECK_AGAIN = timedelta(minutes=30)  # how often an order the registrar has not finished is looked at again
REPORT_AFTER = timedelta(hours=4)  # an unfinished order older than this is reported (it stays pending)
PENDING_KIND = "registrar_pending"


def register_domain(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    p = row.payload
    domain, years, order_id = str(p["domain"]), int(p["years"]), str(p["order_id"])
    blocked, action = _preflight(app, row)
    if blocked is not None:
        return blocked
    details = app.registrar.details(domain)
    manual = details.status == MANUAL_STATUS
    if action is not None and action.status == "awaiting":
        return _check_awaiting(app, row, action, details)
    if action is not None and action.status == "in_flight" and details.ours and not manual:
        # Our earlier attempt went through and its reply (or our record of it) was lost.
        log.info("registration_found_done", domain=domain, key=row.key)
        return _from_record(app, row, details, action)
    if details.ours:
        return Failed(
            reason=f"{order_id} asks to register {domain_named(domain)}, but it is already ours (expires "
            f"{details.expires}).",
            suggested_action=f"Check whether {order_id} should have been a renewal; if the customer paid for nothing "
            "new, credit or refund the invoice.",
        )
    if not manual:
        found = app.registrar.availability(domain)
        if found.premium:
            return _premium(domain, order_id, found.premium_price, p)
        if not found.available:
            return Failed(
                reason=f"{domain_named(domain)} is no longer available: someone else registered it after "
                f"{order_id} was paid.",
                suggested_action=f"Offer the customer another name or refund invoice {p.get('invoice_number', '')}.",
            )
    cost = app.registrar.price(domain, action="register", years=years)
    if cost is None and not manual:
        return _price_unknown(domain, "register")
    _start(app, row, action="register", pre_expiry=None, cost=cost)
    checkpoint("before_registrar_call")
    result = app.registrar.register(
        domain, years=years, contact_ref=str(p.get("contact_id", "")), idempotency_key=row.key
    )
    checkpoint("after_registrar_call")
    if result.done_by_hand:
        return _to_do(app, row, result, action="register", pre_expiry=None)
    return _settle_result(app, row, result, action="register", pre_expiry=None)


def renew_domain(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    p = row.payload
    domain, years, order_id = str(p["domain"]), int(p["years"]), str(p["order_id"])
    blocked, action = _preflight(app, row)
    if blocked is not None:
        return blocked
    details = app.registrar.details(domain)
    manual = details.status == MANUAL_STATUS
    if action is not None and action.status == "awaiting":
        return _check_awaiting(app, row, action, details)
    with app.engine.connect() as conn:
        known = domain_row(conn, domain)
    expected = known.expires if known is not None else None
    if action is not None and action.status == "in_flight" and action.pre_expiry is not None and not manual:
        pre: date | None = action.pre_expiry
        assert pre is not None
        target = add_years(pre, years)
        if details.ours and details.expires == target:
            log.info("renewal_found_done", domain=domain, key=row.key)  # the lost-reply case
            return _from_record(app, row, details, action)
        if not (details.ours and details.expires == pre):
            return _drift(domain, order_id, details, pre)
        # Still at the old expiry: the call may never have gone out, or may be queued there. The adapter asks the
        # registrar before sending, and never sends a second renewal while one is queued.
    elif manual:
        pre = expected
    else:
        if not details.ours:
            status = f" (its order is {details.status})" if details.status else ""
            return Failed(
                reason=f"{domain_named(domain)} is not in the registrar account{status}, so {order_id} cannot "
                "renew it.",
                suggested_action="Check whether it was transferred away or expired; refund or transfer it back.",
            )
        if details.expires is None or (expected is not None and details.expires != expected):
            return _drift(domain, order_id, details, expected)
        pre = details.expires
    cost = app.registrar.price(domain, action="renew", years=years)
    if cost is None and not manual:
        return _price_unknown(domain, "renew")
    _start(app, row, action="renew", pre_expiry=pre, cost=cost)
    checkpoint("before_registrar_call")
    # The manual registrar never reads the expiry; the API one sends it as the replay guard.
    result = app.registrar.renew(domain, years=years, current_expiry=pre or app.clock().date(), idempotency_key=row.key)
    checkpoint("after_registrar_call")
    if result.done_by_hand:
        return _to_do(app, row, result, action="renew", pre_expiry=pre)
    return _settle_result(app, row, result, action="renew", pre_expiry=pre)


def finish_by_hand(
    conn: Connection,
    *,
    order_id: str,
    reference: str,
    now: datetime,
    expires: date | None = None,
    cost: Money | None = None,
) -> str:
    """Record a registration or renewal a person made (`orders done`): a manual to-do, or an action that failed
    into review. Queues the history note, resolves the review item. Returns the domain; raises LookupError when
    nothing of this order waits to be done by hand, ValueError when the new expiry cannot be known."""
    action = conn.execute(
        select(registrar_actions).where(registrar_actions.c.order_id == order_id, registrar_actions.c.status == "to_do")
    ).first()
    if action is None:
        action = _take_over_failed(conn, order_id=order_id, reference=reference, now=now)
    if action is None:
        raise LookupError(f"no registration or renewal of {order_id} is waiting to be done by hand")
    if expires is None:
        if action.action == "renew" and action.pre_expiry is None:
            # Adding the term to today would be a guess; the registrar shows the real new expiry.
            raise ValueError(f"the worker does not know the expiry {action.domain} was renewed from: give --expires")
        start = action.pre_expiry if action.action == "renew" else now.date()
        expires = add_years(start, action.years)
    values: dict[str, Any] = {
        "status": "done",
        "reference": reference,
        "expires": expires,
        "updated_at": now,
        "completed_at": now,
    }
    if cost is not None:
        values.update(cost=str(cost.amount), cost_currency=cost.currency)
    conn.execute(
        update(registrar_actions).where(registrar_actions.c.idempotency_key == action.idempotency_key).values(**values)
    )
    order = conn.execute(select(orders).where(orders.c.order_id == order_id)).first()
    hold_domain(
        conn,
        domain=action.domain,
        expires=expires,
        now=now,
        registrar_order_id=reference,
        order_id=order_id,
        contact_id=order.contact_id if order is not None else "",
        sell_amount=_per_year(action.sale, action.years),
        sell_currency=action.sale_currency,
    )
    if order is not None:
        verb = "registered" if action.action == "register" else "renewed"
        _queue_note(
            conn,
            invoice_id=order.invoice_id,
            order_id=order_id,
            source_key=action.idempotency_key,
            note=f"Domain {domain_words(action.domain)} {verb} for {action.years} year(s) by hand (registrar reference "
            f"{reference}); expires {expires}. [{order_id}]",
            now=now,
        )
    conn.execute(
        update(review_items)
        .where(review_items.c.kind == "to_do", review_items.c.subject == order_id, review_items.c.status == "open")
        .values(status="done", resolution=f"done by hand, reference {reference}", resolved_at=now)
    )
    return str(action.domain)


def _take_over_failed(conn: Connection, *, order_id: str, reference: str, now: datetime) -> Any:
    """A register/renew row of this order that failed into review becomes a to-do done by hand: the row is closed,
    its review item resolved, and the action row made ready for `finish_by_hand` to complete."""
    failed = conn.execute(
        select(outbox)
        .join(outbox_orders, outbox_orders.c.idempotency_key == outbox.c.idempotency_key)
        .where(
            outbox_orders.c.order_id == order_id,
            outbox.c.status == "failed",
            outbox.c.kind.in_(("register_domain", "renew_domain")),
        )
    ).first()
    if failed is None:
        return None
    p = failed.payload
    action_name = "register" if failed.kind == "register_domain" else "renew"
    pre_expiry = None
    if action_name == "renew":
        known = domain_row(conn, str(p["domain"]))
        pre_expiry = known.expires if known is not None else None
    values: dict[str, Any] = {
        "order_id": order_id,
        "domain": str(p["domain"]),
        "action": action_name,
        "years": int(p["years"]),
        "status": "to_do",
        "sale": str(p.get("sale", "")),
        "sale_currency": str(p.get("sale_currency", "")),
        "updated_at": now,
    }
    existing = conn.execute(
        select(registrar_actions).where(registrar_actions.c.idempotency_key == failed.idempotency_key)
    ).first()
    if existing is None:
        conn.execute(
            registrar_actions.insert().values(
                idempotency_key=failed.idempotency_key, created_at=now, pre_expiry=pre_expiry, **values
            )
        )
    else:
        conn.execute(
            update(registrar_actions)
            .where(registrar_actions.c.idempotency_key == failed.idempotency_key)
            .values(status="to_do", updated_at=now)
        )
    conn.execute(
        update(outbox)
        .where(outbox.c.id == failed.id)
        .values(status="done", result={"done_by_hand": reference}, updated_at=now)
    )
    conn.execute(
        update(review_items)
        .where(
            review_items.c.kind == "failed_action",
            review_items.c.subject == failed.idempotency_key,
            review_items.c.status == "open",
        )
        .values(status="done", resolution=f"done by hand, reference {reference}", resolved_at=now)
    )
    return conn.execute(
        select(registrar_actions).where(registrar_actions.c.idempotency_key == failed.idempotency_key)
    ).first()


# ---- steps -----------------------------------------------------------------------------------------------------


def _preflight(app: App, row: OutboxRow) -> tuple[Outcome | None, Any]:
    """The order must exist and not be done; an action already recorded done or waiting for a person is not
    repeated."""
    order_id = str(row.payload["order_id"])
    with app.engine.connect() as conn:
        order = conn.execute(select(orders.c.status).where(orders.c.order_id == order_id)).first()
        action = conn.execute(select(registrar_actions).where(registrar_actions.c.idempotency_key == row.key)).first()
    if order is None:
        return Failed(
            reason=f"order {order_id} is not known to the worker.",
            suggested_action="Run sync_xero, then requeue; or do it by hand.",
        ), action
    if order.status == "done":
        return Done(result={"skipped": "order already done"}), action
    if action is not None and action.status in ("done", "to_do"):
        return Done(result={"skipped": f"already {action.status}"}), action
    return None, action


def _start(app: App, row: OutboxRow, *, action: str, pre_expiry: date | None, cost: Money | None) -> None:
    """Commit the intent before the call: from here on, an unknown outcome is reconciled, never re-bought."""
    p, now = row.payload, app.clock()
    values: dict[str, Any] = {
        "order_id": str(p["order_id"]),
        "domain": str(p["domain"]),
        "action": action,
        "years": int(p["years"]),
        "pre_expiry": pre_expiry,
        "status": "in_flight",
        "cost": "" if cost is None else str(cost.amount),
        "cost_currency": "" if cost is None else cost.currency,
        "sale": str(p.get("sale", "")),
        "sale_currency": str(p.get("sale_currency", "")),
        "updated_at": now,
    }
    with app.engine.begin() as conn:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(registrar_actions).values(idempotency_key=row.key, created_at=now, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["idempotency_key"], set_=values))


def _done(app: App, row: OutboxRow, result: RegistrarResult, *, action: str) -> Done:
    p = row.payload
    order_id, domain, years = str(p["order_id"]), str(p["domain"]), int(p["years"])
    verb = "registered" if action == "register" else "renewed"

    def record(conn: Connection) -> None:
        now = app.clock()
        values: dict[str, Any] = {
            "status": "done",
            "expires": result.expires,
            "updated_at": now,
            "completed_at": now,
            "registrar_order_id": result.registrar_order_id,
        }
        if result.cost is not None:
            values.update(cost=str(result.cost.amount), cost_currency=result.cost.currency)
        conn.execute(update(registrar_actions).where(registrar_actions.c.idempotency_key == row.key).values(**values))
        hold_domain(
            conn,
            domain=domain,
            expires=result.expires,
            now=now,
            contact_id=str(p.get("contact_id", "")),
            registrar_order_id=result.registrar_order_id,
            order_id=order_id,
            sell_amount=_per_year(str(p.get("sale", "")), years),
            sell_currency=str(p.get("sale_currency", "")),
        )
        _queue_note(
            conn,
            invoice_id=str(p["invoice_id"]),
            order_id=order_id,
            source_key=row.key,
            note=f"Domain {domain_words(domain)} {verb} for {years} year(s) at the registrar (order "
            f"{result.registrar_order_id}); expires {result.expires}. [{order_id}]",
            now=now,
        )
        conn.execute(
            update(review_items)
            .where(
                review_items.c.kind == PENDING_KIND,
                review_items.c.subject == order_id,
                review_items.c.status == "open",
            )
            .values(status="done", resolution="completed at the registrar", resolved_at=now)
        )

    return Done(
        result={"domain": domain, "expires": str(result.expires), "registrar_order_id": result.registrar_order_id},
        record=record,
    )


def _to_do(app: App, row: OutboxRow, result: RegistrarResult, *, action: str, pre_expiry: date | None) -> Done:
    p = row.payload
    order_id, domain, years = str(p["order_id"]), str(p["domain"]), int(p["years"])
    customer = f"{p.get('contact_name', '') or 'the customer'} (Xero contact {p.get('contact_id', '')})"
    price = f"upstream price {result.cost}" if result.cost else "upstream price not configured: note what you paid"
    if action == "register":
        what = f"Register {domain_named(domain)} for {years} year(s) for {customer}"
    else:
        from_expiry = f"from its expiry {pre_expiry}" if pre_expiry else "(expiry unknown to the worker: check it)"
        what = f"Renew {domain_named(domain)} for {years} year(s) {from_expiry} for {customer}"
    reason = f"{what}; invoice {p.get('invoice_number', '')} is paid (receipt {p.get('receipt_id', '')}); {price}."
    command = f"reseller-worker orders done {order_id} --ref <registrar reference>"
    suggested = f"Do it at the registrar, then run: {command}"

    def record(conn: Connection) -> None:
        now = app.clock()
        conn.execute(
            update(registrar_actions)
            .where(registrar_actions.c.idempotency_key == row.key)
            .values(status="to_do", updated_at=now)
        )
        raise_review_item(
            conn,
            kind="to_do",
            subject=order_id,
            reason=reason,
            now=now,
            suggested_action=suggested,
            candidates=[order_id],
            detail={"domain": domain, "years": years, "action": action, "key": row.key},
        )

    to = app.settings.registrar.notify_to
    mail = (
        OutgoingMail(to=to, subject=f"To do: {what.split(' for ')[0]}", text=f"{reason}\n\n{suggested}\n")
        if to
        else None
    )
    return Done(result={"to_do": order_id, "domain": domain}, record=record, notify=mail)


def _settle_result(
    app: App, row: OutboxRow, result: RegistrarResult, *, action: str, pre_expiry: date | None
) -> Outcome:
    """Done when the registrar's record confirms it; otherwise the action waits (and is never asked again)."""
    pending = result.pending or _unconfirmed(
        result, action=action, pre_expiry=pre_expiry, years=int(row.payload["years"])
    )
    if pending:
        return _awaiting(app, row, result, reason=pending)
    return _done(app, row, result, action=action)


def _unconfirmed(result: RegistrarResult, *, action: str, pre_expiry: date | None, years: int) -> str:
    if result.expires is None:
        return "the registrar shows no expiry yet"
    if action == "renew" and pre_expiry is not None and result.expires != add_years(pre_expiry, years):
        return f"the registrar shows the expiry at {result.expires}, not {add_years(pre_expiry, years)}"
    return ""


def _from_record(app: App, row: OutboxRow, details: DomainDetails, action: Any) -> Outcome:
    """An earlier attempt's effect, found in the registrar's record: done if it is finished there."""
    if details.active and not details.pending_action:
        return _done(app, row, _result_from(details, action), action=str(action.action))
    return _check_awaiting(app, row, action, details)


def _check_awaiting(app: App, row: OutboxRow, action: Any, details: DomainDetails) -> Outcome:
    """An order the registrar accepted earlier: done once its record shows it, otherwise keep waiting."""
    years = int(row.payload["years"])
    if action.action == "renew" and action.pre_expiry is not None:
        target = add_years(action.pre_expiry, years)
        if details.ours and details.expires is not None and details.expires > target:
            return _drift(row.payload["domain"], str(row.payload["order_id"]), details, target)
        finished = details.active and not details.pending_action and details.expires == target
        waiting_for = f"the expiry to reach {target}"
    else:
        finished = details.active and details.expires is not None
        waiting_for = "the order to turn Active"
    if finished:
        log.info("registrar_order_completed", domain=details.domain, key=row.key)
        return _done(app, row, _result_from(details, action), action=str(action.action))
    shown = f"{details.status or 'unknown'}, expiring {details.expires}"
    if details.pending_action:
        shown += f", {details.pending_action} queued"
    return _awaiting(app, row, _result_from(details, action), reason=f"waiting for {waiting_for}; it shows {shown}")


def _awaiting(app: App, row: OutboxRow, result: RegistrarResult, *, reason: str) -> Waiting:
    """Record that the registrar holds the order (so it is never asked again) and look again later; once it has
    waited REPORT_AFTER, a review item says what the reseller can do."""
    p = row.payload
    order_id, domain = str(p["order_id"]), str(p["domain"])

    def record(conn: Connection) -> None:
        now = app.clock()
        mine = registrar_actions.c.idempotency_key == row.key
        before = conn.execute(select(registrar_actions.c.created_at, registrar_actions.c.reference).where(mine)).first()
        values: dict[str, Any] = {"status": "awaiting", "updated_at": now}
        if result.registrar_order_id:
            values["registrar_order_id"] = result.registrar_order_id
        first_words = before.reference if before is not None and before.reference else reason
        values["reference"] = first_words  # what the registrar said when it took the order, kept for the report
        conn.execute(update(registrar_actions).where(mine).values(**values))
        if before is not None and now - _aware(before.created_at, now) >= REPORT_AFTER:
            said = f"{first_words}; now {reason}" if first_words != reason else reason
            raise_review_item(
                conn,
                kind=PENDING_KIND,
                subject=order_id,
                reason=f"The registrar accepted the order for {domain_named(domain)} ({order_id}) at "
                f"{before.created_at:%Y-%m-%d %H:%M} and has not finished it: {said}.",
                suggested_action="If it is waiting for funds, top up the reseller account at the registrar and it "
                "runs by itself; do not renew or register it again by hand while it is queued. The worker keeps "
                "checking and records it (closing this item) once the registrar shows it done.",
                candidates=[order_id],
                detail={"domain": domain, "key": row.key, "registrar_order_id": result.registrar_order_id},
                now=now,
            )

    log.info("registrar_order_waiting", domain=domain, key=row.key, reason=reason)
    return Waiting(reason=reason, check_again_in=CHECK_AGAIN, record=record)


def _aware(stamp: datetime, like: datetime) -> datetime:
    """SQLite hands timestamps back naive (UTC); compare like with like."""
    if stamp.tzinfo is None and like.tzinfo is not None:
        return stamp.replace(tzinfo=like.tzinfo)
    return stamp


def _premium(domain: str, order_id: str, price: Money | None, p: dict[str, Any]) -> Failed:
    shown = f"{price.amount} {price.currency} a year" if price is not None else "a price the registrar sets"
    return Failed(
        reason=f"{domain_named(domain)} is a premium name: the registry charges {shown}, not the normal price "
        f"{order_id} was "
        "invoiced at. The worker never buys a premium name.",
        suggested_action=f"Agree the premium price with the customer (invoice {p.get('invoice_number', '')} covers "
        "the normal price only); register it by hand at that price and run 'reseller-worker orders done "
        f"{order_id} --ref <registrar reference>', or offer another name and refund.",
    )


def _queue_note(conn: Connection, *, invoice_id: str, order_id: str, source_key: str, note: str, now: datetime) -> None:
    enqueue(
        conn,
        key=effect_key("note", invoice_id, source_key),
        kind="history_note",
        payload={"invoice_id": invoice_id, "note": note, "order_id": order_id},
        now=now,
    )


def _result_from(details: DomainDetails, action: Any) -> RegistrarResult:
    cost = Money.of(action.cost, action.cost_currency) if action.cost and action.cost_currency else None
    return RegistrarResult(
        domain=details.domain, registrar_order_id=details.registrar_order_id, expires=details.expires, cost=cost
    )


def _drift(domain: str, order_id: str, details: DomainDetails, expected: date | None) -> Failed:
    return Failed(
        reason=f"{domain_named(domain)}: the registrar says {'ours' if details.ours else 'not ours'}, expiring "
        f"{details.expires}; "
        f"the worker expected {expected}. Renewing now could renew twice or renew the wrong term.",
        suggested_action=f"Check {domain_named(domain)} at the registrar; if it still needs renewing for "
        f"{order_id}, renew it by "
        "hand, then record the new expiry.",
    )


def _price_unknown(domain: str, action: str) -> Failed:
    return Failed(
        reason=f"The upstream price to {action} {domain_named(domain)} is unknown, so the margin cannot be reported.",
        suggested_action=f"Add the ending of {domain_named(domain)} to [registrar] {action}_prices, then "
        "requeue the action.",
    )


def _per_year(sale: str, years: int) -> str:
    if not sale or years < 1:
        return sale
    from decimal import Decimal, InvalidOperation

    try:
        return str((Decimal(sale) / years).quantize(Decimal("0.01")))
    except InvalidOperation:
        return ""
