"""Tables of the review page and of decisions made by people: who is signed in, failed sign-ins (for the rate limit),
and the audit log of every action a person took, on the page or at the command line.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table, Text

from worker.store.tables import metadata

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie's token: a stolen table signs no one in
    Column("username", String(64), nullable=False),
    Column("user_stamp", String(32), nullable=False),  # of the password hash at sign-in: a new password ends it
    Column("csrf_token", String(64), nullable=False),
    Column("address", String(64), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)
Index("ix_web_sessions_username", web_sessions.c.username)

web_signin_failures = Table(
    "web_signin_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_web_signin_failures_at", web_signin_failures.c.at)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),  # the web user, or the shell user for a command
    Column("via", String(8), nullable=False),  # web | cli
    Column("action", String(32), nullable=False),  # approve, ignore, reject, link, done, retry, ...
    Column("review_id", Integer, nullable=True),
    Column("subject", String(255), nullable=False, server_default=""),  # the receipt, order or action key
    Column("ok", Boolean, nullable=False),
    Column("message", Text, nullable=False),
    Column("detail", JSON, nullable=False),  # what was asked for, and the outbox rows it queued
)
Index("ix_audit_log_review_id", audit_log.c.review_id)
Index("ix_audit_log_subject", audit_log.c.subject)
Index("ix_audit_log_at", audit_log.c.at)
