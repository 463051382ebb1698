"""Approvals as the command line and the review page make them: through `worker.acting`, with an audit entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine

from config.settings import Settings
from worker.acting import act
from worker.approval import ApprovalRequest, ApprovalResult, approve


def approve_as_person(
    engine: Engine, request: ApprovalRequest, *, settings: Settings, now: datetime, confirmed: str | None = None
) -> ApprovalResult:
    """Run `approve` through `act` (committed with its audit entry, or rolled back when not ok) and return what
    `approve` itself said."""
    said: list[ApprovalResult] = []

    def run(conn: Connection, at: datetime) -> ApprovalResult:
        said.append(approve(conn, request, settings=settings, now=at))
        return said[-1]

    acted = act(
        engine, run, now=now, actor="test", via="test", action="approve", review_id=request.review_id,
        confirmed=confirmed,
    )  # fmt: skip
    assert acted.ok == (said[-1].ok and not acted.stale)
    return said[-1]
