"""What runs when: one plan per daemon job, from settings. The scheduler follows it and `health` judges by it.

Pure and free of APScheduler, so `health` and `status` can read it without building a scheduler.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from config.settings import Settings

# The daemon's jobs, most frequent first. `poll_inbox` stands in for `watch_inbox` when only it exists.
DAEMON_JOBS: tuple[str, ...] = (
    "watch_inbox",
    "match_receipts",
    "match_payouts",
    "dispatch_outbox",
    "sync_xero",
    "raise_renewals",
    "sync_registrar",
    "sync_provider_bills",
    "check_registrar_balance",
    "send_report",
)
INBOX_FALLBACK = "poll_inbox"
DAY = timedelta(days=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class JobPlan:
    """One job's timetable: every `every`, or daily at `at` (local time)."""

    name: str
    every: timedelta | None = None
    at: time | None = None
    run_at_start: bool = True  # interval jobs run once as soon as the daemon starts
    executor: str = "default"

    @property
    def expected_interval(self) -> timedelta:
        return self.every if self.every is not None else DAY

    def late_after(self, late_factor: int, grace: timedelta) -> timedelta:
        """How old the last success may be before the job counts as late."""
        if self.every is None:
            # A daily job is late when a whole day passes without it, plus the grace and an hour of slack.
            return DAY + grace + timedelta(hours=1)
        return self.every * late_factor + grace

    def last_due(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """For a daily job, the latest time it was due at or before `now`; None for an interval job."""
        if self.every is not None or self.at is None:
            return None
        local = now.astimezone(zone)
        due = datetime.combine(local.date(), self.at, tzinfo=zone)
        if due > local:
            due = datetime.combine(local.date() - DAY, self.at, tzinfo=zone)
        return due

    def missed(self, last_success: datetime | None, now: datetime, zone: ZoneInfo) -> bool:
        """A daily job whose time came while the daemon was down: it runs once at start rather than a day late.
        One that never ran waits for its time (the first morning report comes at its hour, not at install)."""
        due = self.last_due(now, zone)
        return due is not None and last_success is not None and last_success < due

    def describe(self) -> str:
        if self.every is not None:
            return f"every {_span(self.every)}"
        return f"daily at {self.at:%H:%M}" if self.at is not None else "daily"


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _clock(value: str) -> time:
    hh, _, mm = value.partition(":")
    return time(int(hh), int(mm))


def plan_jobs(settings: Settings, available: Iterable[str]) -> list[JobPlan]:
    """The plans for the daemon jobs that exist (`available` names) and have something to do, in DAEMON_JOBS
    order."""
    names = set(available)
    schedule = settings.report.schedule
    plans: list[JobPlan] = []
    for name in DAEMON_JOBS:
        chosen = name
        if name == "watch_inbox" and settings.inbox.kind == "none":
            continue  # no inbox: nothing to watch (and no "skipped" line every few seconds, nor a health line)
        if name == "watch_inbox" and name not in names and INBOX_FALLBACK in names:
            chosen = INBOX_FALLBACK
        if chosen not in names:
            continue
        if name == "send_report":
            plans.append(JobPlan(name=chosen, at=_clock(settings.report.send_at), run_at_start=False))
        elif name == "sync_registrar":
            plans.append(JobPlan(name=chosen, at=_clock(schedule.sync_registrar_at), run_at_start=False))
        elif name == "sync_provider_bills":
            plans.append(JobPlan(name=chosen, at=_clock(settings.provider.read_bills_at), run_at_start=False))
        elif name == "check_registrar_balance":
            plans.append(JobPlan(name=chosen, every=timedelta(minutes=settings.provider.balance_check_minutes)))
        else:
            seconds = schedule.seconds(name) or 300
            # IDLE holds its connection while it waits for mail, so the inbox gets its own thread and never
            # delays matching or dispatch; every other job shares the one default thread.
            executor = "inbox" if name == "watch_inbox" else "default"
            plans.append(JobPlan(name=chosen, every=timedelta(seconds=seconds), executor=executor))
    return plans


def missing_jobs(available: Iterable[str]) -> list[str]:
    """Daemon jobs nobody has provided yet (logged at start, shown by `status`)."""
    names = set(available)
    return [
        name for name in DAEMON_JOBS if name not in names and not (name == "watch_inbox" and INBOX_FALLBACK in names)
    ]
