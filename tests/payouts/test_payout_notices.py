"""A payment service's authenticated payout notice is one sign of a payout (its amount from the service's own
sentence, its payout id when it names one), never a payment; a forwarded or unauthenticated one is no sign at all."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from integrations.notices import SenderTrust, builtin_formats, read_notice
from rules.model import DecisionKind
from rules.money import Money
from rules.payouts import SightingSource, read_payout_notice
from tests.notices.support import build_message, corpus_trust, sign, with_server_verdict

STRIPE_PASS = "dkim=pass header.d=stripe.com; spf=pass smtp.mailfrom=stripe.com; dmarc=pass header.from=stripe.com"
PAYOUT_BODY = (
    "Your payout of NZ$187.42 is on its way to your bank account ending in 4321.\n"
    "It should arrive by 20 November 2026.\n\nPayout ID: po_1QxY2zLkdIwHu7ix\n"
)


@pytest.fixture
def trust() -> SenderTrust:
    return corpus_trust()


def _payout_mail(subject: str = "Your payout is on its way", body: str = PAYOUT_BODY) -> bytes:
    message = build_message(
        from_="Stripe <notifications@stripe.com>", subject=subject, body=body, message_id="<payout-1@stripe.com>"
    )
    return with_server_verdict(sign(message, domain="stripe.com"), STRIPE_PASS)


def test_an_authenticated_payout_notice_is_a_sign_of_that_payout(trust: SenderTrust) -> None:
    reading = read_notice(_payout_mail(), trust)
    assert reading.verdict == DecisionKind.IGNORE and reading.receipt is None
    assert reading.payout is not None
    assert (reading.payout.source, reading.payout.gateway, reading.payout.net, reading.payout.service_ref) == (
        SightingSource.NOTICE,
        "stripe",
        Money.of("187.42", "NZD"),
        "po_1QxY2zLkdIwHu7ix",
    )
    assert reading.payout.ref == "payout-1@stripe.com" and reading.payout.on == date(2026, 11, 20)


def test_a_forged_payout_notice_is_no_sign(trust: SenderTrust) -> None:
    forged = _payout_mail().replace(b"NZ$187.42", b"NZ$987.42")  # the signature no longer verifies
    assert read_notice(forged, trust).payout is None


def _payout_amounts(gateway: str, text: str) -> list[re.Pattern[str]]:
    fmt = builtin_formats().get(gateway)
    assert fmt is not None
    return [p for w in fmt.wordings_for(text, text) for p in w.payout_amounts]


def test_a_notice_naming_no_amount_plainly_is_no_sign() -> None:
    assert (
        read_payout_notice(
            gateway="stripe",
            message_id="m",
            subject="Your payout is on its way",
            body="See your dashboard for details.",
            default_currency="NZD",
            on=date(2026, 11, 20),
            amounts=_payout_amounts("stripe", "Your payout is on its way"),
        )
        is None
    )
    withdrawn = read_payout_notice(
        gateway="paypal",
        message_id="m2",
        subject="Withdrawal of NZ$164.50 to your bank",
        body="",
        default_currency="NZD",
        on=date(2026, 11, 20) - timedelta(days=1),
        amounts=_payout_amounts("paypal", "Withdrawal of NZ$164.50 to your bank"),
    )
    assert withdrawn is not None and withdrawn.net == Money.of("164.50", "NZD") and withdrawn.service_ref == ""


def test_the_inbox_keeps_a_payout_notice_as_a_sign_of_its_payout(engine, settings, trust) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from integrations.mailbox import FakeMailbox
    from tests.inbox.conftest import make_app
    from worker.jobs.inbox import process_inbox
    from worker.store.payout_tables import payout_sightings
    from worker.store.tables import receipts

    box = FakeMailbox()
    box.deliver(_payout_mail())
    box.deliver(_payout_mail())  # delivered twice: one sign
    app = make_app(engine, settings, lambda: box)
    counts = process_inbox(app, box, read=lambda raw: read_notice(raw, trust))
    assert counts["read"] == 2
    with engine.connect() as conn:
        [sign] = conn.execute(select(payout_sightings)).all()
        assert conn.execute(select(receipts)).first() is None  # never a payment
    assert (sign.source, sign.gateway, sign.net, sign.service_ref) == (
        "notice",
        "stripe",
        "187.42",
        "po_1QxY2zLkdIwHu7ix",
    )


@pytest.mark.parametrize(
    ("gateway", "subject", "body", "net"),
    [
        ("stripe", "Ihre Auszahlung ist unterwegs", "Ihre Auszahlung über 187,42 NZ$ ist unterwegs.\n", "187.42"),
        (
            "paypal",
            "Auszahlung auf Ihr Bankkonto",
            "Ihre Auszahlung in Höhe von 1.187,42 NZ$ wurde veranlasst.\n",
            "1187.42",
        ),
        ("stripe", "Votre virement est en route", "Votre virement de 187,42 $ NZ est en route.\n", "187.42"),
        ("paypal", "Retiro a tu cuenta bancaria", "Tu retiro de NZ$ 187,42 está en camino.\n", "187.42"),
        (
            "paypal",
            "Your withdrawal is on its way",
            "A withdrawal of NZ$187.42 to your bank account is on its way.\n",
            "187.42",
        ),
    ],
)
def test_a_payout_notice_in_each_language_is_a_sign_of_its_amount(
    trust: SenderTrust, gateway: str, subject: str, body: str, net: str
) -> None:
    """The service's sentence stating what it pays out is data in each language of its format, like a payment's."""
    sender, domain = {"stripe": ("Stripe <notifications@stripe.com>", "stripe.com")}.get(
        gateway, ("PayPal <service@paypal.com>", "paypal.com")
    )
    raw = sign(build_message(from_=sender, subject=subject, body=body, message_id="<po-2@x>"), domain=domain)
    reading = read_notice(raw, trust)
    assert reading.receipt is None and reading.payout is not None, reading.reason
    assert reading.payout.net == Money.of(net, "NZD")


def test_a_payout_amount_pattern_needs_a_payout_kind_and_an_amount_group() -> None:
    from rules.notice_text import FormatError, compile_format

    bad = {
        "gateway": "x",
        "not_payment": [{"kind": "refund", "subject": ["refund"], "amount": ["(?P<amount>{money})"]}],
    }
    with pytest.raises(FormatError, match="amount is for a payout kind"):
        compile_format(bad, "x.toml")
