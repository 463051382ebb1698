"""The outbox: every side effect is a row with an idempotency key, written in the decision's transaction.

`enqueue` is idempotent on the key, so deciding the same receipt twice (a duplicate notice, a replayed job)
can never queue a second effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from rules.model import Decision, DecisionKind, Order, OrderKind, Receipt, ReceiptSource
from worker.store.tables import outbox


def enqueue(conn: Connection, *, key: str, kind: str, payload: Mapping[str, Any], now: datetime) -> bool:
    """Queue one effect; returns False when a row with this key already exists (nothing is changed)."""
    if len(key) > 128:
        raise ValueError(f"idempotency key longer than Xero's 128 characters: {key!r}")
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(outbox)
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
    )
    return (conn.execute(stmt).rowcount or 0) > 0


def enqueue_effects_for_decision(
    conn: Connection, *, decision: Decision, receipt: Receipt, orders: Sequence[Order], now: datetime
) -> list[str]:
    """Queue what an `auto` decision means: the payment in Xero (unless Xero already holds it) and, per order,
    the registration or renewal. Returns the keys queued."""
    if decision.kind is not DecisionKind.AUTO:
        return []
    keys: list[str] = []
    for order in orders:
        if receipt.source is not ReceiptSource.XERO_PAYMENT:
            key = f"payment:{order.invoice_id}:{receipt.receipt_id}"
            payload = {
                "order_id": order.order_id,
                "invoice_id": order.invoice_id,
                "receipt_id": receipt.receipt_id,
                "amount": str(order.amount_due.amount),
                "currency": order.amount_due.currency,
                "paid_on": receipt.received_at.date().isoformat(),
                "reference": receipt.gateway_txn_id or receipt.receipt_id,
            }
            if enqueue(conn, key=key[:128], kind="record_payment", payload=payload, now=now):
                keys.append(key)
        action = {OrderKind.DOMAIN_REGISTRATION: "register", OrderKind.DOMAIN_RENEWAL: "renew"}.get(order.kind)
        if action and order.domain:
            key = f"{action}:{order.domain}:{order.order_id}"
            payload = {"order_id": order.order_id, "domain": order.domain, "years": order.term_years,
                       "invoice_id": order.invoice_id, "contact_id": order.contact.contact_id}
            if enqueue(conn, key=key[:128], kind=f"{action}_domain", payload=payload, now=now):
                keys.append(key)
    return keys


def pending_count(conn: Connection) -> int:
    return len(conn.execute(select(outbox.c.id).where(outbox.c.status.in_(("pending", "running")))).all())
