"""Kill the worker with SIGKILL at each boundary between an outside call and its recording, restart it, and check
that every paid order was registered or renewed exactly once and every receipt has exactly one payment.

The remote side is as permissive as real services can be, so what is proved is the worker's own checking: the
registrar takes a repeated renewal (charged twice; no exp-date guard) and counts every registration asked for,
and the books keep no Idempotency-Keys (as if Xero had pruned them), so a repeated note would be a second note."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from config.settings import load_settings
from integrations.registrar.fake import FakeRegistrar
from rules.model import Decision, DecisionKind, OrderKind
from worker.app import App
from worker.domains import hold_domain
from worker.jobs.dispatch import dispatch
from worker.outbox import OutboxPolicy, enqueue_effects_for_decision
from worker.store.orders import order_values
from worker.store.tables import orders, outbox, review_items

from .conftest import new_order, receipt_for
from .file_accounting import FileAccounting

pytestmark = pytest.mark.faults

DRIVER = Path(__file__).with_name("crash_driver.py")
ROOT = Path(__file__).resolve().parents[2]
BOUNDARIES = ["before_registrar_call", "after_registrar_call", "after_xero_write", "after_record"]


def _seed(engine: Engine, state: Path, *, extra: int = 0) -> list:
    """Three (plus `extra`) paid registrations and one paid renewal, queued as the matching job queues them."""
    now = datetime.now(UTC)
    registrar = FakeRegistrar(state_file=state / "registrar.json", exp_date_guard=False)
    registrar.add_ours("renew-me.nz", expires=date(2027, 1, 15))
    paid = [new_order(f"ORD-9{i:02d}", domain=f"crash{i}.nz") for i in range(3 + extra)]
    paid.append(new_order("ORD-999", kind=OrderKind.DOMAIN_RENEWAL, domain="renew-me.nz"))
    with engine.begin() as conn:
        hold_domain(conn, domain="renew-me.nz", expires=date(2027, 1, 15), now=now)
        for order in paid:
            receipt = receipt_for(order)
            conn.execute(
                orders.insert().values(
                    order_id=order.order_id,
                    **order_values(order),
                    status="paid",
                    paid_by=receipt.receipt_id,
                    updated_at=now,
                )
            )
            decision = Decision(receipt_id=receipt.receipt_id, kind=DecisionKind.AUTO, orders=(order.order_id,))
            enqueue_effects_for_decision(conn, decision=decision, receipt=receipt, orders=[order], now=now, zone=UTC)
    return paid


def _env(engine: Engine, state: Path, crash_at: str) -> dict[str, str]:
    env = {
        **os.environ,
        "RW_CRASH_DB": engine.url.render_as_string(hide_password=False),
        "RW_CRASH_STATE": str(state),
        "RW_CRASH_AT": crash_at,
    }
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            env["RW_CRASH_SEARCH_PATH"] = str(conn.exec_driver_sql("SHOW search_path").scalar_one())
    return env


def _crash(engine: Engine, state: Path, crash_at: str) -> subprocess.CompletedProcess[str]:
    env = _env(engine, state, crash_at)
    return subprocess.run([sys.executable, str(DRIVER)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def _restart(engine: Engine, state: Path) -> dict[str, int | str]:
    return dispatch(worker_app(engine, state), policy=OutboxPolicy(lease=timedelta(0)))


def worker_app(engine: Engine, state: Path) -> App:
    """A fresh worker (in the test process) on the same database and the same remote state as the driver."""

    def clock() -> datetime:
        return datetime.now(UTC)

    settings = load_settings(None, {"RW_WORKER_DATA_DIR": str(state)})
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=FileAccounting(state / "accounting.json"),
        registrar=FakeRegistrar(clock=clock, state_file=state / "registrar.json", exp_date_guard=False),
        mailer=None,
        open_mailbox=None,
    )


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_sigkill_at_a_boundary_then_restart_acts_exactly_once(engine: Engine, tmp_path: Path, boundary: str) -> None:
    """After a SIGKILL at the boundary and a restart: one registration/renewal per order, one payment per
    receipt, every order done, nothing pending."""
    paid = _seed(engine, tmp_path)
    crashed = _crash(engine, tmp_path, boundary)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    with engine.connect() as conn:
        assert (
            conn.execute(select(outbox.c.status).where(outbox.c.status == "running")).first() is not None
            or boundary == "after_record"
        )
    # The restart: a fresh worker (here in the test process) on the same database and the same remote state.
    counts = _restart(engine, tmp_path)
    assert counts["failed"] == 0 and counts["retry"] == 0, counts

    remote = json.loads((tmp_path / "registrar.json").read_text())
    accounting = json.loads((tmp_path / "accounting.json").read_text())
    for order in paid:
        op = "renew" if order.kind is OrderKind.DOMAIN_RENEWAL else "register"
        assert remote["applied"][op].get(order.domain) == 1, (order.order_id, remote["applied"])
        # Asked once: after the crash the worker found the effect at the registrar instead of asking again.
        assert remote["attempts"][op].get(order.domain) == 1, (order.order_id, remote["attempts"])
        payments = [p for p in accounting["payments"] if p["invoice_id"] == order.invoice_id]
        assert len(payments) == 1 and payments[0]["reference"] == f"pi_{order.order_id}"
        notes = [n for n in accounting["notes"] if n["invoice_id"] == order.invoice_id]
        assert len(notes) == 1, notes  # the restart read the History before writing it again
    assert remote["domains"]["renew-me.nz"]["expires"] == "2028-01-15"
    with engine.connect() as conn:
        assert {r.status for r in conn.execute(select(orders.c.status))} == {"done"}
        assert {r.status for r in conn.execute(select(outbox.c.status))} == {"done"}
        assert conn.execute(select(review_items)).first() is None


def test_two_worker_processes_started_together_act_once(engine: Engine, tmp_path: Path) -> None:
    """Two worker processes dispatch the same queue at the same time: each order is bought and paid once."""
    paid = _seed(engine, tmp_path, extra=16)
    env = {**_env(engine, tmp_path, ""), "RW_CRASH_LEASE_SECONDS": "900"}
    workers = [
        subprocess.Popen(
            [sys.executable, str(DRIVER)], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    counts = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert sum(c["done"] for c in counts) == len(paid) * 3  # payment, registration or renewal, note
    remote = json.loads((tmp_path / "registrar.json").read_text())
    accounting = json.loads((tmp_path / "accounting.json").read_text())
    for order in paid:
        op = "renew" if order.kind is OrderKind.DOMAIN_RENEWAL else "register"
        assert remote["applied"][op].get(order.domain) == 1
        assert remote["attempts"][op].get(order.domain) == 1
        assert len([p for p in accounting["payments"] if p["invoice_id"] == order.invoice_id]) == 1
        assert len([n for n in accounting["notes"] if n["invoice_id"] == order.invoice_id]) == 1
