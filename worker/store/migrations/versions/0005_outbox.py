"""Tables for the outbox area: domains, registrar_actions, outbox_orders, hosting_services.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "domains",
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("contact_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("registrar_order_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("sell_amount", sa.String(length=32), server_default="", nullable=False),
        sa.Column("sell_currency", sa.String(length=3), server_default="", nullable=False),
        sa.Column("last_order_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("renewal_invoiced_for", sa.Date(), nullable=True),
        sa.Column("renewal_invoice_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_domains")),
    )
    op.create_index("ix_domains_expires", "domains", ["expires"], unique=False)
    op.create_table(
        "registrar_actions",
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("pre_expiry", sa.Date(), nullable=True),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registrar_order_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("cost", sa.String(length=32), server_default="", nullable=False),
        sa.Column("cost_currency", sa.String(length=3), server_default="", nullable=False),
        sa.Column("sale", sa.String(length=32), server_default="", nullable=False),
        sa.Column("sale_currency", sa.String(length=3), server_default="", nullable=False),
        sa.Column("reference", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_registrar_actions")),
    )
    op.create_index("ix_registrar_actions_order_id", "registrar_actions", ["order_id"], unique=False)
    op.create_index("ix_registrar_actions_status", "registrar_actions", ["status"], unique=False)
    op.create_table(
        "outbox_orders",
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", "order_id", name=op.f("pk_outbox_orders")),
    )
    op.create_index("ix_outbox_orders_order_id", "outbox_orders", ["order_id"], unique=False)
    op.create_table(
        "hosting_services",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("rate", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("repeating_invoice_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=64), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosting_services")),
    )
    op.create_index("ix_hosting_services_domain", "hosting_services", ["domain"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_hosting_services_domain", table_name="hosting_services")
    op.drop_table("hosting_services")
    op.drop_index("ix_outbox_orders_order_id", table_name="outbox_orders")
    op.drop_table("outbox_orders")
    op.drop_index("ix_registrar_actions_status", table_name="registrar_actions")
    op.drop_index("ix_registrar_actions_order_id", table_name="registrar_actions")
    op.drop_table("registrar_actions")
    op.drop_index("ix_domains_expires", table_name="domains")
    op.drop_table("domains")
