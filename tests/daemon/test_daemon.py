"""The daemon: its timetable, the one-per-database lock, clean stops on signals, and surviving failing jobs."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, select

from config.settings import Settings
from tests.daemon.conftest import make_app, url_for, with_inbox
from worker.app import App
from worker.scheduler import build_scheduler, serve
from worker.single_instance import AlreadyRunning, acquire_instance_lock, current_holder
from worker.store.tables import job_runs
from worker.timetable import plan_jobs

ROOT = Path(__file__).resolve().parents[2]
ALL_JOBS = (
    "sync_xero",
    "watch_inbox",
    "match_receipts",
    "dispatch_outbox",
    "raise_renewals",
    "sync_registrar",
    "send_report",
)


def nothing(app: App) -> dict[str, int]:
    return {}


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_scheduler_holds_each_job_with_safe_defaults(settings: Settings, sqlite_engine: Engine) -> None:
    """Every daemon job is scheduled once, coalesced, one instance, with the misfire grace, in the worker's zone."""
    settings = with_inbox(settings)
    jobs = {name: nothing for name in ALL_JOBS}
    app = make_app(settings, sqlite_engine)
    scheduler = build_scheduler(app, jobs, plan_jobs(settings, jobs), stopping=threading.Event())
    scheduler.start(paused=True)
    try:
        scheduled = {job.id: job for job in scheduler.get_jobs()}
        assert set(scheduled) == set(ALL_JOBS)
        for job in scheduled.values():
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 300)
        assert str(scheduler.timezone) == "Pacific/Auckland"
        assert scheduled["sync_xero"].trigger.interval == timedelta(minutes=5)
        report = scheduled["send_report"].trigger
        assert {f.name: str(f) for f in report.fields}["hour"] == "7"
        assert {f.name: str(f) for f in report.fields}["minute"] == "0"
        assert str(report.timezone) == "Pacific/Auckland"
        assert scheduled["watch_inbox"].executor == "inbox"
        assert {job.executor for name, job in scheduled.items() if name != "watch_inbox"} == {"default"}
        assert scheduler._executors["default"]._pool._max_workers == 1
    finally:
        scheduler.shutdown(wait=False)


def test_only_provided_jobs_are_planned(settings: Settings) -> None:
    """Jobs nobody has written are left out; poll_inbox stands in for watch_inbox; send_report is daily at 07:00."""
    settings = with_inbox(settings)
    plans = {p.name: p for p in plan_jobs(settings, ["poll_inbox", "match_receipts", "send_report", "other"])}
    assert set(plans) == {"poll_inbox", "match_receipts", "send_report"}
    assert plans["poll_inbox"].every == timedelta(seconds=5)
    assert plans["send_report"].describe() == "daily at 07:00"
    assert not plans["send_report"].run_at_start


def test_failing_job_is_logged_with_traceback_and_runs_again(fast_settings: Settings, engine: Engine) -> None:
    """A job that raises is recorded and logged with its traceback; it runs again and the other jobs go on."""
    calls = {"boom": 0, "fine": 0}

    def boom(app: App) -> dict[str, int]:
        calls["boom"] += 1
        raise RuntimeError("registrar exploded")

    def fine(app: App) -> dict[str, int]:
        calls["fine"] += 1
        return {"ok": 1}

    stop = threading.Event()
    app = make_app(fast_settings, engine)
    with structlog.testing.capture_logs() as logs:
        thread = threading.Thread(
            target=serve,
            args=(app, {"match_receipts": boom, "dispatch_outbox": fine}),
            kwargs={"stop": stop, "install_signal_handlers": False},
        )
        thread.start()
        try:
            wait_for(lambda: calls["boom"] >= 2 and calls["fine"] >= 2)
        finally:
            stop.set()
            thread.join(10)
    assert not thread.is_alive()
    failures = [e for e in logs if e["event"] == "job_failed"]
    assert failures and failures[0]["exc_info"] is True and failures[0]["log_level"] == "error"
    with engine.connect() as conn:
        rows = {r.job: r for r in conn.execute(select(job_runs))}
    assert rows["match_receipts"].last_error == "RuntimeError: registrar exploded"
    assert rows["match_receipts"].last_success_at is None
    assert rows["dispatch_outbox"].last_success_at is not None


def test_lock_is_exclusive_and_names_its_holder(settings: Settings, engine: Engine) -> None:
    """While one holder has the lock a second attempt fails naming pid and host; after release it is free."""
    now = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    lock = acquire_instance_lock(engine, settings.worker.data_dir, now=now)
    try:
        with pytest.raises(AlreadyRunning) as caught:
            acquire_instance_lock(engine, settings.worker.data_dir, now=now)
        assert caught.value.holder is not None and caught.value.holder.pid == os.getpid()
        assert f"pid {os.getpid()}" in str(caught.value)
        holder = current_holder(engine, settings.worker.data_dir)
        assert holder is not None and holder.since == now
    finally:
        lock.release()
    assert current_holder(engine, settings.worker.data_dir) is None
    acquire_instance_lock(engine, settings.worker.data_dir, now=now).release()


