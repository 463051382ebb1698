"""Outbox throughput: 10,000 queued actions (5,000 paid registrations: a Xero payment and a registration each)
dispatched against FakeAccounting and FakeRegistrar on an SQLite file; the history notes they queue run too.

Prints `actions_per_second=<n>` (every outbox row completed, follow-up notes included, per wall-clock second)."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog

from config.settings import load_settings
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from rules.model import Contact, Decision, DecisionKind, Order, OrderKind, Receipt, ReceiptSource
from rules.money import Money
from worker.app import App
from worker.jobs.dispatch import dispatch
from worker.outbox import enqueue_effects_for_decision
from worker.store.database import make_engine, upgrade
from worker.store.orders import order_values
from worker.store.tables import orders, outbox

ORDERS = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # warnings and up only
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def clock() -> datetime:
        return now

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        accounting = FakeAccounting(clock=clock)
        registrar = FakeRegistrar(clock=clock)
        settings = load_settings(None, {"RW_WORKER_DATA_DIR": tmp})
        app = App(
            settings=settings,
            engine=engine,
            clock=clock,
            accounting=accounting,
            registrar=registrar,
            mailer=None,
            open_mailbox=None,
        )
        contact = Contact(contact_id="c-1", name="Bench Ltd")
        queued = 0
        with engine.begin() as conn:
            for i in range(ORDERS):
                order = Order(
                    order_id=f"ORD-{i}",
                    kind=OrderKind.DOMAIN_REGISTRATION,
                    invoice_number=f"INV-{i}",
                    invoice_id=f"inv-{i}",
                    contact=contact,
                    domain=f"bench{i}.nz",
                    amount_due=Money.of("30.00", "NZD"),
                    issued=date(2026, 11, 1),
                    due=date(2026, 11, 20),
                )
                accounting.add_order(order)
                conn.execute(
                    orders.insert().values(
                        order_id=order.order_id,
                        **order_values(order),
                        status="paid",
                        updated_at=now,
                    )
                )
                receipt = Receipt(
                    receipt_id=f"r-{i}",
                    source=ReceiptSource.NOTICE,
                    received_at=now,
                    money=order.amount_due,
                    gateway_txn_id=f"pi_{i}",
                )
                decision = Decision(receipt_id=receipt.receipt_id, kind=DecisionKind.AUTO, orders=(order.order_id,))
                queued += len(
                    enqueue_effects_for_decision(
                        conn, decision=decision, receipt=receipt, orders=[order], now=now, zone=UTC
                    )
                )
        started = time.perf_counter()
        counts = dispatch(app)
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            done = conn.execute(outbox.select().where(outbox.c.status == "done")).all()
        assert counts["failed"] == 0 and counts["retry"] == 0, counts
        assert len(accounting.recorded_payments) == ORDERS and registrar.calls("register") == ORDERS
        print(f"queued={queued} completed={len(done)} orders_done={counts['orders_done']} seconds={elapsed:.1f}")
        print(f"actions_per_second={len(done) / elapsed:.0f}")
        engine.dispose()


if __name__ == "__main__":
    main()
