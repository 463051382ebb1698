"""Issue 11: the newer Stripe layout (a heading, then each label alone on its line with its value below) in French
("Vous avez reçu un paiement") and Spanish ("Ha recibido un pago") is a payment; a refund, dispute or failed payment
in that layout, named by its subject or its heading, never is. Made-up notices, signed with the test key."""

from __future__ import annotations

import pytest

from integrations.notices import SenderTrust, read_notice
from rules.model import DecisionKind, NoticeReading
from tests.notices.support import build_message, sign


def read(trust: SenderTrust, body: str, subject: str) -> NoticeReading:
    message = build_message(from_="Stripe <notifications@stripe.com>", subject=subject, body=body)
    return read_notice(sign(message, domain="stripe.com"), trust)


STRIPE_NEW = {
    "fr": (
        "Vous avez reçu un paiement",
        "KiwiWeb Design Ltd\n\nPaiement reçu\n\nMontant\n250,00 $ NZ\nDescription\nINV-2212\nClient\n"
        "ana@tipene.example\nID du paiement\npi_3FrPayment00000000001\nMoyen de paiement\nVisa •••• 2791\nDate\n"
        "14 novembre 2026\n",
    ),
    "es": (
        "Ha recibido un pago",
        "KiwiWeb Design Ltd\n\nPago recibido\n\nImporte\nNZ$ 45,00\nDescripción\nINV-2213\nCliente\n"
        "tama@park.example\nID del pago\npi_3EsPayment00000000001\nMétodo de pago\nVisa •••• 6956\nFecha\n"
        "30 de octubre de 2026\n",
    ),
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ("250.00 NZD", "pi_3FrPayment00000000001", "INV-2212", "ana@tipene.example")),
        ("es", ("45.00 NZD", "pi_3EsPayment00000000001", "INV-2213", "tama@park.example")),
    ],
)
def test_the_newer_stripe_layout_in_french_and_spanish_is_a_payment(
    trust: SenderTrust, language: str, expected: tuple[str, str, str, str]
) -> None:
    subject, body = STRIPE_NEW[language]
    reading = read(trust, body, subject)
    receipt = reading.receipt
    assert receipt is not None, reading.reason
    text = " | ".join(value for _, value in receipt.text)
    assert (str(receipt.money), receipt.gateway_txn_id, text, receipt.payer_email) == expected
    assert receipt.gateway == "stripe"


@pytest.mark.parametrize(
    ("language", "subject", "heading"),
    [
        ("fr", "Remboursement de 250,00 $ NZ", "Remboursement effectué"),
        ("fr", "Vous avez un nouveau message de Stripe", "Remboursement émis"),
        ("fr", "Vous avez un nouveau message de Stripe", "Litige ouvert"),
        ("fr", "Un client a contesté un paiement", "Paiement reçu"),
        ("fr", "Vous avez un nouveau message de Stripe", "Paiement échoué"),
        ("es", "Reembolso de NZ$ 45,00", "Reembolso emitido"),
        ("es", "Tiene un nuevo mensaje de Stripe", "Reembolso emitido"),
        ("es", "Tiene un nuevo mensaje de Stripe", "Disputa abierta"),
        ("es", "Un cliente ha iniciado una disputa", "Pago recibido"),
        ("es", "Tiene un nuevo mensaje de Stripe", "Pago rechazado"),
    ],
)
def test_refunds_and_disputes_in_the_newer_layout_are_never_a_payment(
    trust: SenderTrust, language: str, subject: str, heading: str
) -> None:
    """The same layout for a refund, a dispute or a failed payment, named by the subject or by the heading."""
    _, body = STRIPE_NEW[language]
    body = body.replace("Paiement reçu" if language == "fr" else "Pago recibido", heading)
    reading = read(trust, body, subject)
    assert reading.receipt is None, reading
    assert reading.verdict in (DecisionKind.IGNORE, DecisionKind.REVIEW), reading