def _daemon(tmp_path: Path, url: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.daemon.daemon_process", str(tmp_path / "var"), url, str(seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_second_run_exits_non_zero_naming_the_holder(tmp_path: Path, engine: Engine) -> None:
    """`reseller-worker run` against a database whose daemon is running says who holds it and exits 3."""
    url = url_for(engine)
    first = _daemon(tmp_path, url, 0.1)
    try:
        wait_for(lambda: (tmp_path / "var" / "job.log").exists())
        env = {k: v for k, v in os.environ.items() if not k.startswith("RW_")}
        env.update({"RW_WORKER_DATA_DIR": str(tmp_path / "var"), "RW_WORKER_DATABASE_URL": url})
        second = subprocess.run(
            [sys.executable, "-m", "worker", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 3, second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert "another reseller-worker daemon is running" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_lets_the_running_job_finish(tmp_path: Path, sqlite_engine: Engine, signum: int) -> None:
    """SIGTERM or SIGINT during a job: the job completes and is recorded, no new run starts, exit status 0."""
    first = _daemon(tmp_path, url_for(sqlite_engine), 1.5)
    log = tmp_path / "var" / "job.log"
    try:
        wait_for(lambda: log.exists() and "started" in log.read_text())
        first.send_signal(signum)
        _, stderr = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert log.read_text() == "started\nfinished\n"
    assert "daemon_stopped" in stderr
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(job_runs).where(job_runs.c.job == "match_receipts")).one()
    assert row.last_success_at is not None and row.last_summary["slept"] == 1


def test_a_job_that_takes_stop_is_told_when_the_daemon_stops(settings: Settings, sqlite_engine: Engine) -> None:
    """A waiting job (watch_inbox in IDLE) gets `stop` and returns promptly when the daemon is stopped."""
    waiting = threading.Event()
    finished: list[bool] = []

    def watch_inbox(app: App, *, stop: Callable[[], bool] | None = None) -> dict[str, int]:
        waiting.set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (stop and stop()):
            time.sleep(0.05)
        finished.append(bool(stop and stop()))
        return {"waits": 1}

    stop = threading.Event()
    app = make_app(with_inbox(settings), sqlite_engine)
    thread = threading.Thread(
        target=serve,
        args=(app, {"watch_inbox": watch_inbox}),
        kwargs={"stop": stop, "install_signal_handlers": False},
    )
    started = time.monotonic()
    thread.start()
    waiting.wait(10)
    stop.set()
    thread.join(20)
    assert not thread.is_alive() and finished == [True]
    assert time.monotonic() - started < 15


def test_expected_skips_are_not_logged_as_warnings(
    settings: Settings, sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A long job overlapping its own interval does not put a warning in the log every tick."""
    app = make_app(settings, sqlite_engine)
    build_scheduler(app, {}, [], stopping=threading.Event())
    logger = logging.getLogger("apscheduler.scheduler")
    with caplog.at_level(logging.WARNING, logger="apscheduler.scheduler"):
        logger.warning('Execution of job "%s" skipped: maximum number of running instances reached (%d)', "x", 1)
        logger.warning("Scheduler is shutting down hard")
    assert [r.getMessage() for r in caplog.records] == ["Scheduler is shutting down hard"]


def test_lock_knows_when_it_is_lost(settings: Settings, engine: Engine) -> None:
    """The lock reports itself held; on PostgreSQL a killed session means lost, and release still works."""
    from sqlalchemy import text

    from worker.single_instance import PostgresInstanceLock

    lock = acquire_instance_lock(engine, settings.worker.data_dir, now=datetime.now(UTC))
    assert lock.held()
    if isinstance(lock, PostgresInstanceLock):
        pid = lock.conn.execute(text("SELECT pg_backend_pid()")).scalar()
        lock.conn.commit()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert not lock.held()
        assert current_holder(engine, settings.worker.data_dir) is None
    lock.release()
    acquire_instance_lock(engine, settings.worker.data_dir, now=datetime.now(UTC)).release()


def test_daemon_stops_with_its_own_status_when_the_lock_is_lost(settings: Settings, sqlite_engine: Engine) -> None:
    """A lost lock stops the daemon (exit 4) instead of running on beside a possible second daemon."""
    from worker.scheduler import EXIT_LOCK_LOST

    class LostLock:
        def held(self) -> bool:
            return False

        def release(self) -> None:
            pass

    app = make_app(settings, sqlite_engine)
    status = serve(
        app, {"match_receipts": nothing}, install_signal_handlers=False, lock=LostLock(), lock_check_seconds=0
    )
    assert status == EXIT_LOCK_LOST
