"""Runs one job: binds its name into the log context, records the run, and logs exactly one summary line.

A job is a plain function `job(app) -> dict[str, int | str]` (its counts); it is testable without APScheduler.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.dialects import postgresql, sqlite

from worker.store.tables import job_runs

if TYPE_CHECKING:
    from worker.app import App

Summary = Mapping[str, Any]
Job = Callable[["App"], Summary]

log = structlog.get_logger("worker.jobs")


def _upsert(app: App, job: str, values: dict[str, Any]) -> None:
    dialect = app.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(job_runs).values(job=job, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["job"], set_=values)
    with app.engine.begin() as conn:
        conn.execute(stmt)


def run_job(app: App, name: str, job: Job, *, reraise: bool = False) -> Summary | None:
    """Run `job`; a failure is logged with its traceback and recorded, and (unless `reraise`) swallowed so the
    daemon stays up and the job runs again next time."""
    started: datetime = app.clock()
    _upsert(app, name, {"last_started_at": started})
    t0 = time.monotonic()
    with structlog.contextvars.bound_contextvars(job=name, run_id=uuid.uuid4().hex[:12]):
        try:
            summary = dict(job(app))
        except Exception as exc:
            duration = round(time.monotonic() - t0, 3)
            log.exception("job_failed", duration_s=duration)
            _upsert(app, name, {"last_failure_at": app.clock(), "last_error": f"{type(exc).__name__}: {exc}"[:2000]})
            if reraise:
                raise
            return None
        duration = round(time.monotonic() - t0, 3)
        log.info("job_finished", duration_s=duration, **summary)
        _upsert(
            app,
            name,
            {"last_success_at": app.clock(), "last_error": "", "last_summary": {**summary, "duration_s": duration}},
        )
        return summary
