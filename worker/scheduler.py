"""The daemon: one APScheduler 3 scheduler running the jobs on their timetable until SIGTERM or SIGINT.

The only module that imports APScheduler. Jobs share one worker thread, so they never race on the database;
`watch_inbox` alone gets a second thread because IDLE holds its connection open while it waits for mail.
Every run goes through `run_job`, so a job that raises is logged with its traceback and simply runs again
at its next time; the daemon stays up.
"""

from __future__ import annotations

import functools
import inspect
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.settings import Settings
from worker.jobs.runner import Job, run_job
from worker.single_instance import AlreadyRunning, InstanceLock, acquire_instance_lock
from worker.timetable import JobPlan, missing_jobs, plan_jobs

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from worker.app import App

log = structlog.get_logger(__name__)
EXIT_ALREADY_RUNNING = 3
EXIT_LOCK_LOST = 4


def _takes_stop(job: Job) -> bool:
    try:
        return "stop" in inspect.signature(job).parameters
    except (TypeError, ValueError):  # builtins and some callables have no signature
        return False


def _guarded(app: App, name: str, job: Job, stopping: threading.Event) -> Callable[[], None]:
    """What the scheduler calls: skip once stopping (queued runs must not start), else one recorded run."""

    # A long-running job (watch_inbox waits in IDLE) may take `stop`, so SIGTERM ends its wait within seconds.
    stoppable: Callable[..., Any] = job
    target: Job = functools.partial(stoppable, stop=stopping.is_set) if _takes_stop(job) else job

    def run() -> None:
        if stopping.is_set():
            log.info("job_skipped_stopping", job=name)
            return
        try:
            run_job(app, name, target)
        except Exception:
            # run_job already swallows job failures; this is the database itself failing to record the run.
            log.exception("job_not_recorded", job=name)

    return run


class _ExpectedSkips(logging.Filter):
    """Drop APScheduler's "skipped: maximum number of running instances" warning. With max_instances=1 it is by
    design (watch_inbox waits minutes while its 5-second interval keeps ticking); a job that is really stuck
    shows up as late in `health` and the report instead of as a warning every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def _quiet_expected_skips() -> None:
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _ExpectedSkips) for f in scheduler_log.filters):
        scheduler_log.addFilter(_ExpectedSkips())


def build_scheduler(
    app: App, jobs: Mapping[str, Job], plans: Sequence[JobPlan], *, stopping: threading.Event
) -> BackgroundScheduler:
    """A scheduler (not started) holding one APScheduler job per plan."""
    zone = app.settings.worker.zone
    schedule = app.settings.report.schedule
    _quiet_expected_skips()
    scheduler = BackgroundScheduler(
        timezone=zone,
        executors={"default": ThreadPoolExecutor(max_workers=1), "inbox": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": schedule.misfire_grace_seconds},
    )
    now = app.clock().astimezone(zone)
    successes = _last_successes(app)
    for plan in plans:
        trigger: Any
        if plan.every is not None:
            trigger = IntervalTrigger(seconds=int(plan.every.total_seconds()), timezone=zone)
        elif plan.at is not None:
            trigger = CronTrigger(hour=plan.at.hour, minute=plan.at.minute, timezone=zone)
        else:  # pragma: no cover - plan_jobs never builds one
            continue
        extra: dict[str, Any] = {"next_run_time": now} if plan.run_at_start else {}
        if plan.missed(successes.get(plan.name), now, zone):
            # Its time passed while the daemon was down (a restart across 03:30 or 07:00): run it now, once.
            log.info("job_missed_running_now", job=plan.name, due=str(plan.last_due(now, zone)))
            extra = {"next_run_time": now}
        scheduler.add_job(
            _guarded(app, plan.name, jobs[plan.name], stopping),
            trigger=trigger,
            id=plan.name,
            name=plan.name,
            executor=plan.executor,
            replace_existing=True,
            **extra,
        )
    return scheduler


def _last_successes(app: App) -> dict[str, datetime]:
    from sqlalchemy import select

    from worker.health import aware
    from worker.store.tables import job_runs

    with app.engine.connect() as conn:
        rows = conn.execute(select(job_runs.c.job, job_runs.c.last_success_at)).all()
    return {row.job: when for row in rows if (when := aware(row.last_success_at)) is not None}


def serve(
    app: App,
    jobs: Mapping[str, Job],
    *,
    stop: threading.Event | None = None,
    install_signal_handlers: bool = True,
    lock: InstanceLock | None = None,
    lock_check_seconds: float = 60.0,
) -> int:
    """Run until `stop` is set (SIGTERM and SIGINT set it); the job in progress finishes first. Returns 0, or
    EXIT_LOCK_LOST when the instance lock was lost (the service manager restarts us and we take it again)."""
    stop = stop or threading.Event()
    received: list[str] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    if install_signal_handlers:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    plans = plan_jobs(app.settings, jobs)
    scheduler = build_scheduler(app, jobs, plans, stopping=stop)
    scheduler.start()
    log.info(
        "daemon_started",
        timezone=app.settings.worker.timezone,
        jobs={plan.name: plan.describe() for plan in plans},
        missing=missing_jobs(jobs),
    )
    # Wake twice a second so a signal is noticed promptly whatever the platform does with blocking waits.
    lost = False
    next_check = time.monotonic() + lock_check_seconds
    while not stop.wait(0.5):
        if lock is not None and time.monotonic() >= next_check:
            next_check = time.monotonic() + lock_check_seconds
            if not lock.held():
                # Another daemon may now take the database; stop rather than risk two acting at once.
                log.error("instance_lock_lost")
                lost = True
                stop.set()
    log.info("daemon_stopping", signal=received[0] if received else ("lock lost" if lost else "stop requested"))
    scheduler.shutdown(wait=True)
    log.info("daemon_stopped")
    return EXIT_LOCK_LOST if lost else 0


def run_exclusive(settings: Settings, engine: Engine, make_app: Callable[[], App], jobs: Mapping[str, Job]) -> int:
    """`reseller-worker run`: take the one-per-database lock (before migrations or adapters, so a second daemon
    changes nothing), build the app, serve until stopped. Exit 3 naming the holder when the lock is taken."""
    try:
        lock = acquire_instance_lock(engine, settings.worker.data_dir, now=datetime.now(UTC))
    except AlreadyRunning as exc:
        print(f"reseller-worker: {exc}", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    try:
        return serve(make_app(), jobs, lock=lock)
    finally:
        lock.release()
