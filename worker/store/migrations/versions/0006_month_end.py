"""Tables for month-end: provider_bills, provider_bill_lines, hosting_periods (filled from hosting_services: one
period each, at its current plan), first_payments, registrar_balances.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_bills",
        sa.Column("bill_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("issued", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.String(length=32), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("xero_updated", sa.String(length=40), server_default="", nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("bill_id", name=op.f("pk_provider_bills")),
    )
    op.create_index("ix_provider_bills_month", "provider_bills", ["month"], unique=False)
    op.create_table(
        "provider_bill_lines",
        sa.Column("bill_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("charged_on", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=255), nullable=False),
        sa.Column("years", sa.Integer(), server_default="1", nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("plan", sa.String(length=64), server_default="", nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=255), server_default="", nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("bill_id", "line_no", name=op.f("pk_provider_bill_lines")),
    )
    op.create_index("ix_provider_bill_lines_charged_on", "provider_bill_lines", ["charged_on"], unique=False)
    periods = op.create_table(
        "hosting_periods",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("rate", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosting_periods")),
    )
    op.create_index("ix_hosting_periods_service_id", "hosting_periods", ["service_id"], unique=False)
    services = sa.table(
        "hosting_services",
        sa.column("id", sa.Integer()),
        sa.column("domain", sa.String()),
        sa.column("plan", sa.String()),
        sa.column("rate", sa.String()),
        sa.column("currency", sa.String()),
        sa.column("contact_id", sa.String()),
        sa.column("started_on", sa.Date()),
        sa.column("stopped_on", sa.Date()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    assert periods is not None
    op.execute(
        periods.insert().from_select(
            ["service_id", "domain", "plan", "rate", "currency", "contact_id", "started_on", "ended_on", "created_at"],
            sa.select(
                services.c.id,
                services.c.domain,
                services.c.plan,
                services.c.rate,
                services.c.currency,
                services.c.contact_id,
                services.c.started_on,
                services.c.stopped_on,
                services.c.created_at,
            ),
        )
    )
    op.create_table(
        "first_payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invoice_key", sa.String(length=128), server_default="", nullable=False),
        sa.Column("order_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("amount", sa.String(length=32), server_default="", nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_first_payments")),
    )
    op.create_index("ix_first_payments_domain", "first_payments", ["domain"], unique=False)
    op.create_index("ix_first_payments_status", "first_payments", ["status"], unique=False)
    op.create_table(
        "registrar_balances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("registrar", sa.String(length=16), nullable=False),
        sa.Column("available", sa.String(length=32), nullable=False),
        sa.Column("locked", sa.String(length=32), server_default="0", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrar_balances")),
    )
    op.create_index("ix_registrar_balances_checked_at", "registrar_balances", ["checked_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_registrar_balances_checked_at", table_name="registrar_balances")
    op.drop_table("registrar_balances")
    op.drop_index("ix_first_payments_status", table_name="first_payments")
    op.drop_index("ix_first_payments_domain", table_name="first_payments")
    op.drop_table("first_payments")
    op.drop_index("ix_hosting_periods_service_id", table_name="hosting_periods")
    op.drop_table("hosting_periods")
    op.drop_index("ix_provider_bill_lines_charged_on", table_name="provider_bill_lines")
    op.drop_table("provider_bill_lines")
    op.drop_index("ix_provider_bills_month", table_name="provider_bills")
    op.drop_table("provider_bills")
