"""One way to store a card payment's first evidence (and read it back as `rules.payouts.CardPayment`): written in the
transaction that queues its payment on the clearing account, so every card payment the worker records is followed
until a payout carries it to the bank."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from rules.model import Order, Receipt, ReceiptSource
from rules.money import Money
from rules.payouts import PAYMENT_SERVICES, CardPayment
from worker.store.payout_tables import card_payments


def is_card_payment(receipt: Receipt) -> bool:
    """A payment service's notice of a card payment the worker records itself (Xero records its own)."""
    return receipt.source is ReceiptSource.NOTICE and receipt.gateway in PAYMENT_SERVICES and receipt.gateway != "xero"


def note_card_payment(conn: Connection, *, receipt: Receipt, orders: Sequence[Order], now: datetime) -> bool:
    """Remember a card payment (first evidence: notified); False when it was noted before."""
    if not is_card_payment(receipt):
        return False
    return insert_card_payment(
        conn,
        receipt=receipt,
        gateway=receipt.gateway,
        txn_id=receipt.gateway_txn_id,
        invoices=sorted({o.invoice_number for o in orders}),
        now=now,
    )


def insert_card_payment(
    conn: Connection, *, receipt: Receipt, gateway: str, txn_id: str, invoices: Sequence[str], now: datetime
) -> bool:
    """One card payment, once (False when noted before)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(card_payments)
        .values(
            receipt_id=receipt.receipt_id,
            gateway=gateway,
            txn_id=txn_id[:255],
            amount=str(receipt.money.amount),
            currency=receipt.money.currency,
            paid_on=(receipt.paid_on or receipt.received_at.date()).isoformat(),
            invoices=list(invoices),
            state="notified",
            payout_key=None,
            notified_at=now,
        )
        .on_conflict_do_nothing(index_elements=["receipt_id"])
        .returning(card_payments.c.receipt_id)
    )
    return conn.execute(stmt).first() is not None


def card_payment_from_row(row: Any) -> CardPayment:
    return CardPayment(
        payment_id=row.receipt_id,
        gateway=row.gateway,
        money=Money.of(row.amount, row.currency),
        paid_on=date.fromisoformat(row.paid_on),
        txn_ids=(row.txn_id,) if row.txn_id else (),
        invoices=tuple(str(i) for i in row.invoices or ()),
    )


def unsettled_payments(conn: Connection, gateway: str | None = None) -> list[CardPayment]:
    """Card payments no payout has carried yet (of one service, or all)."""
    q = select(card_payments).where(card_payments.c.payout_key.is_(None))
    if gateway is not None:
        q = q.where(card_payments.c.gateway == gateway)
    return [card_payment_from_row(r) for r in conn.execute(q.order_by(card_payments.c.paid_on))]
