"""Tables of card money: card payments on clearing accounts, payouts, and the signs of each payout.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_payments",
        sa.Column("receipt_id", sa.String(length=255), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("txn_id", sa.String(length=255), server_default="", nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid_on", sa.String(length=10), nullable=False),
        sa.Column("invoices", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="notified", nullable=False),
        sa.Column("payout_key", sa.String(length=128), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("receipt_id", name=op.f("pk_card_payments")),
    )
    op.create_index("ix_card_payments_gateway_state", "card_payments", ["gateway", "state"], unique=False)
    op.create_table(
        "payouts",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("service_ref", sa.String(length=255), server_default="", nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("net", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gross", sa.String(length=32), server_default="", nullable=False),
        sa.Column("fees", sa.String(length=32), server_default="", nullable=False),
        sa.Column("paid_on", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="waiting", nullable=False),
        sa.Column("matched", sa.Integer(), server_default="0", nullable=False),
        sa.Column("strategy", sa.String(length=32), server_default="", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("bank_line", sa.String(length=255), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_payouts")),
    )
    op.create_index("ix_payouts_gateway_state", "payouts", ["gateway", "state"], unique=False)
    op.create_table(
        "payout_sightings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("service_ref", sa.String(length=255), server_default="", nullable=False),
        sa.Column("net", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("seen_on", sa.String(length=10), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("reconciled", sa.Integer(), server_default="0", nullable=False),
        sa.Column("payout_key", sa.String(length=128), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_sightings")),
        sa.UniqueConstraint("source", "ref", name="uq_payout_sightings_source_ref"),
    )
    op.create_index("ix_payout_sightings_payout_key", "payout_sightings", ["payout_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_payout_sightings_payout_key", table_name="payout_sightings")
    op.drop_table("payout_sightings")
    op.drop_index("ix_payouts_gateway_state", table_name="payouts")
    op.drop_table("payouts")
    op.drop_index("ix_card_payments_gateway_state", table_name="card_payments")
    op.drop_table("card_payments")
