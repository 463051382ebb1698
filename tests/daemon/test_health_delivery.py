"""Health says whether each source delivered recently, and why not: a run that fetched nothing (a 429) is not a
success, a long inbox watch counts as it goes, lateness is judged from the daemon's start, and daily jobs whose
time passed while the daemon was down run once at start."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.errors import RateLimited
from integrations.xero.fake import FakeAccounting
from tests.daemon.conftest import make_app
from tests.report.seed import add_job_run
from worker.app import App
from worker.commands.daemon import xero_quota_line
from worker.health import Health, read_job_states
from worker.jobs import runner
from worker.jobs.runner import NOT_DELIVERED, mark_delivered, run_job
from worker.jobs.xero_sync import sync_xero
from worker.scheduler import build_scheduler
from worker.store.tables import job_runs
from worker.timetable import JobPlan, plan_jobs

NZ = ZoneInfo("Pacific/Auckland")
GRACE = timedelta(minutes=5)


def row(engine: Engine, job: str) -> object:
    with engine.connect() as conn:
        return conn.execute(select(job_runs).where(job_runs.c.job == job)).one()


def test_a_run_that_did_not_deliver_is_recorded_with_why_and_not_as_a_success(
    settings: Settings, engine: Engine
) -> None:
    app = make_app(settings, engine)
    run_job(app, "sync_xero", lambda app: {"orders_new": 0})
    first = row(engine, "sync_xero")
    run_job(app, "sync_xero", lambda app: {"orders_new": 2, NOT_DELIVERED: "Xero's day rate limit (429)"})
    after = row(engine, "sync_xero")
    assert after.last_success_at == first.last_success_at  # type: ignore[attr-defined]
    assert after.last_error == "not delivered: Xero's day rate limit (429)"  # type: ignore[attr-defined]
    with engine.connect() as conn:
        [state] = read_job_states(
            conn,
            [JobPlan(name="sync_xero", every=timedelta(minutes=5))],
            now=datetime.now(UTC),
            daemon_since=None,
            late_factor=3,
            grace=GRACE,
        )
    assert state.failing and "not delivered: Xero's day rate limit" in " ".join(
        Health(daemon=None, jobs=(state,)).lines(datetime.now(UTC))
    )


def test_a_sync_that_met_a_429_says_it_did_not_deliver_and_keeps_the_quota(settings: Settings, engine: Engine) -> None:
    accounting = FakeAccounting()
    accounting.fail_next("open_orders", RateLimited("GET Invoices: Xero day rate limit", limit="day", retry_after=600))
    app = App(
        settings=settings,
        engine=engine,
        clock=lambda: datetime.now(UTC),
        accounting=accounting,
        registrar=None,  # type: ignore[arg-type]
        mailer=None,
        open_mailbox=None,
    )
    assert run_job(app, "sync_xero", sync_xero) is not None
    assert row(engine, "sync_xero").last_success_at is None  # type: ignore[attr-defined]
    assert "day rate limit (429)" in row(engine, "sync_xero").last_error  # type: ignore[attr-defined]


def test_status_shows_the_quota_xero_last_stated_to_the_sync(settings: Settings, engine: Engine) -> None:
    app = make_app(settings, engine)
    run_job(app, "sync_xero", lambda app: {"minute_remaining": 41, "day_remaining": 4870})
    with engine.connect() as conn:
        states = read_job_states(
            conn,
            plan_jobs(settings, ["sync_xero"]),
            now=datetime.now(UTC),
            daemon_since=None,
            late_factor=3,
            grace=GRACE,
        )
    line = xero_quota_line(Health(daemon=None, jobs=tuple(states)), datetime.now(UTC))
    assert line.startswith("xero quota: minute 41, day 4870 (as of the last sync,")
    assert "not known yet" in xero_quota_line(Health(daemon=None, jobs=()), datetime.now(UTC))


def test_a_long_inbox_watch_counts_as_delivered_while_it_runs(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failure (an IMAP restart), the next watch is seen succeeding within its first pass, not minutes later
    when it ends."""
    monkeypatch.setattr(runner, "PROGRESS_EVERY_SECONDS", 0.0)
    app = make_app(settings, engine)
    with engine.begin() as conn:
        add_job_run(conn, "watch_inbox", success=None, failure=datetime.now(UTC), error="TransientError: IMAP gone")
    seen: list[object] = []
    release = threading.Event()

    def watch(app: App) -> dict[str, int]:
        mark_delivered()  # the first pass read the inbox
        seen.append(row(engine, "watch_inbox").last_success_at)  # type: ignore[attr-defined]
        release.wait(5)
        return {"waits": 1}

    thread = threading.Thread(target=run_job, args=(app, "watch_inbox", watch))
    thread.start()
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    thread.join(10)
    assert seen and seen[0] is not None, "the success was recorded while the job was still running"
    mark_delivered()  # outside a job: nothing to record, and no error


def test_lateness_is_judged_from_the_daemon_start_after_downtime(engine: Engine) -> None:
    """The report last went 30 h ago because the daemon was down; it started 10 min ago: not late (yet)."""
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        add_job_run(conn, "send_report", success=now - timedelta(hours=30))
    daily = JobPlan(name="send_report", at=day_time(7, 0), run_at_start=False)
    with engine.connect() as conn:
        [fresh] = read_job_states(
            conn, [daily], now=now, daemon_since=now - timedelta(minutes=10), late_factor=3, grace=GRACE
        )
        [down] = read_job_states(conn, [daily], now=now, daemon_since=None, late_factor=3, grace=GRACE)
    assert not fresh.late and down.late


@pytest.mark.parametrize(
    ("last_success", "runs_at_start"),
    [
        (datetime(2026, 11, 25, 7, 0, 5, tzinfo=NZ), True),  # yesterday's: today's 07:00 passed while down
        (datetime(2026, 11, 26, 7, 0, 5, tzinfo=NZ), False),  # today's already went
        (None, False),  # never ran: the first report comes at its hour
    ],
)
def test_a_daily_job_missed_while_the_daemon_was_down_runs_once_at_start(
    settings: Settings, sqlite_engine: Engine, last_success: datetime | None, runs_at_start: bool
) -> None:
    now = datetime(2026, 11, 26, 9, 30, tzinfo=NZ)
    if last_success is not None:
        with sqlite_engine.begin() as conn:
            add_job_run(conn, "send_report", success=last_success.astimezone(UTC))
    app = make_app(settings, sqlite_engine, clock=lambda: now.astimezone(UTC))
    jobs: dict[str, Callable[[App], dict[str, int]]] = {"send_report": lambda app: {}}
    scheduler = build_scheduler(app, jobs, plan_jobs(settings, jobs), stopping=threading.Event())
    scheduler.start(paused=True)
    try:
        [job] = scheduler.get_jobs()
        assert (job.next_run_time == now) is runs_at_start, job.next_run_time
        if not runs_at_start:
            assert job.next_run_time.astimezone(NZ).time() == day_time(7, 0)
    finally:
        scheduler.shutdown(wait=False)


def test_with_no_inbox_configured_nothing_watches_it(settings: Settings) -> None:
    """No "watch_inbox skipped" every 5 s (17,000 lines a day), and no inbox line in health."""
    import dataclasses

    assert settings.inbox.kind == "none"
    assert "watch_inbox" not in [p.name for p in plan_jobs(settings, ["watch_inbox", "sync_xero"])]
    maildir = dataclasses.replace(settings, inbox=dataclasses.replace(settings.inbox, kind="maildir"))
    assert "watch_inbox" in [p.name for p in plan_jobs(maildir, ["watch_inbox", "sync_xero"])]
