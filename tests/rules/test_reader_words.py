"""What the reseller reads names services, money and days in their words (rules.services, rules.reasons): a
service key, an amount written "45.00 NZD", an ISO day, a rule's snake_case name or Markdown backticks never reach
them, and what a payer or sender wrote is shown exactly as written."""

from __future__ import annotations

from datetime import date

import pytest

from rules.reasons import reason_words, rule_words
from rules.services import SERVICE_NAMES, company_name, service_name
from rules.words import date_words

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("key", "name"),
    [("paypal", "PayPal"), ("stripe", "Stripe"), ("windcave", "Windcave"), ("xero", "Xero online payments")],
)
def test_each_service_key_has_its_own_name(key: str, name: str) -> None:
    assert service_name(key) == name == SERVICE_NAMES[key]


def test_an_unknown_or_missing_service_still_reads_as_words() -> None:
    assert service_name("gocardless") == "Gocardless"
    assert service_name("") == "a payment service"
    assert service_name("  ", unknown="A service") == "A service"
    # Xero's notices and records are Xero's own, whatever its online payments are called.
    assert company_name("xero") == "Xero" and company_name("paypal") == "PayPal"


@pytest.mark.parametrize(
    ("recorded", "read"),
    [
        (
            "claims to be paypal (service@paypal.com) but is not authenticated",
            "claims to be PayPal (service@paypal.com) but is not authenticated",
        ),
        (
            "claims to be windcave but comes from x@gmail.com, which is no allow-listed windcave sender",
            "claims to be Windcave but comes from x@gmail.com, which is no allow-listed Windcave sender",
        ),
        ("repeats receipt r-1 (same stripe transaction pi_1)", "repeats receipt r-1 (same Stripe transaction pi_1)"),
        ("authenticated xero mail", "authenticated Xero mail"),
        (
            "invoice_reference: 'INV-0703' in reference = INV-0703; paid 27.00 NZD but INV-0703 is owed 35.00 NZD",
            "invoice number in the reference: 'INV-0703' in reference is INV-0703; paid NZ$27.00 but INV-0703 is owed "
            "NZ$35.00",
        ),
        (
            "paid in AUD (35.00 AUD); payer_and_amount: payer e-mail a@b.nz is that of Petone Fitness",
            "paid in AUD (A$35.00); known payer and amount: payer e-mail a@b.nz is that of Petone Fitness",
        ),
        ("Stripe payout of 2,192.74 NZD on 2026-11-16 is short", "Stripe payout of NZ$2,192.74 on 16 Nov is short"),
        ("took -5.00 NZD back on 2025-12-30", "took -NZ$5.00 back on 30 Dec 2025"),
        ("charged 12.00 SEK", "charged 12.00 SEK"),  # a currency without a symbol is written as before
        ("live for 18 day(s) of 2026-10 (from 2026-10-12)", "live for 18 day(s) of October 2026 (from 12 Oct)"),
        ("waiting for its other effects (see `orders list`)", "waiting for its other effects (see 'orders list')"),
    ],
)
def test_a_recorded_reason_reads_in_the_resellers_words(recorded: str, read: str) -> None:
    assert reason_words(recorded, today=TODAY) == read


def test_without_today_a_day_keeps_its_year() -> None:
    assert reason_words("dated 2026-11-25") == "dated 25 Nov 2026" == f"dated {date_words(date(2026, 11, 25))}"


def test_addresses_domains_keys_and_what_a_payer_wrote_are_left_as_they_are() -> None:
    recorded = (
        "no reference or customer identifies Lucas Ryan's 45.00 NZD ('paypal 10.00 NZD 2026-01-02' is no invoice); "
        'payer "stripe_fan" at paypal.com, payout stripe:po_1, bill UWS-2026-10, message 20261125.x@paypal.com'
    )
    assert reason_words(recorded, today=TODAY) == (
        "no reference or customer identifies Lucas Ryan's NZ$45.00 ('paypal 10.00 NZD 2026-01-02' is no invoice); "
        'payer "stripe_fan" at paypal.com, payout stripe:po_1, bill UWS-2026-10, message 20261125.x@paypal.com'
    )


def test_every_rule_reads_as_words() -> None:
    assert rule_words("invoice_reference") == "invoice number in the reference"
    assert rule_words("some_new_rule") == "some new rule"  # a rule added later still reads as words
    assert "_" not in reason_words("repeated_message: the same bytes", today=TODAY)
