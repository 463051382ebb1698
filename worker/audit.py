"""The audit log: every action a person took (approve, ignore, reject, link, done, retry), who took it, when, by
which way in (the page or the command line), and what it queued. Shown in each item's history and in the report.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from worker.store.web_tables import audit_log


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    via: str  # web | cli
    action: str
    review_id: int | None
    subject: str
    ok: bool
    message: str
    detail: Mapping[str, Any]

    @property
    def who(self) -> str:
        return f"{self.actor} (command line)" if self.via == "cli" else self.actor


def shell_actor() -> str:
    """Who runs a command: the login name, as far as the system knows it."""
    try:
        return getpass.getuser()[:64] or "unknown"
    except (KeyError, OSError):  # no passwd entry (a bare container user) and no LOGNAME
        return "unknown"


def record(
    conn: Connection,
    *,
    actor: str,
    via: str,
    action: str,
    ok: bool,
    message: str,
    now: datetime,
    review_id: int | None = None,
    subject: str = "",
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Write one entry in the caller's transaction; returns its id."""
    row = conn.execute(
        audit_log.insert()
        .values(
            at=now,
            actor=actor[:64],
            via=via,
            action=action[:32],
            review_id=review_id,
            subject=subject[:255],
            ok=ok,
            message=message,
            detail=dict(detail or {}),
        )
        .returning(audit_log.c.id)
    ).one()
    return int(row.id)


def _entry(row: Any) -> AuditEntry:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return AuditEntry(
        id=row.id,
        at=at,
        actor=row.actor,
        via=row.via,
        action=row.action,
        review_id=row.review_id,
        subject=row.subject,
        ok=bool(row.ok),
        message=row.message,
        detail=dict(row.detail or {}),
    )


def entry(conn: Connection, entry_id: int) -> AuditEntry | None:
    row = conn.execute(select(audit_log).where(audit_log.c.id == entry_id)).first()
    return _entry(row) if row is not None else None


def history(
    conn: Connection, *, review_id: int | None = None, subjects: Iterable[str] = (), limit: int = 100
) -> list[AuditEntry]:
    """What people did about one item (by its number) or about its receipt, orders or action keys, newest first."""
    wanted = [s for s in subjects if s]
    clauses = []
    if review_id is not None:
        clauses.append(audit_log.c.review_id == review_id)
    if wanted:
        clauses.append(audit_log.c.subject.in_(wanted))
    if not clauses:
        return []
    rows = conn.execute(select(audit_log).where(or_(*clauses)).order_by(audit_log.c.id.desc()).limit(limit))
    return [_entry(r) for r in rows]


def since(conn: Connection, when: datetime, *, limit: int = 500) -> list[AuditEntry]:
    """Everything people did since `when` (the last report), oldest first."""
    rows = conn.execute(select(audit_log).where(audit_log.c.at > when).order_by(audit_log.c.id).limit(limit))
    return [_entry(r) for r in rows]


def latest(conn: Connection, *, limit: int = 200) -> list[AuditEntry]:
    rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
    return [_entry(r) for r in rows]
