"""A live worker keeps its claims however long a handler runs (a heartbeat renews them); a dead worker's claims
are taken over once its short lease runs out, not after a quarter of an hour."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from worker.effects import Checkpoint, Done, Outcome
from worker.jobs.dispatch import dispatch
from worker.outbox import OutboxPolicy, OutboxRow, enqueue
from worker.store.tables import outbox

from .conftest import make_app
from .test_crash import DRIVER, ROOT, _env, _restart, _seed, worker_app

pytestmark = pytest.mark.faults


def now() -> datetime:
    return datetime.now(UTC)


def test_the_default_lease_is_about_a_minute_and_renewed_well_inside_it() -> None:
    policy = OutboxPolicy()
    assert policy.lease <= timedelta(minutes=1) and policy.heartbeat * 3 <= policy.lease


def test_a_live_worker_keeps_its_claim_through_a_handler_longer_than_the_lease(
    engine: Engine, settings: Settings
) -> None:
    app = make_app(engine, settings, now, FakeAccounting(), FakeRegistrar())
    policy = OutboxPolicy(lease=timedelta(seconds=1), heartbeat=timedelta(milliseconds=200))
    calls: list[str] = []
    started = threading.Event()

    def slow(app: object, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
        calls.append(row.claimed_by)
        started.set()
        time.sleep(3)  # three leases long
        return Done(result={})

    with engine.begin() as conn:
        enqueue(conn, key="slow:1", kind="slow", payload={}, now=now())
    first = threading.Thread(target=dispatch, args=(app,), kwargs={"policy": policy, "handlers": {"slow": slow}})
    first.start()
    assert started.wait(10)
    taken: list[dict[str, int | str]] = []
    for _ in range(4):  # another worker looks again and again while the handler runs
        time.sleep(0.5)
        taken.append(dispatch(app, policy=policy, worker_id="other", handlers={"slow": slow}))
    first.join(20)
    assert [t["claimed"] for t in taken] == [0, 0, 0, 0]
    assert len(calls) == 1
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.status)).scalar_one() == "done"


def test_a_dead_workers_claims_are_taken_over_when_its_lease_runs_out(engine: Engine, tmp_path: Path) -> None:
    """SIGKILL mid-dispatch; a restart at once finds the rows still claimed; one lease later it takes them over,
    and every order is still acted on exactly once."""
    paid = _seed(engine, tmp_path)
    env = {**_env(engine, tmp_path, "before_registrar_call"), "RW_CRASH_LEASE_SECONDS": "4"}
    crashed = subprocess.run([sys.executable, str(DRIVER)], env=env, cwd=ROOT, capture_output=True, text=True)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    killed_at = time.monotonic()
    lease = OutboxPolicy(lease=timedelta(seconds=4))
    with engine.connect() as conn:
        held = {r.idempotency_key for r in conn.execute(select(outbox).where(outbox.c.status == "running"))}
    assert held, "the dead worker held claims"
    # A restart at once runs what was never claimed and leaves the dead worker's claims alone.
    dispatch(worker_app(engine, tmp_path), policy=lease, worker_id="restart")
    with engine.connect() as conn:
        still = {r.idempotency_key for r in conn.execute(select(outbox).where(outbox.c.status == "running"))}
    assert time.monotonic() - killed_at < 4, "too slow a machine to tell"
    assert still == held
    time.sleep(max(0.0, killed_at + 4.3 - time.monotonic()))
    later = _restart(engine, tmp_path)
    assert later["claimed"] > 0 and later["failed"] == 0, later
    remote = json.loads((tmp_path / "registrar.json").read_text())
    assert all(sum(remote["applied"][op].get(o.domain, 0) for op in ("register", "renew")) == 1 for o in paid)
