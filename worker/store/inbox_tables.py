"""Tables of the inbox area: where reading stopped in each mailbox, and what became of every message read.

`inbox_messages` is the truth about mail (IMAP folders only mirror it): a row is written, in the same
transaction as the receipt or review item, before the message is moved; `moved` says the move was confirmed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from worker.store.tables import metadata

inbox_state = Table(
    "inbox_state",
    metadata,
    Column("mailbox", String(255), primary_key=True),  # account and folder, e.g. imap:billing@host:993/INBOX
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),  # every UID up to this one has a row in inbox_messages
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

inbox_messages = Table(
    "inbox_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mailbox", String(255), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    # receipt, duplicate, ignored, review, rejected, quarantined
    Column("outcome", String(16), nullable=False),
    Column("folder", String(64), nullable=False),  # where it is (being) moved: Processed, Review, ...
    Column("moved", Boolean, nullable=False, server_default=false()),
    Column("receipt_id", String(255), nullable=True),
    Column("gateway", String(32), nullable=False, server_default=""),
    Column("gateway_txn_id", String(255), nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("moved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_inbox_messages_mailbox_uid"),
)
Index("ix_inbox_messages_message_id", inbox_messages.c.message_id)
Index("ix_inbox_messages_moved", inbox_messages.c.mailbox, inbox_messages.c.moved)
