"""Finding 2 of issue 11: in a genuine notice the payer writes the note, message, description or item name. Amount,
currency and whether the mail is a payment come only from the service's own fields at their place in the layout;
what the payer wrote is evidence for references and nothing else. An authenticated notice the reader cannot place
goes to a person, never silently away."""

from __future__ import annotations

import pytest

from integrations.notices import SenderTrust, read_notice
from rules.model import DecisionKind, NoticeReading
from tests.notices.support import build_message, outcome, sign

GENUINE = (
    "You received a payment of $0.01 NZD from Mallory Payer (mallory@example.org).\n\n"
    "Transaction ID: 7XK12345LM678901N\n"
)

# Notes a payer can type into PayPal, Stripe or Windcave: imitations of the service's own sentence and labels.
FAKE_AMOUNTS = [
    "Note from Mallory Payer: You received a payment of NZ$30.00 NZD from Kelly Catering. INV-0043",
    "Note from Mallory Payer: Amount: $30.00 NZD INV-0043",
    "Note from Mallory Payer:\nYou received a payment of $30.00 NZD from Kelly Catering.\nAmount: $30.00 NZD",
    "Message from Mallory Payer: Gross amount: NZ$30.00\nINV-0043",
    "Description: Amount received: $30.00 NZD",
]


def paypal(body: str, subject: str = "You've got money") -> bytes:
    return sign(build_message(subject=subject, body=body))


def amount_of(reading: NoticeReading) -> str:
    assert reading.receipt is not None, reading.reason
    return str(reading.receipt.money)


@pytest.mark.parametrize("note", FAKE_AMOUNTS)
def test_a_payer_note_never_states_the_amount(trust: SenderTrust, note: str) -> None:
    """0.01 arrived; the note says 30.00. The amount is the service's: 0.01, or a person looks (never 30.00)."""
    reading = read_notice(paypal(GENUINE + note + "\n"), trust)
    if reading.receipt is not None:
        assert amount_of(reading) == "0.01 NZD"
        assert any("INV-0043" in value for _, value in reading.receipt.text) or "INV-0043" not in note
    else:
        assert reading.verdict is DecisionKind.REVIEW
        assert "30.00" not in str(reading.gateway_txn_id)


def test_a_note_that_imitates_the_service_first_changes_nothing(trust: SenderTrust) -> None:
    """The note stands after the service's statement of the amount; the first statement is the service's."""
    body = GENUINE + "Note from Mallory Payer: inv-0043\n"
    reading = read_notice(paypal(body), trust)
    assert amount_of(reading) == "0.01 NZD"
    assert reading.receipt is not None and reading.receipt.gateway_txn_id == "7XK12345LM678901N"


@pytest.mark.parametrize(
    "note",
    [
        "Note from Mallory Payer: last payment was declined, trying again INV-0043",
        "Note from Mallory Payer: failed earlier, sorry. INV-0043",
        "Note from Mallory Payer: please refund the overpayment from last month",
        "Note from Mallory Payer: your payment was declined\nyou have issued a refund of $5.00 NZD",
        "Message from Mallory Payer: chargeback withdrawn, dispute closed",
    ],
)
def test_a_payer_note_never_makes_a_payment_no_payment(trust: SenderTrust, note: str) -> None:
    """'declined', 'failed' or 'refund' in the payer's note: still the payment the service says it is."""
    reading = read_notice(paypal(GENUINE + note + "\n"), trust)
    assert reading.verdict is not DecisionKind.IGNORE, reading.reason
    if reading.receipt is not None:
        assert amount_of(reading) == "0.01 NZD"


@pytest.mark.parametrize(
    "subject",
    [
        "You received a payment from Kauri Limited",
        "You received a payment from Claim Solutions Ltd",
        "You received a payment from Declined Builders Limited",
        "Refund Partners Ltd sent you $0.01 NZD",
    ],
)
def test_the_payers_company_name_in_the_subject_is_not_the_services_word(trust: SenderTrust, subject: str) -> None:
    reading = read_notice(paypal(GENUINE, subject=subject), trust)
    assert outcome(reading) == "receipt", reading.reason
    assert amount_of(reading) == "0.01 NZD"


def test_stripe_description_and_windcave_reference_are_the_payers(trust: SenderTrust) -> None:
    stripe = sign(
        build_message(
            from_="Stripe <notifications@stripe.com>",
            subject="Payment of NZ$0.01 from mallory@example.org",
            body="You received a payment of NZ$0.01 from mallory@example.org.\n\nAmount: NZ$0.01 NZD\n"
            "Description: Amount: NZ$30.00 NZD payment failed refund INV-0043\nPayment ID: pi_3AbCdEfGh123\n",
        ),
        domain="stripe.com",
    )
    reading = read_notice(stripe, trust)
    assert amount_of(reading) == "0.01 NZD"
    assert reading.receipt is not None and ("memo", "Amount: NZ$30.00 NZD payment failed refund INV-0043") in (
        reading.receipt.text
    )
    windcave = sign(
        build_message(
            from_="Windcave <noreply@windcave.com>",
            subject="Transaction Approved - KiwiWeb Design Ltd",
            body="Merchant Reference: Amount: 30.00 Response: DECLINED INV-0043\nAmount: 0.01\nCurrency: NZD\n"
            "DpsTxnRef: 0000000982cc7b\nResponse: APPROVED\n",
        ),
        domain="windcave.com",
    )
    reading = read_notice(windcave, trust)
    assert amount_of(reading) == "0.01 NZD"


def test_a_german_note_cannot_state_the_amount_either(trust: SenderTrust) -> None:
    body = (
        "Mallory Payer hat dir 0,01 € EUR gesendet\n\nTransaktionscode\n66R54798P9952314F\n\n"
        "Erhaltener Betrag 0,01 € EUR\n\nMitteilung von Mallory Payer: Erhaltener Betrag 300,00 € EUR\n"
    )
    raw = sign(build_message(subject="Du hast 0,01 € EUR erhalten", body=body))
    reading = read_notice(raw, trust)
    assert amount_of(reading) == "0.01 EUR"


def test_two_different_statements_of_the_amount_go_to_a_person(trust: SenderTrust) -> None:
    """Should a payer's text ever slip past its label, two different amounts stated is a review, never a guess."""
    body = GENUINE + "Amount: $30.00 NZD\n"
    reading = read_notice(paypal(body), trust)
    assert reading.verdict is DecisionKind.REVIEW
    assert "states the amount twice, differently" in reading.reason


def test_authenticated_mail_the_reader_cannot_place_goes_to_a_person(trust: SenderTrust) -> None:
    raw = paypal("Something about your account and $12.00 NZD.\n", subject="A note from PayPal")
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REVIEW
    assert "no wording known" in reading.reason
