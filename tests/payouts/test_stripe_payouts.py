"""With `[gateways.stripe] api = "stripe"`, each payout's contents come from Stripe's own record (through the official
package, answered by the stateful emulator behind `responses`): exact, and a refund or a payment taken outside the
worker goes to a person naming it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import responses
from sqlalchemy import Engine

from integrations.stripe.adapter import StripePaymentService
from integrations.stripe.emulator import StripeEmulator
from integrations.xero.fake import FakeAccounting
from rules.money import Money

from .conftest import (
    Clock,
    bank_line,
    card_payment,
    card_states,
    cycle,
    fee,
    gateway_settings,
    make_app,
    open_reviews,
    payout_rows,
)
from .test_match_payouts import MON

KEY = "rk_test_reseller"


def _stripe_app(engine: Engine, tmp_path: Path, clock: Clock, books: FakeAccounting):  # type: ignore[no-untyped-def]
    settings = gateway_settings(tmp_path, RW_GATEWAYS_STRIPE_API="stripe", RW_GATEWAYS_STRIPE_API_KEY=KEY)
    service = StripePaymentService(api_key=KEY, retry_initial_wait=0.01)
    return make_app(engine, settings, clock, books, payment_services={"stripe": service})


def _charge(emulator: StripeEmulator, amount: str, day, intent: str) -> str:  # type: ignore[no-untyped-def]
    gross = Money.of(amount, "NZD")
    return emulator.charge(
        gross, Money(amount=fee(amount), currency="NZD"), at=datetime.combine(day, time(9), UTC), payment_intent=intent
    )


@responses.activate
def test_the_services_record_settles_exactly_and_waits_for_nothing(engine, tmp_path, clock, books) -> None:  # type: ignore[no-untyped-def]
    app = _stripe_app(engine, tmp_path, clock, books)
    emulator = StripeEmulator(api_key=KEY, clock=clock)
    emulator.mount(responses.mock)
    days = [MON - timedelta(days=d) for d in (9, 8, 7)]
    amounts = ["45.00", "30.00", "45.00"]  # two alike: the window alone could not tell them apart
    receipts = [
        card_payment(app, books, n, a, d, txn=f"pi_{n:04d}")
        for n, (a, d) in enumerate(zip(amounts, days, strict=True), 1)
    ]
    for n, (a, d) in enumerate(zip(amounts[:2], days[:2], strict=True), 1):
        _charge(emulator, a, d, f"pi_{n:04d}")
    po = emulator.pay_out(arrival=MON)
    result = cycle(app)
    assert result["payouts"]["matched"] == 1, result
    [payout] = payout_rows(app)
    assert (payout.service_ref, payout.strategy, payout.state) == (po, "service_record", "waiting")
    assert Decimal(payout.fees) == fee("45.00") + fee("30.00")
    assert card_states(app) == {
        receipts[0].receipt_id: "in_payout",
        receipts[1].receipt_id: "in_payout",
        receipts[2].receipt_id: "notified",
    }
    # The payout reaches the bank: settled, and nothing is booked again.
    bank_line(books, "line-po", Decimal(payout.net), MON, "STRIPE")
    second = cycle(app)
    assert second["payouts"]["settled"] == 1
    assert payout_rows(app)[0].state == "settled" and len(payout_rows(app)) == 1
    assert sorted(e.kind for e in books.bank_entries.values()) == ["SPEND", "TRANSFER"]
    assert books.movement("091") == Money.of("45.00", "NZD")  # the third payment waits for the next payout
    # Stripe was asked for payouts each run, and for a payout's contents once.
    assert sum(1 for r in emulator.requests if r.startswith("GET /v1/balance_transactions")) == 1


@responses.activate
def test_a_refund_in_the_payout_goes_to_a_person_and_books_nothing(engine, tmp_path, clock, books) -> None:  # type: ignore[no-untyped-def]
    app = _stripe_app(engine, tmp_path, clock, books)
    emulator = StripeEmulator(api_key=KEY, clock=clock)
    emulator.mount(responses.mock)
    card_payment(app, books, 1, "45.00", MON - timedelta(days=8), txn="pi_0001")
    charge = _charge(emulator, "45.00", MON - timedelta(days=8), "pi_0001")
    emulator.refund(charge, Money.of("10.00", "NZD"), at=datetime.combine(MON - timedelta(days=7), time(9), UTC))
    _charge(emulator, "80.00", MON - timedelta(days=7), "pi_elsewhere")  # taken outside the worker
    emulator.pay_out(arrival=MON)
    result = cycle(app)
    assert result["payouts"]["review"] == 1
    [item] = open_reviews(app)
    assert item.kind == "payout_unknown"
    assert "a refund" in item.reason and "the worker has no record of" in item.reason
    assert books.bank_entries == {}


@responses.activate
def test_stripe_unreachable_leaves_the_payout_waiting(engine, tmp_path, clock, books) -> None:  # type: ignore[no-untyped-def]
    app = _stripe_app(engine, tmp_path, clock, books)
    responses.get(
        "https://api.stripe.com/v1/payouts", status=500, json={"error": {"type": "api_error", "message": "down"}}
    )
    card_payment(app, books, 1, "45.00", MON - timedelta(days=8))
    bank_line(books, "line-po", Decimal("43.48"), MON, "STRIPE")
    clock.now = datetime.combine(MON, time(9), UTC)
    result = cycle(app)
    assert result["payouts"]["service_errors"] == 1 and result["payouts"]["waiting"] == 1
    assert payout_rows(app)[0].state == "waiting" and books.bank_entries == {}
