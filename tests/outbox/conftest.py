"""Fixtures for the outbox area: an App on the parametrized database with FakeAccounting, FakeRegistrar and a
clock the test moves, plus helpers that put paid orders and their decisions in place as the matching job would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.ports import Registrar
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from rules.model import Contact, Decision, DecisionKind, Order, OrderKind, Receipt, ReceiptSource
from rules.money import Money
from worker.app import App
from worker.outbox import enqueue_effects_for_decision
from worker.store.orders import order_values
from worker.store.tables import orders, outbox, review_items


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now = self.now + timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registrar(clock: Clock) -> FakeRegistrar:
    return FakeRegistrar(clock=clock)


@pytest.fixture
def accounting(clock: Clock) -> FakeAccounting:
    return FakeAccounting(clock=clock)


def make_app(engine: Engine, settings: Settings, clock: Clock, accounting: Any, registrar: Registrar) -> App:
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=accounting,
        registrar=registrar,
        mailer=None,
        open_mailbox=None,
    )


@pytest.fixture
def app(engine: Engine, settings: Settings, clock: Clock, accounting: FakeAccounting, registrar: FakeRegistrar) -> App:
    return make_app(engine, settings, clock, accounting, registrar)


def new_order(
    order_id: str,
    *,
    kind: OrderKind = OrderKind.DOMAIN_REGISTRATION,
    domain: str = "example.co.nz",
    amount: str = "30.00",
    years: int = 1,
    invoice_id: str | None = None,
    plan: str = "",
) -> Order:
    return Order(
        order_id=order_id,
        kind=kind,
        invoice_number=f"INV-{order_id[-4:]}",
        invoice_id=invoice_id or f"inv-{order_id}",
        contact=Contact(contact_id="c-1", name="Aroha Ltd", email="a@aroha.test"),
        domain=domain,
        amount_due=Money.of(amount, "NZD"),
        issued=date(2026, 11, 1),
        due=date(2026, 11, 20),
        plan=plan,
        term_years=years,
    )


def receipt_for(
    order: Order, receipt_id: str = "", *, source: ReceiptSource = ReceiptSource.NOTICE, txn: str = ""
) -> Receipt:
    return Receipt(
        receipt_id=receipt_id or f"r-{order.order_id}",
        source=source,
        received_at=datetime(2026, 11, 25, 22, 0, tzinfo=UTC),
        money=order.amount_due,
        gateway="stripe",
        gateway_txn_id=txn or f"pi_{order.order_id}",
        invoice_id=order.invoice_id if source is ReceiptSource.XERO_PAYMENT else "",
    )


def pay(app: App, accounting: FakeAccounting, order: Order, receipt: Receipt | None = None) -> list[str]:
    """What the matching job does: the order row turns paid and the auto decision's effects are queued, in one
    transaction. Returns the keys queued."""
    receipt = receipt or receipt_for(order)
    if order.invoice_id not in accounting.invoices:
        accounting.add_order(order)
    now = app.clock()
    with app.engine.begin() as conn:
        exists = conn.execute(select(orders.c.order_id).where(orders.c.order_id == order.order_id)).first()
        if exists is None:
            conn.execute(
                orders.insert().values(
                    order_id=order.order_id,
                    **order_values(order),
                    status="paid",
                    paid_by=receipt.receipt_id,
                    updated_at=now,
                )
            )
        decision = Decision(
            receipt_id=receipt.receipt_id,
            kind=DecisionKind.AUTO,
            orders=(order.order_id,),
            reason="test",
            strategy="test",
        )
        return enqueue_effects_for_decision(
            conn, decision=decision, receipt=receipt, orders=[order], now=now, zone=app.settings.worker.zone
        )


def order_status(app: App, order_id: str) -> str:
    with app.engine.connect() as conn:
        return str(conn.execute(select(orders.c.status).where(orders.c.order_id == order_id)).scalar_one())


def outbox_rows(app: App) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return {r.idempotency_key: r for r in conn.execute(select(outbox)).all()}


def review(app: App, kind: str | None = None) -> list[Any]:
    with app.engine.connect() as conn:
        q = select(review_items)
        if kind:
            q = q.where(review_items.c.kind == kind)
        return list(conn.execute(q).all())


def payments_for(accounting: FakeAccounting, invoice_id: str) -> list[Any]:
    return [d for d in accounting.recorded_payments.values() if d.invoice_id == invoice_id]
