"""Real kills (SIGKILL of a worker process) around a payout's two effects, against the Xero sandbox with its
Idempotency-Key memory wiped, so only the worker's own check before acting can prevent a double booking: a crash
between the fee and the transfer, and one payout seen twice (its notice, then its bank line, across the crash),
leave exactly one fee and one transfer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from integrations.xero.sandbox import XeroSandbox
from rules.money import Money
from rules.payouts import Sighting, SightingSource
from worker.jobs.dispatch import dispatch
from worker.jobs.payouts import add_sighting
from worker.outbox import OutboxPolicy
from worker.store.payout_tables import payouts
from worker.store.tables import outbox

from .conftest import net
from .test_sandbox_payouts import STRIPE_LINE, TODAY, _bank_line, _cycle, _paid_by_card

pytestmark = [pytest.mark.faults, pytest.mark.xero]
DRIVER = Path(__file__).with_name("fault_driver.py")
ROOT = Path(__file__).resolve().parents[2]


def _env(engine: Engine, state: Path, sb: XeroSandbox, crash_at: str, nth: int = 1) -> dict[str, str]:
    env = {
        **os.environ,
        "RW_CRASH_DB": engine.url.render_as_string(hide_password=False),
        "RW_CRASH_STATE": str(state),
        "RW_CRASH_XERO": sb.base_url,
        "RW_CRASH_AT": crash_at,
        "RW_CRASH_NTH": str(nth),
    }
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            env["RW_CRASH_SEARCH_PATH"] = str(conn.exec_driver_sql("SHOW search_path").scalar_one())
    return env


def _crash(engine: Engine, state: Path, sb: XeroSandbox, crash_at: str, nth: int = 1) -> None:
    done = subprocess.run(
        [sys.executable, str(DRIVER)],
        env=_env(engine, state, sb, crash_at, nth),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]


def _booked(sb: XeroSandbox, reference: str) -> tuple[int, int]:
    fees = [
        bt
        for bt in sb.books.bank_transactions.values()
        if bt.data["Type"] == "SPEND" and bt.data.get("Reference") == reference
    ]
    transfers = [t for t in sb.books.bank_transfers.values() if t.data.get("Reference") == reference]
    return len(fees), len(transfers)


def _setup(engine: Engine, tmp_path: Path, sb: XeroSandbox):  # type: ignore[no-untyped-def]
    from tests.xero.sandbox_books import make_adapter

    from .conftest import gateway_settings, make_app

    app = make_app(engine, gateway_settings(tmp_path), lambda: datetime.now(UTC), make_adapter(sb, space_polls=False))
    for n, amount in ((1, "45.00"), (2, "30.00"), (3, "120.00")):
        _paid_by_card(app, sb, n, amount, TODAY - timedelta(days=10 - n), "stripe")
    _cycle(app)  # the card payments land on the clearing account
    return app


@pytest.mark.parametrize("boundary", ["after_xero_write", "after_record"])
def test_a_crash_between_the_fee_and_the_transfer_books_each_once(
    engine: Engine,
    tmp_path: Path,
    sandbox: XeroSandbox,
    boundary: str,
) -> None:
    app = _setup(engine, tmp_path, sandbox)
    _bank_line(sandbox, STRIPE_LINE, net("45.00", "30.00", "120.00"), TODAY - timedelta(days=1), "STRIPE")
    from worker.jobs.match import match_receipts
    from worker.jobs.xero_sync import sync_xero

    sync_xero(app)
    match_receipts(app)
    # The worker matches the payout and books its fee, then dies: before recording it, or before the transfer.
    _crash(engine, tmp_path, sandbox, boundary)
    with app.engine.connect() as conn:
        [payout] = conn.execute(select(payouts)).all()
    assert _booked(sandbox, payout.reference) == (1, 0)
    sandbox._replies.clear()  # as if Xero had forgotten the Idempotency-Keys
    counts = dispatch(app, policy=OutboxPolicy(lease=timedelta(0)))
    assert counts["failed"] == 0, counts
    assert _booked(sandbox, payout.reference) == (1, 1)
    with app.engine.connect() as conn:
        assert {r.status for r in conn.execute(select(outbox))} == {"done"}
    from decimal import Decimal

    from integrations.xero.sandbox.banking import movement

    assert movement(sandbox.books, "091") == Decimal("0")


def test_one_payout_seen_twice_across_a_crash_books_one_fee_and_one_transfer(
    engine: Engine,
    tmp_path: Path,
    sandbox: XeroSandbox,
) -> None:
    app = _setup(engine, tmp_path, sandbox)
    amount = net("45.00", "30.00", "120.00")
    # First its payout notice: matched, and the worker dies right after booking the fee.
    with app.engine.begin() as conn:
        add_sighting(
            conn,
            Sighting(
                source=SightingSource.NOTICE,
                ref="payout-1@stripe.com",
                gateway="stripe",
                net=Money(amount=amount, currency="NZD"),
                on=TODAY - timedelta(days=3),
            ),
            app.clock(),
        )
    _crash(engine, tmp_path, sandbox, "after_xero_write")
    sandbox._replies.clear()
    # Then its bank line, and a fresh worker runs whole cycles.
    _bank_line(sandbox, STRIPE_LINE, amount, TODAY - timedelta(days=1), "STRIPE")
    _cycle(app)
    # The dead worker's claims are taken over once their lease ends (at once here).
    counts = dispatch(app, policy=OutboxPolicy(lease=timedelta(0)))
    assert counts["failed"] == 0, counts
    _cycle(app)
    with app.engine.connect() as conn:
        [payout] = conn.execute(select(payouts)).all()
    assert payout.state == "settled" and payout.bank_line == STRIPE_LINE
    assert _booked(sandbox, payout.reference) == (1, 1)
