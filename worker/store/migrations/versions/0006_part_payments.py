"""Part payments approved by a person, and who resolved each review item.

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
        "part_payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("receipt_id", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_payments")),
        sa.UniqueConstraint("order_id", "receipt_id", name="uq_part_payments_order_id"),
    )
    op.create_index("ix_part_payments_order_id", "part_payments", ["order_id"], unique=False)
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("resolved_by", sa.String(length=64), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("resolved_by")
    op.drop_index("ix_part_payments_order_id", table_name="part_payments")
    op.drop_table("part_payments")
