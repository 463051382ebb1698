"""Part payments approved by a person (who approved them is in the audit log).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "part_payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("receipt_id", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_payments")),
        sa.UniqueConstraint("order_id", "receipt_id", name="uq_part_payments_order_id"),
    )
    op.create_index("ix_part_payments_order_id", "part_payments", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_part_payments_order_id", table_name="part_payments")
    op.drop_table("part_payments")
