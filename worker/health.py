"""Is the worker alive and on time? Judged from `job_runs` against the timetable, plus who holds the daemon lock.

`reseller-worker health` exits non-zero when the daemon is not running or any job is late (Docker's
HEALTHCHECK, monitoring); `status` and the morning report show the same states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from worker.single_instance import Holder
from worker.store.database import aware as aware  # re-exported: the report and the pages read it from here
from worker.store.tables import job_runs
from worker.timetable import JobPlan


@dataclass(frozen=True, kw_only=True, slots=True)
class JobState:
    """One job's record and what it means."""

    name: str
    plan: str  # "every 5 min", "daily at 07:00"
    last_started_at: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str
    last_summary: Mapping[str, Any]
    late: bool
    failing: bool  # the latest run raised

    @property
    def problem(self) -> str:
        """Empty when all is well; else what is wrong, in words."""
        parts = []
        if self.late:
            parts.append(
                "late: no success " + ("since " + _when(self.last_success_at) if self.last_success_at else "yet")
            )
        if self.failing:
            parts.append(f"failing since {_when(self.last_failure_at)}: {self.last_error}")
        return "; ".join(parts)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def read_job_states(
    conn: Connection,
    plans: Sequence[JobPlan],
    *,
    now: datetime,
    daemon_since: datetime | None,
    late_factor: int,
    grace: timedelta,
) -> list[JobState]:
    """The state of each planned job, judged from its last success or from when the daemon started, whichever is
    later: a daemon that was down across a job's time is not late for it the moment it is back (it runs missed
    daily jobs at start), and a job never run is judged from the start too."""
    rows = {row.job: row for row in conn.execute(select(job_runs))}
    states: list[JobState] = []
    for plan in plans:
        row = rows.get(plan.name)
        success = aware(row.last_success_at) if row else None
        failure = aware(row.last_failure_at) if row else None
        started = aware(row.last_started_at) if row else None
        reference = max((t for t in (success, daemon_since) if t is not None), default=None)
        late = reference is None or now - reference > plan.late_after(late_factor, grace)
        failing = failure is not None and (success is None or failure > success)
        states.append(
            JobState(
                name=plan.name,
                plan=plan.describe(),
                last_started_at=started,
                last_success_at=success,
                last_failure_at=failure,
                last_error=(row.last_error if row else "") or "",
                last_summary=dict(row.last_summary or {}) if row else {},
                late=late,
                failing=failing,
            )
        )
    return states


@dataclass(frozen=True, kw_only=True, slots=True)
class Health:
    daemon: Holder | None
    jobs: tuple[JobState, ...]

    @property
    def ok(self) -> bool:
        return self.daemon is not None and not any(job.late for job in self.jobs)

    def lines(self, now: datetime) -> list[str]:
        out = [f"daemon   {'running, ' + self.daemon.describe() if self.daemon else 'NOT RUNNING'}"]
        for job in self.jobs:
            word = "LATE" if job.late else ("FAILING" if job.failing else "ok")
            since = ago(now, job.last_success_at)
            out.append(f"{word:<8} {job.name:<16} last success {since} ({job.plan})")
            if job.failing:
                out.append(f"{'':<8} {'':<16} last error: {job.last_error[:300]}")
        return out


def ago(now: datetime, value: datetime | None) -> str:
    """How long before `now`, in words ("never" for None)."""
    if value is None:
        return "never"
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"
