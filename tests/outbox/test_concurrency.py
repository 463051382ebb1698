"""Two dispatchers against one database at the same time: every row runs once, nothing is bought twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from worker.app import App
from worker.jobs.dispatch import dispatch
from worker.outbox import OutboxPolicy
from worker.store.database import make_engine
from worker.store.tables import outbox

from .conftest import make_app, new_order, pay, payments_for


@pytest.mark.faults
def test_two_workers_never_act_twice(app: App, accounting: FakeAccounting, registrar: FakeRegistrar) -> None:
    """40 paid registrations dispatched by two threads with their own connections: 40 registrations, 40
    payments, no row run by both."""
    orders = [new_order(f"ORD-{6000 + i}", domain=f"d{i}.nz") for i in range(40)]
    for order in orders:
        pay(app, accounting, order)
    extra = {"connect_args": {"options": _search_path(app)}} if app.engine.dialect.name == "postgresql" else {}
    second_engine = make_engine(app.engine.url.render_as_string(hide_password=False), **extra)
    other = make_app(second_engine, app.settings, app.clock, accounting, registrar)
    results: dict[str, dict[str, int | str]] = {}
    barrier = threading.Barrier(2)
    policy = OutboxPolicy(batch=5)

    def run(name: str, which: App) -> None:
        barrier.wait()
        results[name] = dispatch(which, policy=policy, worker_id=name)

    threads = [threading.Thread(target=run, args=("w1", app)), threading.Thread(target=run, args=("w2", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    second_engine.dispose()
    for order in orders:
        assert registrar.applied("register", order.domain) == 1
        assert len(payments_for(accounting, order.invoice_id)) == 1
    assert registrar.calls("register") == 40
    with app.engine.connect() as conn:
        statuses = {r.status for r in conn.execute(select(outbox.c.status))}
    assert statuses == {"done"}
    total = int(results["w1"]["done"]) + int(results["w2"]["done"])
    assert total == 120  # 40 payments, 40 registrations, 40 history notes: each done by exactly one worker
    assert int(results["w1"]["lost_claim"]) == int(results["w2"]["lost_claim"]) == 0


def _search_path(app: App) -> str:
    with app.engine.connect() as conn:
        return f"-csearch_path={conn.exec_driver_sql('SHOW search_path').scalar_one()}"
