"""Runs one job: binds its name into the log context, records the run, and logs exactly one summary line.

A job is a plain function `job(app) -> dict[str, int | str]` (its counts); it is testable without APScheduler.
A run counts as a success only when its source delivered: a job that ran but fetched nothing it should have (Xero
answered 429) returns `{NOT_DELIVERED: "why"}` among its counts and is recorded as a failure with that reason. A
long job (watch_inbox idles for minutes) calls `mark_delivered()` as it goes, so `health` sees it working.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
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

NOT_DELIVERED = "not_delivered"  # a summary key: the run ended, but its source did not deliver (the value says why)
PROGRESS_EVERY_SECONDS = 30.0  # how often a long job's progress is written (a row update, not a log line)

_running: ContextVar[tuple[App, str, list[float]] | None] = ContextVar("running_job", default=None)


def mark_delivered() -> None:
    """Called by a long-running job when its source has just delivered (a pass over the inbox, an IDLE wait that
    ended normally): recorded as the job's latest success, at most every PROGRESS_EVERY_SECONDS. Outside a job
    run it does nothing."""
    running = _running.get()
    if running is None:
        return
    app, name, last = running
    if last and time.monotonic() - last[0] < PROGRESS_EVERY_SECONDS:
        return
    last[:] = [time.monotonic()]
    _upsert(app, name, {"last_success_at": app.clock(), "last_error": ""})


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
    token = _running.set((app, name, []))
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
        finally:
            _running.reset(token)
        duration = round(time.monotonic() - t0, 3)
        record = {**summary, "duration_s": duration}
        undelivered = summary.get(NOT_DELIVERED)
        if undelivered:
            # It ran to the end, but what it is for did not happen: health must not call that a success.
            log.warning("job_finished", duration_s=duration, **summary)
            reason = f"not delivered: {undelivered}"[:2000]
            _upsert(app, name, {"last_failure_at": app.clock(), "last_error": reason, "last_summary": record})
            return summary
        log.info("job_finished", duration_s=duration, **summary)
        _upsert(app, name, {"last_success_at": app.clock(), "last_error": "", "last_summary": record})
        return summary
