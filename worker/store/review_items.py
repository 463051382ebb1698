"""Raising review items: whatever a person must decide or do by hand, one open item per (kind, subject).

Every area raises items through `raise_review_item` (matching, the inbox, the outbox, renewals); resolving them is
`worker.review`'s. Kept here, below both, so the outbox can raise items and review can queue effects without
either importing the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from worker.store.tables import review_items


def raise_review_item(
    conn: Connection,
    *,
    kind: str,
    subject: str,
    reason: str,
    now: datetime,
    suggested_action: str = "",
    candidates: Sequence[str] = (),
    detail: Mapping[str, Any] | None = None,
) -> bool:
    """Add an open review item; returns False when one of this kind for this subject already exists."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(review_items)
        .values(
            kind=kind,
            subject=subject[:255],
            reason=reason,
            suggested_action=suggested_action,
            candidates=list(candidates),
            detail=dict(detail or {}),
            status="open",
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "subject"])
        .returning(review_items.c.id)
    )
    # RETURNING, not rowcount: psycopg reports rowcount -1 for an INSERT that returns the implicit primary key.
    return conn.execute(stmt).first() is not None
