"""Tables for the inbox area: inbox_state (watermark per mailbox) and inbox_messages (every message read).

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_state",
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", name=op.f("pk_inbox_state")),
    )
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("folder", sa.String(length=64), nullable=False),
        sa.Column("moved", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("receipt_id", sa.String(length=255), nullable=True),
        sa.Column("gateway", sa.String(length=32), server_default="", nullable=False),
        sa.Column("gateway_txn_id", sa.String(length=255), server_default="", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
        sa.UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_inbox_messages_mailbox_uid"),
    )
    op.create_index("ix_inbox_messages_message_id", "inbox_messages", ["message_id"], unique=False)
    op.create_index("ix_inbox_messages_moved", "inbox_messages", ["mailbox", "moved"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_inbox_messages_moved", table_name="inbox_messages")
    op.drop_index("ix_inbox_messages_message_id", table_name="inbox_messages")
    op.drop_table("inbox_messages")
    op.drop_table("inbox_state")
