"""`StripePaymentService` through the official `stripe` package, with `responses` answering as Stripe's API reference
documents (docs.stripe.com/api/payouts/list, /api/balance_transactions/list, /api/pagination, /api/errors,
docs.stripe.com/payouts/reconciliation), and the stateful `StripeEmulator` on loopback."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import responses

from integrations.errors import NotConfigured, PermanentError, TransientError
from integrations.ports import ServicePayout
from integrations.stripe.adapter import StripePaymentService
from integrations.stripe.emulator import StripeEmulator, from_minor, to_minor
from rules.money import Money

KEY = "rk_test_reseller"
API = "https://api.stripe.com"
ARRIVES = date(2026, 11, 20)


def service(**kwargs) -> StripePaymentService:  # type: ignore[no-untyped-def]
    kwargs.setdefault("retry_initial_wait", 0.01)
    return StripePaymentService(api_key=KEY, **kwargs)


def nzd(amount: str) -> Money:
    return Money.of(amount, "NZD")


# The documented shapes, trimmed to the fields a reader of them relies on (docs.stripe.com/api/payouts/object and
# /api/balance_transactions/object; the list envelope from /api/pagination).
PAYOUT = {
    "id": "po_1QxY2zLkdIwHu7ix",
    "object": "payout",
    "amount": 18742,
    "arrival_date": 1795132800,  # 2026-11-20 00:00 UTC
    "automatic": True,
    "balance_transaction": "txn_1QxY30LkdIwHu7ix",
    "created": 1794960000,
    "currency": "nzd",
    "method": "standard",
    "source_type": "card",
    "status": "paid",
    "type": "bank_account",
}
CHARGE_TXN = {
    "id": "txn_3QxAbcLkdIwHu7ix0",
    "object": "balance_transaction",
    "amount": 4500,
    "available_on": 1794787200,
    "created": 1794268800,
    "currency": "nzd",
    "description": "Payment for INV-0707",
    "exchange_rate": None,
    "fee": 152,
    "fee_details": [
        {
            "amount": 152,
            "application": None,
            "currency": "nzd",
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
    ],
    "net": 4348,
    "reporting_category": "charge",
    "source": {
        "id": "ch_3QxAbcLkdIwHu7ix0",
        "object": "charge",
        "amount": 4500,
        "currency": "nzd",
        "payment_intent": "pi_3QxAbcLkdIwHu7ix0",
        "status": "succeeded",
    },
    "status": "available",
    "type": "charge",
}
REFUND_TXN = {
    **CHARGE_TXN,
    "id": "txn_3QxRefLkdIwHu7ix0",
    "amount": -2000,
    "fee": 0,
    "fee_details": [],
    "net": -2000,
    "reporting_category": "refund",
    "description": "REFUND FOR CHARGE (Payment for INV-0701)",
    "source": {"id": "re_3QxRefLkdIwHu7ix0", "object": "refund", "amount": 2000, "charge": "ch_3QxOld"},
    "type": "refund",
}
PAYOUT_TXN = {
    **CHARGE_TXN,
    "id": "txn_1QxY30LkdIwHu7ix",
    "amount": -2348,
    "fee": 0,
    "fee_details": [],
    "net": -2348,
    "reporting_category": "payout",
    "description": "STRIPE PAYOUT",
    "source": {"id": "po_1QxY2zLkdIwHu7ix", "object": "payout"},
    "type": "payout",
}


def _list(url: str, data: list[dict], has_more: bool = False) -> dict:  # type: ignore[type-arg]
    return {"object": "list", "url": url, "has_more": has_more, "data": data}


@responses.activate
def test_payouts_and_their_contents_read_as_documented() -> None:
    responses.get(
        f"{API}/v1/payouts", json=_list("/v1/payouts", [PAYOUT, {**PAYOUT, "id": "po_pending", "status": "pending"}])
    )
    responses.get(
        f"{API}/v1/balance_transactions", json=_list("/v1/balance_transactions", [PAYOUT_TXN, REFUND_TXN, CHARGE_TXN])
    )
    stripe_service = service()
    [payout] = stripe_service.payouts(arriving_since=date(2026, 11, 1))
    assert payout == ServicePayout(
        payout_id="po_1QxY2zLkdIwHu7ix", net=nzd("187.42"), arrives=ARRIVES, status="paid", automatic=True
    )
    first = responses.calls[0].request
    assert first.headers["Authorization"] == f"Bearer {KEY}"
    assert "arrival_date%5Bgte%5D=1793491200" in first.url and "limit=100" in first.url
    lines = stripe_service.payout_lines(payout)
    asked = responses.calls[1].request.url
    assert "payout=po_1QxY2zLkdIwHu7ix" in asked and "expand%5B0%5D=data.source" in asked
    by_kind = {line.kind: line for line in lines}
    charge = by_kind["charge"]
    assert (charge.source_id, charge.related_ids) == ("ch_3QxAbcLkdIwHu7ix0", ("pi_3QxAbcLkdIwHu7ix0",))
    assert (charge.gross, charge.fee, charge.net) == (nzd("45.00"), nzd("1.52"), nzd("43.48"))
    assert by_kind["refund"].net == nzd("-20.00") and by_kind["refund"].source_id == "re_3QxRefLkdIwHu7ix0"
    assert by_kind["payout"].net == nzd("-23.48")


@responses.activate
def test_every_page_is_read_one_call_each() -> None:
    emulator = StripeEmulator(api_key=KEY, clock=lambda: datetime(2026, 11, 19, tzinfo=UTC))
    emulator.mount(responses.mock)
    for n in range(150):
        emulator.charge(
            nzd("45.00"), nzd("1.52"), at=datetime(2026, 11, 10, 9, n % 60, tzinfo=UTC), payment_intent=f"pi_{n:04d}"
        )
    po = emulator.pay_out(arrival=ARRIVES)
    stripe_service = service()
    [payout] = stripe_service.payouts(arriving_since=date(2026, 11, 1))
    assert payout.payout_id == po and payout.net == nzd("6522.00")
    lines = stripe_service.payout_lines(payout)
    assert len(lines) == 151 and sum(1 for line in lines if line.kind == "charge") == 150
    assert {line.related_ids for line in lines if line.kind == "charge"} == {(f"pi_{n:04d}",) for n in range(150)}
    assert stripe_service.calls == 1 + 2  # one page of payouts, two of balance transactions (100 + 51)


@responses.activate
def test_a_refused_key_is_a_configuration_problem_not_retried() -> None:
    responses.get(
        f"{API}/v1/payouts",
        status=401,
        json={"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: rk_test_****ller"}},
    )
    with pytest.raises(NotConfigured, match="RW_GATEWAYS_STRIPE_API_KEY"):
        service().payouts(arriving_since=ARRIVES)
    assert len(responses.calls) == 1


@responses.activate
def test_rate_limits_and_server_errors_are_retried_then_given_up() -> None:
    limited = {
        "error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Request rate limit exceeded."}
    }
    responses.get(f"{API}/v1/payouts", status=429, json=limited)
    responses.get(f"{API}/v1/payouts", json=_list("/v1/payouts", [PAYOUT]))
    assert [p.payout_id for p in service().payouts(arriving_since=ARRIVES)] == ["po_1QxY2zLkdIwHu7ix"]
    responses.reset()
    responses.get(
        f"{API}/v1/payouts", status=500, json={"error": {"type": "api_error", "message": "Something went wrong"}}
    )
    with pytest.raises(TransientError):
        service(retry_attempts=2).payouts(arriving_since=ARRIVES)
    assert len(responses.calls) == 2


@responses.activate
def test_an_unknown_payout_is_a_permanent_error() -> None:
    responses.get(
        f"{API}/v1/balance_transactions",
        status=404,
        json={
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "payout",
                "message": "No such payout: 'po_x'",
            }
        },
    )
    with pytest.raises(PermanentError, match="No such payout"):
        service().payout_lines(ServicePayout(payout_id="po_x", net=nzd("1.00"), arrives=ARRIVES, status="paid"))


def test_the_emulator_on_loopback_serves_the_official_package() -> None:
    emulator = StripeEmulator(api_key=KEY, clock=lambda: datetime(2026, 11, 19, tzinfo=UTC))
    a = emulator.charge(nzd("45.00"), nzd("1.52"), at=datetime(2026, 11, 12, tzinfo=UTC), payment_intent="pi_a")
    emulator.refund(a, nzd("5.00"), at=datetime(2026, 11, 13, tzinfo=UTC))
    po = emulator.pay_out(arrival=ARRIVES)
    with emulator.serve() as base:
        stripe_service = service(api_base=base)
        [payout] = stripe_service.payouts(arriving_since=ARRIVES)
        lines = stripe_service.payout_lines(payout)
    assert payout.payout_id == po and payout.net == nzd("38.48")
    assert sorted(line.kind for line in lines) == ["charge", "payout", "refund"]
    assert any(r.startswith("GET /v1/balance_transactions?") for r in emulator.requests)


def test_money_in_stripe_units() -> None:
    assert to_minor(nzd("45.00")) == 4500 and from_minor(4500, "nzd") == nzd("45.00")
    assert to_minor(Money.of("500", "JPY")) == 500 and from_minor(500, "jpy") == Money.of("500", "JPY")
    assert json.dumps(from_minor(-2348, "nzd").amount.__str__()) == '"-23.48"'
