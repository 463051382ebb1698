"""The worker's tables (SQLAlchemy Core). Migrations in `migrations/` create them; this is the code's view.

Area-specific tables live in sibling modules (`xero_tables.py`, `inbox_tables.py`, ...) on the same `metadata`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Stable constraint names so Alembic migrations behave the same on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Money is stored as a decimal string plus currency: exact on both databases, never a float.
orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("invoice_id", String(64), nullable=False),
    Column("invoice_number", String(64), nullable=False),
    Column("contact_id", String(64), nullable=False),
    Column("contact", JSON, nullable=False),  # name, first_name, last_name, email
    Column("domain", String(255), nullable=False, server_default=""),
    Column("amount_due", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("issued", String(10), nullable=False),
    Column("due", String(10), nullable=False),
    Column("plan", String(64), nullable=False, server_default=""),
    Column("term_years", Integer, nullable=False, server_default="1"),
    # with a check digit, on invoices the worker raised (rules.payment_references); "" for any other invoice
    Column("payment_reference", String(16), nullable=False, server_default=""),
    # open -> paid (a receipt settled it) -> done (effects applied); or closed (invoice paid/voided elsewhere).
    # part_paid: a person approved a part payment; it owes amount_due less its part_payments, and its effects wait.
    Column("status", String(16), nullable=False, server_default="open"),
    Column("paid_by", String(255), nullable=True),  # receipt_id that settled it
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_orders_status", orders.c.status)
Index("ix_orders_invoice_id", orders.c.invoice_id)

receipts = Table(
    "receipts",
    metadata,
    Column("receipt_id", String(255), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("amount", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("gateway", String(32), nullable=False, server_default=""),
    Column("gateway_txn_id", String(255), nullable=False, server_default=""),
    Column("payload", JSON, nullable=False),  # the full normalised Receipt
    # new -> decided; a receipt is decided exactly once
    Column("status", String(16), nullable=False, server_default="new"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_receipts_status", receipts.c.status)
Index("ix_receipts_gateway_txn", receipts.c.gateway, receipts.c.gateway_txn_id)

decisions = Table(
    "decisions",
    metadata,
    Column("receipt_id", String(255), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("orders", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("strategy", String(64), nullable=False, server_default=""),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

review_items = Table(
    "review_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # unmatched, ambiguous, short_paid, overpaid, foreign_currency, rejected_notice, quarantined,
    # failed_action, to_do (manual registrar), credit (money over what was owed, to refund or apply), ...
    Column("kind", String(32), nullable=False),
    Column("subject", String(255), nullable=False),  # receipt id, outbox key, message id
    Column("reason", Text, nullable=False),
    Column("suggested_action", Text, nullable=False, server_default=""),
    Column("candidates", JSON, nullable=False),  # order ids, best first
    Column("detail", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),  # open, approved, ignored, rejected, done
    Column("resolution", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("kind", "subject", name="uq_review_items_kind_subject"),
)
Index("ix_review_items_status", review_items.c.status)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),  # pending, running, done, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("result", JSON, nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_outbox_status_next", outbox.c.status, outbox.c.next_attempt_at)

watermarks = Table(
    "watermarks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("last_started_at", DateTime(timezone=True), nullable=True),
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Column("last_failure_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("last_summary", JSON, nullable=True),
)

payer_links = Table(
    "payer_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payer_key", String(255), nullable=False, unique=True),  # normalised payer name or e-mail
    Column("contact_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
