"""Tables of the review area: the part payments a person approved, so what an order still owes is known while
its effect waits (a registration or renewal happens only once the order is paid in full)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, UniqueConstraint

from worker.store.tables import metadata

# One row per order and receipt: what that receipt paid towards that order. An order with rows here and status
# `part_paid` owes its amount_due (frozen when it was first part-paid) less their sum.
part_payments = Table(
    "part_payments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), nullable=False),
    Column("invoice_id", String(64), nullable=False),
    Column("receipt_id", String(255), nullable=False),
    Column("amount", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("review_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("order_id", "receipt_id", name="uq_part_payments_order_id"),
)
Index("ix_part_payments_order_id", part_payments.c.order_id)
