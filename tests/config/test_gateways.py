"""`[gateways.<service>]`: clearing and fee accounts, payout and fee schedules, the Stripe API key from the environment
only, and clear errors for each way of getting them wrong."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import load_settings
from config.sources import ConfigError
from rules.money import Money
from rules.payouts import FeeRate, GatewayTerms, add_business_days, late_from


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "worker.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env or {})


def test_a_service_with_a_clearing_account_is_set_up_with_its_terms(tmp_path: Path) -> None:
    s = _load(
        tmp_path,
        '[gateways.stripe]\nclearing_account = "091"\nfee_account = "404"\npayout_days = 4\n'
        '[gateways.stripe.fees]\nNZD = "2.7% + 0.30"\nAUD = "1.75%"\n'
        '[gateways.paypal]\nclearing_account = "092"\n',
    )
    stripe = s.gateways.get("stripe")
    assert stripe is not None and stripe.clearing_account == "091" and stripe.fee_account == "404"
    assert stripe.terms.payout_days == 4 and stripe.fee_contact == "Stripe" and stripe.payees == ("stripe",)
    assert stripe.terms.fees == {
        "NZD": FeeRate(percent=Decimal("2.7"), fixed=Decimal("0.30")),
        "AUD": FeeRate(percent=Decimal("1.75")),
    }
    assert stripe.terms.estimated_fee(Money.of("45.00", "NZD")) == Money.of("1.52", "NZD")  # 1.215 + 0.30 = 1.515
    assert stripe.terms.estimated_fee(Money.of("45.00", "USD")) is None
    assert s.gateways.clearing_account("paypal") == "092"
    # Not set up: its card payments stay on the bank account, as before.
    assert s.gateways.get("windcave") is None and s.gateways.clearing_account("windcave") == ""


def test_the_environment_sets_up_a_service_and_carries_the_stripe_key(tmp_path: Path) -> None:
    s = load_settings(
        None,
        {
            "RW_GATEWAYS_STRIPE_CLEARING_ACCOUNT": "091",
            "RW_GATEWAYS_STRIPE_API": "stripe",
            "RW_GATEWAYS_STRIPE_API_KEY": "rk_live_123",
            "RW_GATEWAYS_WINDCAVE_CLEARING_ACCOUNT": "093",
            "RW_GATEWAYS_WINDCAVE_PAYEES": "WINDCAVE, PAYMENT EXPRESS",
        },
    )
    stripe = s.gateways.get("stripe")
    assert stripe is not None and stripe.api == "stripe" and stripe.api_key == "rk_live_123"
    windcave = s.gateways.get("windcave")
    assert windcave is not None and windcave.payees == ("windcave", "payment express")


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(
            tmp_path,
            '[gateways.stripe]\nclearing_account = "090"\napi = "stripe"\napi_key = "sk_live_x"\n'
            'payout_days = -1\nfee_tolerance = 0.05\n[gateways.stripe.fees]\nNZD = "2.7 + 0.30"\nN1 = "1%"\n'
            '[gateways.square]\nclearing_account = "094"\n'
            '[gateways.paypal]\nclearing_acount = "092"\napi = "stripe"\n',
        )
    text = str(caught.value)
    for expected in (
        "[gateways.stripe] api_key: secrets belong in the environment (RW_GATEWAYS_STRIPE_API_KEY)",
        "environment RW_GATEWAYS_STRIPE_API_KEY: is required",
        "[gateways.stripe] payout_days: must be at least 0",
        "fee_tolerance: write money and tolerances as strings",
        '[gateways.stripe.fees] NZD: write the rate as "2.7% + 0.30"',
        "[gateways.stripe.fees] N1: the key must be a currency code",
        "unknown payment service [gateways.square]",
        "[gateways.paypal] clearing_acount: is not a known setting",
        "[gateways.paypal] api: must be one of none, not 'stripe'",
        "[gateways.stripe] clearing_account is the bank account (090)",
    ):
        assert expected in text, (expected, text)


def test_business_days_skip_weekends() -> None:
    friday = date(2026, 11, 27)
    assert add_business_days(friday, 1) == date(2026, 11, 30)  # Monday
    assert add_business_days(date(2026, 11, 28), 1) == date(2026, 11, 30)  # Saturday's payment: Monday
    assert add_business_days(friday, 0) == friday
    # Stripe's 4 business days plus 3 of grace from Wednesday 25 November: Friday 4 December.
    assert late_from(date(2026, 11, 25), GatewayTerms(name="stripe", payout_days=4)) == date(2026, 12, 4)
