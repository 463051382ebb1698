"""Health: a job is late when its last success is older than its interval x factor (+ grace); `health` exits
non-zero when the daemon is down or a job is late; `status` shows jobs, watermarks and the outbox backlog."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.daemon.conftest import url_for
from tests.report.seed import add_job_run, add_outbox
from worker.cli import main
from worker.daemon_jobs import daemon_jobs
from worker.health import Health, read_job_states
from worker.single_instance import Holder, acquire_instance_lock
from worker.timetable import JobPlan, plan_jobs

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
GRACE = timedelta(minutes=5)
FIVE_MIN = JobPlan(name="sync_xero", every=timedelta(minutes=5))
DAILY = JobPlan(name="send_report", at=time(7, 0), run_at_start=False)


def states(engine: Engine, *, daemon_since: datetime | None = NOW - timedelta(days=3)) -> dict[str, object]:
    with engine.connect() as conn:
        found = read_job_states(conn, [FIVE_MIN, DAILY], now=NOW, daemon_since=daemon_since, late_factor=3, grace=GRACE)
    return {s.name: s for s in found}


@pytest.mark.parametrize(
    ("age", "late"),
    [(timedelta(minutes=19), False), (timedelta(minutes=21), True)],
)
def test_interval_job_is_late_after_factor_times_interval_plus_grace(
    engine: Engine, age: timedelta, late: bool
) -> None:
    """Every 5 min with factor 3 and 5 min grace: 19 minutes is fine, 21 minutes is late."""
    with engine.begin() as conn:
        add_job_run(conn, "sync_xero", success=NOW - age)
    assert states(engine)["sync_xero"].late is late  # type: ignore[attr-defined]


def test_daily_job_is_late_only_after_a_missed_day(engine: Engine) -> None:
    """The daily report sent 24 h ago is on time; one sent 26 h ago is late."""
    with engine.begin() as conn:
        add_job_run(conn, "send_report", success=NOW - timedelta(hours=24))
    assert not states(engine)["send_report"].late  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM job_runs"))
        add_job_run(conn, "send_report", success=NOW - timedelta(hours=26))
    assert states(engine)["send_report"].late  # type: ignore[attr-defined]


def test_never_run_job_is_judged_from_daemon_start(engine: Engine) -> None:
    """A job with no run yet is on time just after the daemon started, late long after, late with no daemon."""
    assert not states(engine, daemon_since=NOW - timedelta(minutes=1))["sync_xero"].late  # type: ignore[attr-defined]
    assert states(engine, daemon_since=NOW - timedelta(hours=1))["sync_xero"].late  # type: ignore[attr-defined]
    assert states(engine, daemon_since=None)["sync_xero"].late  # type: ignore[attr-defined]


def test_failure_after_success_is_failing_with_its_error(engine: Engine) -> None:
    """The latest run raised: the job is failing (not yet late) and keeps the error text."""
    with engine.begin() as conn:
        add_job_run(
            conn,
            "sync_xero",
            success=NOW - timedelta(minutes=6),
            failure=NOW - timedelta(minutes=1),
            error="TransientError: Xero 503",
        )
    state = states(engine)["sync_xero"]
    assert state.failing and not state.late  # type: ignore[attr-defined]
    assert "Xero 503" in state.problem  # type: ignore[attr-defined]


def test_health_is_not_ok_without_a_daemon() -> None:
    """No lock holder means unhealthy even when no job is late."""
    assert not Health(daemon=None, jobs=()).ok
    assert Health(daemon=Holder(pid=1, host="h", since=NOW), jobs=()).ok


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: Engine) -> Path:
    """The CLI pointed at the test database through the environment."""
    monkeypatch.delenv("RW_CONFIG", raising=False)
    monkeypatch.setenv("RW_WORKER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RW_WORKER_DATABASE_URL", url_for(engine))
    return tmp_path / "var"


def test_health_command_exit_codes(cli_env: Path, engine: Engine, settings, capsys) -> None:  # type: ignore[no-untyped-def]
    """`health` exits 1 with no daemon, 0 with a daemon and every job fresh, 1 again once a job is late."""
    assert main(["health"]) == 1
    assert "NOT RUNNING" in capsys.readouterr().out
    now = datetime.now(UTC)
    names = [p.name for p in plan_jobs(settings, daemon_jobs())]
    with engine.begin() as conn:
        for name in names:
            add_job_run(conn, name, success=now)
    # The daemon has been up three days, so a job is judged from its own last success.
    lock = acquire_instance_lock(engine, cli_env, now=now - timedelta(days=3))
    try:
        assert main(["health"]) == 0, capsys.readouterr().out
        assert "HEALTHY" in capsys.readouterr().out
        with engine.begin() as conn:
            conn.execute(text("UPDATE job_runs SET last_success_at = :t"), {"t": now - timedelta(days=3)})
        assert main(["health"]) == 1
        assert "LATE" in capsys.readouterr().out
    finally:
        lock.release()


def test_status_shows_jobs_watermarks_and_backlog(cli_env: Path, engine: Engine, capsys) -> None:  # type: ignore[no-untyped-def]
    """`status` lists the daemon, the outbox backlog by state and every watermark, and tolerates no Xero."""
    with engine.begin() as conn:
        add_outbox(conn, "register:a.nz:ORD-1", "register_domain", {}, status="pending")
        add_outbox(conn, "register:b.nz:ORD-2", "register_domain", {}, status="failed")
        conn.execute(
            text(
                "INSERT INTO watermarks (name, value, updated_at) "
                "VALUES ('xero_invoices', '2026-11-26T05:00:00+00:00', :t)"
            ),
            {"t": NOW},
        )
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "daemon   NOT RUNNING" in out
    assert "outbox: 1 waiting (pending 1, running 0), failed 1, done 0" in out
    assert "watermark xero_invoices: 2026-11-26T05:00:00+00:00" in out
    assert "xero quota:" in out
