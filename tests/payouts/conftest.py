"""A worker with two payment services set up (Stripe and PayPal, each with its clearing account and fee schedule),
on the parametrized database, with helpers that make card payments the way the matching job does and put a
payout's line on the bank statement."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings, load_settings
from integrations.ports import Accounting
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting, fake_bank_line
from integrations.xero.sandbox import XeroSandbox
from integrations.xero.sandbox.banking import add_account
from rules.model import Receipt, ReceiptSource
from rules.money import Money
from tests.outbox.conftest import new_order, pay
from worker.app import App
from worker.jobs.dispatch import dispatch_outbox
from worker.jobs.match import match_receipts
from worker.jobs.payouts import match_payouts
from worker.jobs.xero_sync import sync_xero
from worker.store.payout_tables import card_payments, payouts
from worker.store.tables import review_items

GATEWAYS = {
    "RW_GATEWAYS_STRIPE_CLEARING_ACCOUNT": "091",
    "RW_GATEWAYS_STRIPE_PAYOUT_DAYS": "4",
    "RW_GATEWAYS_PAYPAL_CLEARING_ACCOUNT": "092",
    "RW_GATEWAYS_PAYPAL_PAYOUT_DAYS": "5",
}
FEES = '[gateways.stripe.fees]\nNZD = "2.7% + 0.30"\n[gateways.paypal.fees]\nNZD = "3.9% + 0.45"\n'
STRIPE_RATE = (Decimal("2.7"), Decimal("0.30"))
PAYPAL_RATE = (Decimal("3.9"), Decimal("0.45"))


def fee(amount: str, rate: tuple[Decimal, Decimal] = STRIPE_RATE) -> Decimal:
    from rules.payouts import FeeRate

    return FeeRate(percent=rate[0], fixed=rate[1]).fee(Decimal(amount))


def net(*amounts: str, rate: tuple[Decimal, Decimal] = STRIPE_RATE) -> Decimal:
    return sum((Decimal(a) - fee(a, rate) for a in amounts), Decimal("0"))


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


def gateway_settings(tmp_path: Path, **env: str) -> Settings:
    path = tmp_path / "worker.toml"
    path.write_text(FEES, encoding="utf-8")
    return load_settings(path, {"RW_WORKER_DATA_DIR": str(tmp_path / "var"), **GATEWAYS, **env})


def make_app(engine: Engine, settings: Settings, clock: Clock, accounting: Accounting, **extra: Any) -> App:
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=accounting,
        registrar=FakeRegistrar(clock=clock),
        mailer=None,
        open_mailbox=None,
        **extra,
    )


@pytest.fixture
def sandbox() -> Iterator[XeroSandbox]:
    with XeroSandbox() as sb:
        add_account(sb.books, "091", "Stripe clearing", "BANK")
        add_account(sb.books, "092", "PayPal clearing", "BANK")
        yield sb
        assert sb.violations == [], sb.violations


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def books(clock: Clock) -> FakeAccounting:
    fake = FakeAccounting(clock=clock)
    fake.add_account("091", "Stripe clearing")
    fake.add_account("092", "PayPal clearing")
    return fake


@pytest.fixture
def app(engine: Engine, tmp_path: Path, clock: Clock, books: FakeAccounting) -> App:
    return make_app(engine, gateway_settings(tmp_path), clock, books)


def card_payment(
    app: App, accounting: Any, n: int, amount: str, paid_on: date, *, gateway: str = "stripe", txn: str = ""
) -> Receipt:
    """A card payment of `amount` for a new order, decided auto as the matching job would: its payment is queued
    on the clearing account and the card payment noted."""
    order = new_order(f"ORD-{n:04d}", domain=f"shop{n}.nz", amount=amount)
    receipt = Receipt(
        receipt_id=f"{n:04d}.notice@{gateway}.com",
        source=ReceiptSource.NOTICE,
        received_at=datetime.combine(paid_on, time(9, 30), UTC),
        money=Money.of(amount, "NZD"),
        gateway=gateway,
        gateway_txn_id=txn or f"pi_{n:04d}",
    )
    pay(app, accounting, order, receipt)
    return receipt


def bank_line(accounting: FakeAccounting, line_id: str, amount: Decimal | str, posted: date, payee: str) -> None:
    accounting.add_bank_line(
        fake_bank_line(line_id, str(amount), posted=posted, payee=payee, reference="TRANSFER"),
        updated_at=accounting.clock() + timedelta(seconds=1),
    )


def cycle(app: App) -> dict[str, Any]:
    """The jobs a cycle runs that payouts touch, in the cycle's order."""
    out: dict[str, Any] = {"sync": sync_xero(app), "match": match_receipts(app)}
    out["payouts"] = match_payouts(app)
    out["dispatch"] = dispatch_outbox(app)
    return out


def payout_rows(app: App) -> list[Any]:
    with app.engine.connect() as conn:
        return list(conn.execute(select(payouts).order_by(payouts.c.paid_on)))


def card_states(app: App) -> dict[str, str]:
    with app.engine.connect() as conn:
        return {r.receipt_id: r.state for r in conn.execute(select(card_payments))}


def open_reviews(app: App, prefix: str = "payout") -> list[Any]:
    with app.engine.connect() as conn:
        return [
            r
            for r in conn.execute(select(review_items).where(review_items.c.status == "open"))
            if r.kind.startswith(prefix)
        ]
