"""The outbox: every side effect is a row with an idempotency key, written in the decision's transaction, then
claimed by exactly one dispatcher, retried with backoff, and failed into a review item when it cannot be done.

`enqueue` is idempotent on the key, so deciding the same receipt twice (a duplicate notice, a replayed job) can never
queue a second effect. Claiming uses `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and one atomic UPDATE on
SQLite (one writer at a time), each claim marked with its own token, so two workers never run the same row at once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from config.worker import business_day
from rules.model import Decision, DecisionKind, Order, OrderKind, Receipt, ReceiptSource
from rules.money import Money
from rules.settlement import payment_date, payment_reference
from worker.hosting_history import open_period
from worker.store.card_payments import note_card_payment
from worker.store.first_payments import link_service, take_waiting
from worker.store.outbox_tables import hosting_services, outbox_orders
from worker.store.review_items import raise_review_item
from worker.store.tables import orders as orders_table
from worker.store.tables import outbox, review_items

MAX_KEY = 128  # Xero's Idempotency-Key limit; the key is passed on as it is


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxPolicy:
    """How hard the outbox tries: attempts, exponential backoff, and how long a claim lasts before a crashed
    worker's row may be taken over. A live worker renews its claims every `heartbeat` while its handlers run, so
    the lease need only outlast a few missed heartbeats, not the longest handler: a dead worker's rows are taken
    over about a minute after it died."""

    max_attempts: int = 8
    first_backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(seconds=60)
    heartbeat: timedelta = timedelta(seconds=15)
    batch: int = 200


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxRow:
    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int  # including the current one
    claimed_by: str


def effect_key(*parts: str) -> str:
    """`kind:part:part`, shortened with a digest when longer than the 128 characters Xero accepts."""
    key = ":".join(parts)
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_KEY - 17]}~{digest}"


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def enqueue(conn: Connection, *, key: str, kind: str, payload: Mapping[str, Any], now: datetime) -> bool:
    """Queue one effect; returns False when a row with this key already exists (nothing is changed).

    A payload with an `order_id` links the row to that order: the order turns `done` when all its rows are."""
    if len(key) > MAX_KEY:
        raise ValueError(f"idempotency key longer than Xero's 128 characters: {key!r}")
    stmt = (
        _insert(conn)(outbox)
        .values(
            idempotency_key=key,
            kind=kind,
            payload=dict(payload),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(outbox.c.id)
    )
    # RETURNING, not rowcount: psycopg reports rowcount -1 for an INSERT that returns the implicit primary key.
    added = conn.execute(stmt).first() is not None
    order_id = payload.get("order_id")
    if added and order_id:
        conn.execute(
            _insert(conn)(outbox_orders)
            .values(idempotency_key=key, order_id=str(order_id))
            .on_conflict_do_nothing(index_elements=["idempotency_key", "order_id"])
        )
    return added


def _payment_amount(receipt: Receipt, due: Money, single_invoice: bool) -> Money:
    """What to record on one invoice: the money received when it is less than the amount due and there is only
    one invoice (a fee inside the bookkeeper's tolerance), otherwise the amount due."""
    if single_invoice and receipt.money.currency == due.currency and receipt.money.amount < due.amount:
        return receipt.money
    return due


def queue_payment(
    conn: Connection,
    *,
    key: str,
    invoice_id: str,
    invoice_number: str,
    order_ids: Sequence[str],
    receipt: Receipt,
    amount: Money,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> bool:
    """Queue one payment on one invoice in Xero, linked to every order it pays (each order waits for it before
    turning done). Returns False when this key was queued before."""
    payload: dict[str, Any] = {
        "order_id": order_ids[0],
        "order_ids": list(order_ids),
        "invoice_id": invoice_id,
        "invoice_number": invoice_number,
        "receipt_id": receipt.receipt_id,
        "amount": str(amount.amount),
        "currency": amount.currency,
        "paid_on": payment_date(receipt).isoformat(),
        "reference": payment_reference(receipt),
        # A card payment waits on its payment service's clearing account until the payout reaches the bank.
        "gateway": receipt.gateway,
        **(extra or {}),
    }
    if not enqueue(conn, key=key, kind="record_payment", payload=payload, now=now):
        return False
    for other in order_ids[1:]:
        conn.execute(
            _insert(conn)(outbox_orders)
            .values(idempotency_key=key, order_id=other)
            .on_conflict_do_nothing(index_elements=["idempotency_key", "order_id"])
        )
    return True


def queue_order_effect(
    conn: Connection, *, order: Order, receipt_id: str, sale: Money, now: datetime, zone: tzinfo
) -> str:
    """Queue what a fully paid order means: its registration or renewal, or for a setup order the hosting service
    with its repeating invoice. `sale` is what the customer paid for the order (the margin line's amount); `zone` the
    reseller's, whose calendar day a site goes live on. Returns the key queued, or '' when there is nothing to do or
    it was queued before."""
    action = {OrderKind.DOMAIN_REGISTRATION: "register", OrderKind.DOMAIN_RENEWAL: "renew"}.get(order.kind)
    if action and order.domain:
        key = effect_key(action, order.domain.lower(), order.order_id)
        payload = {
            "order_id": order.order_id,
            "domain": order.domain.lower(),
            "years": order.term_years,
            "invoice_id": order.invoice_id,
            "invoice_number": order.invoice_number,
            "contact_id": order.contact.contact_id,
            "contact_name": order.contact.name,
            "sale": str(sale.amount),
            "sale_currency": sale.currency,
            "receipt_id": receipt_id,
        }
        return key if enqueue(conn, key=key, kind=f"{action}_domain", payload=payload, now=now) else ""
    if order.kind is OrderKind.SETUP and order.domain:
        # A start held for this first payment goes live now, on the plan and from the day it asked for.
        held = take_waiting(conn, domain=order.domain.lower(), order_id=order.order_id, now=now)
        plan = held.plan if held is not None else order.plan
        if not plan:
            return ""
        key = effect_key("hosting", "setup", order.order_id)
        queued = queue_hosting_start(
            conn,
            key=key,
            domain=order.domain.lower(),
            plan=plan,
            contact_id=held.contact_id if held is not None else order.contact.contact_id,
            rate=None,
            currency=order.amount_due.currency,
            start=max(held.start, business_day(now, zone)) if held is not None else business_day(now, zone),
            source=order.order_id,
            order_id=order.order_id,
            now=now,
        )
        if held is not None:
            link_service(conn, request_id=held.id, source=order.order_id)
        return key if queued else ""
    return ""


def enqueue_effects_for_decision(
    conn: Connection, *, decision: Decision, receipt: Receipt, orders: Sequence[Order], now: datetime, zone: tzinfo
) -> list[str]:
    """Queue what an `auto` decision means: one payment per invoice in Xero (unless Xero already holds it because
    the receipt IS a Xero payment), per order the registration or renewal, and for a paid setup order the hosting
    service with its repeating invoice. Returns the keys queued."""
    if decision.kind is not DecisionKind.AUTO:
        return []
    keys: list[str] = []
    by_invoice: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        by_invoice[order.invoice_id].append(order)
    # A card payment is followed until a payout carries it to the bank (its second evidence).
    note_card_payment(conn, receipt=receipt, orders=orders, now=now)
    if receipt.source is not ReceiptSource.XERO_PAYMENT:
        for invoice_id, invoice_orders in by_invoice.items():
            due = invoice_orders[0].amount_due
            for other in invoice_orders[1:]:
                due = due + other.amount_due
            key = effect_key("payment", invoice_id, receipt.receipt_id)
            if queue_payment(
                conn,
                key=key,
                invoice_id=invoice_id,
                invoice_number=invoice_orders[0].invoice_number,
                order_ids=[o.order_id for o in invoice_orders],
                receipt=receipt,
                amount=_payment_amount(receipt, due, single_invoice=len(by_invoice) == 1),
                now=now,
            ):
                keys.append(key)
    for order in orders:
        key = queue_order_effect(
            conn, order=order, receipt_id=receipt.receipt_id, sale=_sale(conn, order), now=now, zone=zone
        )
        if key:
            keys.append(key)
    return keys


def _sale(conn: Connection, order: Order) -> Money:
    """What the customer pays for the order: its stored amount (for an order paid in parts, the amount it owed
    before the first part), else what it owes now."""
    row = conn.execute(
        select(orders_table.c.amount_due, orders_table.c.currency).where(orders_table.c.order_id == order.order_id)
    ).first()
    if row is None:
        return order.amount_due
    try:
        return Money.of(row.amount_due, row.currency)
    except (ValueError, TypeError):
        return order.amount_due


def queue_hosting_start(
    conn: Connection,
    *,
    key: str = "",
    domain: str,
    plan: str,
    contact_id: str,
    rate: Decimal | None,
    currency: str,
    start: Any,
    source: str,
    now: datetime,
    order_id: str = "",
) -> str:
    """Record a hosting service and queue its repeating invoice; the rate is resolved from the plan when the
    effect runs if not given. The key is the caller's (a paid setup order's) or else the new service's own
    (`hosting:start:<service id>`), never the clock's: two starts in the same instant are two services. Returns the
    key queued, or "" when this key was queued before."""
    if key and conn.execute(select(outbox.c.id).where(outbox.c.idempotency_key == key)).first() is not None:
        return ""
    inserted = conn.execute(
        hosting_services.insert().values(
            domain=domain,
            plan=plan,
            contact_id=contact_id,
            rate="" if rate is None else str(rate),
            currency=currency,
            status="active",
            started_on=start,
            source=source,
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key
    assert inserted is not None
    open_period(
        conn,
        service_id=int(inserted[0]),
        domain=domain,
        plan=plan,
        rate=rate,
        currency=currency,
        contact_id=contact_id,
        on=start,
        now=now,
    )
    payload: dict[str, Any] = {"service_id": int(inserted[0]), "domain": domain, "plan": plan}
    if order_id:
        payload["order_id"] = order_id
    key = key or effect_key("hosting", "start", str(inserted[0]))
    return key if enqueue(conn, key=key, kind="start_hosting", payload=payload, now=now) else ""


# ---- claiming and finishing ------------------------------------------------------------------------------------


def claim(engine: Engine, *, worker_id: str, now: datetime, policy: OutboxPolicy, limit: int) -> list[OutboxRow]:
    """Take up to `limit` due rows for this worker: pending rows whose time has come, and running rows whose
    claim is older than the lease (their worker died)."""
    due = or_(
        and_(outbox.c.status == "pending", outbox.c.next_attempt_at <= now),
        and_(outbox.c.status == "running", outbox.c.claimed_at <= now - policy.lease),
    )
    chosen = select(outbox.c.id).where(due).order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)
    # Each claim gets its own token, so the rows it took are exactly the rows carrying it.
    token = f"{worker_id[:52]}#{uuid.uuid4().hex[:10]}"
    take = {
        "status": "running",
        "claimed_by": token,
        "claimed_at": now,
        "attempts": outbox.c.attempts + 1,
        "updated_at": now,
    }
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            ids = [r.id for r in conn.execute(chosen.with_for_update(skip_locked=True))]
            if ids:
                conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(**take))
        else:
            # SQLite: one UPDATE statement opens the write transaction and claims atomically (one writer at a
            # time; a SELECT first would let two workers read the same rows before either writes).
            conn.execute(update(outbox).where(outbox.c.id.in_(chosen.scalar_subquery()), due).values(**take))
        rows = conn.execute(
            select(outbox.c.id, outbox.c.idempotency_key, outbox.c.kind, outbox.c.payload, outbox.c.attempts)
            .where(outbox.c.claimed_by == token, outbox.c.status == "running")
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
        ).all()
    return [
        OutboxRow(
            id=r.id, key=r.idempotency_key, kind=r.kind, payload=dict(r.payload), attempts=r.attempts, claimed_by=token
        )
        for r in rows
    ]


def renew_claims(engine: Engine, *, token: str, now: datetime) -> int:
    """The heartbeat: extend the lease of every row this claim still holds; returns how many."""
    with engine.begin() as conn:
        renewed = conn.execute(
            update(outbox).where(outbox.c.claimed_by == token, outbox.c.status == "running").values(claimed_at=now)
        )
    return int(renewed.rowcount or 0)


def _ours(row: OutboxRow) -> Any:
    return and_(outbox.c.id == row.id, outbox.c.status == "running", outbox.c.claimed_by == row.claimed_by)


def complete(conn: Connection, row: OutboxRow, *, result: Mapping[str, Any], now: datetime) -> bool:
    """Mark done, only if this worker still holds the claim (False: someone took it over; roll back)."""
    values = {"status": "done", "result": dict(result), "last_error": "", "updated_at": now, "claimed_at": None}
    return bool(conn.execute(update(outbox).where(_ours(row)).values(**values)).rowcount)


def revise_payload(engine: Engine, row: OutboxRow, changes: Mapping[str, Any]) -> OutboxRow | None:
    """Write what a handler decided before it acts (e.g. the smaller amount an invoice still owes) into its row, in
    a transaction of its own, so a retry after a crash repeats that decision instead of deciding again from a world
    the first attempt has changed. None when this worker no longer holds the claim."""
    payload = {**row.payload, **changes}
    with engine.begin() as conn:
        if not conn.execute(update(outbox).where(_ours(row)).values(payload=payload)).rowcount:
            return None
    return OutboxRow(
        id=row.id, key=row.key, kind=row.kind, payload=payload, attempts=row.attempts, claimed_by=row.claimed_by
    )


def reschedule(
    conn: Connection,
    row: OutboxRow,
    *,
    error: str,
    now: datetime,
    policy: OutboxPolicy,
    wait: timedelta | None = None,
    refund_attempt: bool = False,
) -> bool:
    """Back to pending after a transient failure, later each time. A rate limit refunds the attempt: waiting for
    the other side's quota is not a failure of this row, so it must not push the row towards the attempt limit."""
    delay = wait if wait is not None else backoff(row.attempts, policy)
    values: dict[str, Any] = {
        "status": "pending",
        "next_attempt_at": now + delay,
        "last_error": error[:2000],
        "updated_at": now,
        "claimed_by": None,
        "claimed_at": None,
    }
    if refund_attempt:
        values["attempts"] = outbox.c.attempts - 1
    return bool(conn.execute(update(outbox).where(_ours(row)).values(**values)).rowcount)


def fail(conn: Connection, row: OutboxRow, *, reason: str, suggested_action: str, now: datetime) -> bool:
    """Give up on a row and put it in front of a person, saying what to do by hand."""
    values = {"status": "failed", "last_error": reason[:2000], "updated_at": now, "claimed_at": None}
    if not conn.execute(update(outbox).where(_ours(row)).values(**values)).rowcount:
        return False
    item = {"reason": reason, "suggested_action": suggested_action}
    raised = raise_review_item(
        conn,
        kind="failed_action",
        subject=row.key,
        now=now,
        candidates=[str(row.payload["order_id"])] if row.payload.get("order_id") else [],
        detail={"kind": row.kind, "payload": row.payload, "attempts": row.attempts},
        **item,
    )
    if not raised:
        # Failed before and requeued by hand: reopen the same item rather than leave this failure unseen.
        conn.execute(
            update(review_items)
            .where(review_items.c.kind == "failed_action", review_items.c.subject == row.key[:255])
            .values(status="open", resolution="", resolved_at=None, **item)
        )
    return True


def requeue(conn: Connection, key: str, *, now: datetime) -> bool:
    """Give a failed row a fresh set of attempts (after a person fixed the cause); its review item is resolved."""
    done = conn.execute(
        update(outbox)
        .where(outbox.c.idempotency_key == key, outbox.c.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None, claimed_at=None, updated_at=now)
    ).rowcount
    if done:
        conn.execute(
            update(review_items)
            .where(review_items.c.kind == "failed_action", review_items.c.subject == key[:255])
            .values(status="done", resolution="requeued", resolved_at=now)
        )
    return bool(done)


def backoff(attempts: int, policy: OutboxPolicy) -> timedelta:
    """1, 2, 4, ... times the first backoff, capped."""
    step: timedelta = policy.first_backoff * (2 ** min(max(attempts - 1, 0), 30))
    return policy.max_backoff if step > policy.max_backoff else step


def pending_count(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.status.in_(("pending", "running")))
        ).scalar_one()
    )
