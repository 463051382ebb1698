"""The forms real notices take (issue 11, finding 7 and "Read the forms"), with test data of our own: local amounts in
English, German, French and Spanish (`1.234,50`, `35,00 NZ$`, `NZ$ 35,00`, `35,00 $ NZ`, no-break spaces) in the
middle of the service's own sentence, RFC 2047 subjects, donations, the gross told from the net after the fee, a
transaction id on the line after its label, currencies the formats do not know (never the home currency), and
refunds, chargebacks, disputes and money requests in each language, which are never a payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.notices import SenderTrust, read_notice
from rules.model import DecisionKind, NoticeReading
from tests.notices.support import build_message, sign

NBSP, NNBSP = "\u00a0", "\u202f"
TXN = "4HK53217MX0981234"
SENDERS = {
    "paypal": ("PayPal <service@paypal.com>", "paypal.com"),
    "stripe": ("Stripe <notify@stripe.com>", "stripe.com"),
}


def read(trust: SenderTrust, subject: str, body: str, gateway: str = "paypal") -> NoticeReading:
    """`subject` as it stands in the header (RFC 2047 encoded words are left as written)."""
    sender, domain = SENDERS[gateway]
    return read_notice(sign(build_message(from_=sender, subject=subject, body=body), domain=domain), trust)


def paid(reading: NoticeReading) -> tuple[Decimal, str]:
    assert reading.receipt is not None, reading.reason
    return reading.receipt.money.amount, reading.receipt.money.currency


# Each language's sentence of a payment received, with the amount where the service puts it: {amount} is filled
# with each local form below.
SENTENCES = {
    "en": ("You've got money", "Tama Wiremu sent you {amount}\n\nTransaction ID: " + TXN + "\n"),
    "de": ("Du hast eine Zahlung erhalten", "Tama Wiremu hat dir {amount} gesendet\n\nTransaktionscode\n" + TXN + "\n"),
    "de-Sie": (
        "Sie haben eine Zahlung erhalten",
        "Sie haben {amount} von Tama Wiremu erhalten.\n\nTransaktionscode: " + TXN,
    ),
    "fr": ("Vous avez reçu un paiement", "Tama Wiremu vous a envoyé {amount}\n\nNuméro de transaction : " + TXN + "\n"),
    "fr-reçu": (
        "Vous avez reçu un paiement",
        "Vous avez reçu {amount} de Tama Wiremu.\n\nNuméro de transaction\n" + TXN,
    ),
    "es": ("Recibiste un pago", "Tama Wiremu te envió {amount}\n\nId. de transacción: " + TXN + "\n"),
    "es-recibiste": ("Recibiste dinero", "Recibiste {amount} de Tama Wiremu.\n\nId. de transacción\n" + TXN + "\n"),
}
LOCAL_AMOUNTS = [
    ("1.234,50 € EUR", "1234.50", "EUR"),
    ("35,00 NZ$", "35.00", "NZD"),
    ("NZ$ 35,00", "35.00", "NZD"),
    ("35,00 $ NZ", "35.00", "NZD"),
    (f"1{NBSP}234,50{NBSP}$ NZ", "1234.50", "NZD"),
    (f"1{NNBSP}234,50{NNBSP}€", "1234.50", "EUR"),
    ("6 380,00 Ft", "6380.00", "HUF"),
    ("100,00 zł", "100.00", "PLN"),
    ("35,00 A$", "35.00", "AUD"),
]


@pytest.mark.parametrize(("token", "amount", "currency"), LOCAL_AMOUNTS, ids=[a[0] for a in LOCAL_AMOUNTS])
@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_local_amounts_inside_each_languages_sentence(
    trust: SenderTrust, language: str, token: str, amount: str, currency: str
) -> None:
    """The sentence goes on after the amount ("hat dir 35,00 NZ$ gesendet"): a symbol of letters after the number,
    or a symbol with its country's letters, is read with it, not left behind."""
    subject, body = SENTENCES[language]
    reading = read(trust, subject, body.format(amount=token))
    assert paid(reading) == (Decimal(amount), currency)
    assert reading.receipt is not None and reading.receipt.payer_name == "Tama Wiremu"
    assert reading.receipt.gateway_txn_id == TXN


@pytest.mark.parametrize(
    ("encoded", "body", "amount", "currency"),
    [
        (
            "=?UTF-8?Q?Du_hast_0,01_=E2=82=AC_EUR_erhalten?=",
            f"Tama Wiremu hat dir 0,01{NBSP}€ EUR gesendet\n{TXN}",
            "0.01",
            "EUR",
        ),
        (
            # "Tama Wiremu hat dir 35,00 NZ$ gesendet"
            "=?UTF-8?B?VGFtYSBXaXJlbXUgaGF0IGRpciAzNSwwMCBOWiQgZ2VzZW5kZXQ=?=",
            f"Hallo!\n\nTama Wiremu hat dir 35,00 NZ$ gesendet\n\nTransaktionscode: {TXN}\n",
            "35.00",
            "NZD",
        ),
        (
            "=?iso-8859-1?q?Vous_avez_re=E7u_un_paiement?=",
            f"Tama Wiremu vous a envoyé 35,00 $ NZ\n{TXN}",
            "35.00",
            "NZD",
        ),
        (
            "=?utf-8?q?Recibiste_un_pago_de?=\n =?utf-8?q?_Tama_Wiremu?=",
            f"Tama Wiremu te envió NZ$ 35,00\n{TXN}",
            "35.00",
            "NZD",
        ),
    ],
)
def test_rfc_2047_subjects(trust: SenderTrust, encoded: str, body: str, amount: str, currency: str) -> None:
    assert paid(read(trust, encoded, body)) == (Decimal(amount), currency)


# Donations are money received: in each language, and however the amount is written.
DONATIONS = [
    ("You have a pending donation", "You have received a donation of 60,00 RUB from Koha Trust (koha@example.org).\n"),
    ("You received a donation", "You've received a donation of60,00 RUB from Koha Trust.\n"),
    ("Donation received", "Koha Trust donated 60,00 RUB to KiwiWeb Design Ltd.\n"),
    ("Sie haben eine Spende erhalten", "Sie haben eine Spende über 60,00 RUB von Koha Trust erhalten.\n"),
    ("Vous avez reçu un don", "Vous avez reçu un don de 60,00 RUB de Koha Trust.\n"),
    ("Has recibido una donación", "Has recibido una donación de 60,00 RUB de Koha Trust.\n"),
]


@pytest.mark.parametrize(("subject", "body"), DONATIONS)
def test_a_donation_is_a_payment_in_each_language(trust: SenderTrust, subject: str, body: str) -> None:
    reading = read(trust, subject, body + "\nTransaction ID: " + TXN + "\n")
    assert paid(reading) == (Decimal("60.00"), "RUB")  # never NZD, the home currency


# What arrived after the service's fee ("Total", "Net", "Gesamt") is not what the payer paid.
GROSS_AND_NET = [
    (
        "Anda telah menerima pembayaran",
        "Perincian Transaksi\nID transaksi: {t}\nTotal: $2,09 USD\nBiaya: $0,41 USD\nJumlah yang diterima: $2,50 USD\n",
        "USD",
    ),
    (
        "You've got money",
        "Transaction ID\n{t}\n\nNet amount\n$2.09 USD\n\nFee\n$0.41 USD\n\nGross amount\n$2.50 USD\n",
        "USD",
    ),
    (
        "Sie haben eine Zahlung erhalten",
        "Transaktionscode: {t}\nNettobetrag: 2,09 € EUR\nGebühr: -0,41 € EUR\nBruttobetrag: 2,50 € EUR\n",
        "EUR",
    ),
    (
        "Du hast eine Zahlung erhalten",
        "Transaktionscode\n{t}\nErhaltener Betrag\n2,50 € EUR\nGebühren\n0,41 € EUR\nGesamt\n2,09 € EUR\n",
        "EUR",
    ),
    (
        "Vous avez reçu un paiement",
        "Numéro de transaction : {t}\nMontant net : 2,09 € EUR\nFrais : 0,41 € EUR\nMontant brut : 2,50 € EUR\n",
        "EUR",
    ),
    (
        "Recibiste un pago",
        "Id. de transacción: {t}\nTotal: 2,09 € EUR\nComisión: 0,41 € EUR\nImporte recibido: 2,50 € EUR\n",
        "EUR",
    ),
    (
        "Anda telah menerima pembayaran",
        "ID transaksi: {t}\nBiaya: $0,41 USD\nTotal: $2,09 USD\n",
        "USD",
    ),  # no gross line
]


@pytest.mark.parametrize(("subject", "body", "currency"), GROSS_AND_NET)
def test_the_gross_is_told_from_the_net_after_the_fee(
    trust: SenderTrust, subject: str, body: str, currency: str
) -> None:
    assert paid(read(trust, subject, body.format(t=TXN))) == (Decimal("2.50"), currency)


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("You've got money", "Tama Wiremu sent you $45.00 NZD\n\nTransaction ID\n{t}\n"),
        ("You've got money", "Tama Wiremu sent you $45.00 NZD\n\nTransaction ID\n\n{t}\n"),
        ("Du hast eine Zahlung erhalten", "Tama Wiremu hat dir 45,00 NZ$ gesendet\n\nTransaktionscode\n{t}\n"),
        ("Vous avez reçu un paiement", "Tama Wiremu vous a envoyé 45,00 $ NZ\n\nNuméro de transaction\n{t}\n"),
        ("Recibiste un pago", "Tama Wiremu te envió NZ$ 45,00\n\nId. de transacción\n{t}\n"),
    ],
)
def test_the_transaction_id_on_the_line_after_its_label(trust: SenderTrust, subject: str, body: str) -> None:
    reading = read(trust, subject, body.format(t=TXN))
    assert paid(reading) == (Decimal("45.00"), "NZD")
    assert reading.receipt is not None and reading.receipt.gateway_txn_id == TXN


@pytest.mark.parametrize(
    "token",
    [
        "60,00 RUB",
        "6 380,00 Ft",
        "35.00 XBT",
        "$35.00",
        "35,00 $",
        "¥3500",
        "35,00 kr",
        "35.00",
        "35.00 Dollars",
        "S/ 35.00",
    ],
)
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_a_currency_unknown_or_unstated_is_never_the_home_currency(
    trust: SenderTrust, language: str, token: str
) -> None:
    """NZD is home. Without a code or a symbol of one currency the amount has no currency: a person looks."""
    subject, body = SENTENCES[language]
    reading = read(trust, subject, body.format(amount=token))
    if reading.receipt is not None:
        assert reading.receipt.money.currency != "NZD", token
        assert reading.receipt.money.currency in {"RUB", "HUF"}, token
    else:
        assert reading.verdict is DecisionKind.REVIEW, reading.reason


# Mail about money that is no payment to us, in each language: never a receipt.
NOT_PAYMENTS = [
    ("paypal", "You've received a refund", "You received a refund of $35.00 NZD from Acme Hosting Ltd.\n"),
    ("paypal", "Refund to Tama Wiremu", "You issued a refund of $35.00 NZD to Tama Wiremu.\n"),
    ("paypal", "A chargeback has been filed", "Tama Wiremu filed a chargeback for $35.00 NZD.\n"),
    ("paypal", "Tama Wiremu opened a dispute", "Tama Wiremu opened a dispute for $35.00 NZD.\n"),
    ("paypal", "Request for money from Tama Wiremu", "Tama Wiremu is requesting $35.00 NZD.\n"),
    ("paypal", "Tama Wiremu requested $35.00 NZD", "Tama Wiremu requested $35.00 NZD from you.\n"),
    ("stripe", "Refund of NZ$35.00 to tama@example.nz", "You issued a refund of NZ$35.00 to tama@example.nz.\n"),
    ("stripe", "A payment has been disputed", "A customer has disputed a payment of NZ$35.00.\n"),
    (
        "paypal",
        "Sie haben eine Rückzahlung erhalten",
        "Sie haben eine Rückzahlung über 35,00 € EUR von Acme GmbH erhalten.\n",
    ),
    ("paypal", "Rückzahlung an Tama Wiremu", "Sie haben 35,00 € EUR an Tama Wiremu zurückgezahlt.\n"),
    (
        "paypal",
        "Tama Wiremu hat einen Konflikt eröffnet",
        "Tama Wiremu hat einen Konflikt über 35,00 € EUR eröffnet.\n",
    ),
    ("paypal", "Zahlungsrückbuchung über 35,00 €", "Eine Rückbuchung über 35,00 € EUR wurde veranlasst.\n"),
    ("paypal", "Tama Wiremu hat Ihnen eine Zahlungsaufforderung gesendet", "Tama Wiremu bittet Sie um 35,00 € EUR.\n"),
    ("stripe", "Eine Zahlung wurde angefochten", "Ein Kunde hat eine Zahlung über 35,00 € angefochten.\n"),
    ("paypal", "Vous avez reçu un remboursement", "Vous avez reçu un remboursement de 35,00 € EUR de Acme SARL.\n"),
    ("paypal", "Tama Wiremu a ouvert un litige", "Tama Wiremu a ouvert un litige de 35,00 € EUR.\n"),
    ("paypal", "Rétrofacturation de 35,00 €", "Une rétrofacturation de 35,00 € EUR a été demandée.\n"),
    ("paypal", "Tama Wiremu vous a envoyé une demande de paiement", "Tama Wiremu vous demande 35,00 € EUR.\n"),
    ("stripe", "Un paiement a été contesté", "Un client a contesté un paiement de 35,00 €.\n"),
    ("paypal", "Recibiste un reembolso", "Recibiste un reembolso de 35,00 € EUR de Acme SL.\n"),
    ("paypal", "Tama Wiremu abrió una disputa", "Tama Wiremu abrió una disputa por 35,00 € EUR.\n"),
    ("paypal", "Contracargo de 35,00 €", "Se ha recibido un contracargo de 35,00 € EUR.\n"),
    ("paypal", "Tama Wiremu te pidió dinero", "Tama Wiremu te pidió 35,00 € EUR.\n"),
    ("stripe", "Se ha disputado un pago", "Un cliente ha disputado un pago de 35,00 €.\n"),
]


@pytest.mark.parametrize(("gateway", "subject", "body"), NOT_PAYMENTS)
def test_refunds_chargebacks_disputes_and_requests_are_never_a_payment(
    trust: SenderTrust, gateway: str, subject: str, body: str
) -> None:
    reading = read(trust, subject, body + "\nTransaction ID: " + TXN + "\n", gateway)
    assert reading.receipt is None
    assert reading.verdict is DecisionKind.IGNORE, reading.reason  # known for what it is, not left to a person


def test_a_payer_name_written_as_the_services_sentence_states_no_amount(trust: SenderTrust) -> None:
    """The payer chooses their name, which stands before the amount: "Kelly sent you $30.00 NZD and Mallory" would
    put 30.00 first. The rest of the line is read too, so such a name is two statements: a person looks."""
    reading = read(
        trust,
        "You've got money",
        f"Kelly sent you $30.00 NZD and Mallory sent you $0.01 NZD\n\nTransaction ID: {TXN}\n",
    )
    assert reading.verdict is DecisionKind.REVIEW and "twice, differently" in reading.reason
    german = read(
        trust,
        "Du hast eine Zahlung erhalten",
        f"Kelly hat dir 30,00 € gesendet und Mallory hat dir 0,01 € gesendet\n{TXN}",
    )
    assert german.receipt is None


def test_a_label_on_its_own_line_is_no_payer(trust: SenderTrust) -> None:
    """Stripe's newer receipts put each label on its own line: "Amount paid" then "NZ$35.00" is no sentence saying
    that a payer called "Amount" paid."""
    body = f"Amount paid\nNZ$35.00\n\nCustomer\ntama@example.nz\n\nPayment ID\npi_3QxYz{TXN}\n"
    reading = read(trust, "Payment received", body, "stripe")
    assert paid(reading) == (Decimal("35.00"), "NZD")
    assert reading.receipt is not None
    assert (reading.receipt.payer_name, reading.receipt.payer_email) == ("", "tama@example.nz")


PAYER_NAMES = [
    "Invoice Ninja Ltd",
    "Custom Homes Ltd",
    "Refund Partners Ltd",
    "Rückzahlung Reisen GmbH",
    "Payout Services Ltd",
]
IN_EACH_LANGUAGE = [
    ("{name} sent you $5.00 NZD", "{name} sent you $5.00 NZD\n\nTransaction ID: {t}\n", "paypal"),
    ("{name} hat dir 5,00 NZ$ gesendet", "{name} hat dir 5,00 NZ$ gesendet\n\nTransaktionscode\n{t}\n", "paypal"),
    ("{name} vous a envoyé 5,00 $ NZ", "{name} vous a envoyé 5,00 $ NZ\n\nNuméro de transaction : {t}\n", "paypal"),
    ("{name} te envió NZ$ 5,00", "{name} te envió NZ$ 5,00\n\nId. de transacción: {t}\n", "paypal"),
    ("{name} paid NZ$5.00", "{name} paid you NZ$5.00\n\nPayment ID: pi_{t}\n", "stripe"),
]


@pytest.mark.parametrize("name", PAYER_NAMES)
@pytest.mark.parametrize(("subject", "body", "gateway"), IN_EACH_LANGUAGE)
def test_a_payers_name_is_never_the_services_word(
    trust: SenderTrust, name: str, subject: str, body: str, gateway: str
) -> None:
    """A payer's name that begins with a label word ("Invoice", "Custom") or holds a word of refunds or payouts is
    still the payer's name, in the subject and in the service's sentence alike: the payment is read."""
    reading = read(trust, subject.format(name=name), body.format(name=name, t=TXN), gateway)
    assert paid(reading) == (Decimal("5.00"), "NZD")
    assert reading.receipt is not None and reading.receipt.payer_name == name


@pytest.mark.parametrize(
    "note",
    [
        "Note from Mallory Kelly sent you $30.00 NZD",  # a note without a colon, written as the service's sentence
        "Note from Mallory Kelly sent you $0.01 NZD\nyour payment was declined\nyou have issued a refund of $5.00 NZD",
        "Mitteilung von Mallory Kelly hat dir 30,00 NZ$ gesendet",
    ],
)
def test_a_note_without_a_colon_written_as_the_services_sentence(trust: SenderTrust, note: str) -> None:
    """Read as a sentence, such a note is one more statement of the amount (it must agree, or a person looks); the
    lines below it stay the payer's, so they never make the payment a refund."""
    body = f"You received a payment of $0.01 NZD from Mallory Payer.\n\nTransaction ID: {TXN}\n\n{note}\n"
    reading = read(trust, "You've got money", body)
    assert reading.verdict is not DecisionKind.IGNORE, reading.reason
    if reading.receipt is not None:
        assert paid(reading) == (Decimal("0.01"), "NZD")
    else:
        assert reading.verdict is DecisionKind.REVIEW and "twice, differently" in reading.reason


@pytest.mark.parametrize(
    ("subject", "body", "currency"),
    [
        (
            "You've got money",
            "You've got $45.00 NZD\n\nSent by\nTama Wiremu\ntama@example.nz\n\nTransaction ID\n{t}\n",
            "NZD",
        ),
        (
            "You've got money",
            "You received $45.00 NZD\n\nSent by: Tama Wiremu (tama@example.nz)\nTransaction ID: {t}\n",
            "NZD",
        ),
        (
            "Du hast Geld erhalten",
            "Du hast 45,00 € EUR erhalten\n\nGesendet von\nTama Wiremu\ntama@example.nz\n\n{t}\n",
            "EUR",
        ),
        (
            "Vous avez reçu de l'argent",
            "Vous avez reçu 45,00 € EUR\n\nEnvoyé par\nTama Wiremu\ntama@example.nz\n\n{t}",
            "EUR",
        ),
        (
            "Recibiste dinero",
            "Recibiste 45,00 € EUR\n\nEnviado por\nTama Wiremu\ntama@example.nz\n\nId. de transacción\n{t}\n",
            "EUR",
        ),
    ],
)
def test_sent_by_blocks(trust: SenderTrust, subject: str, body: str, currency: str) -> None:
    """The newer layouts: the amount alone in the first sentence, then a "Sent by" block with name and address."""
    reading = read(trust, subject, body.format(t=TXN))
    assert paid(reading) == (Decimal("45.00"), currency)
    assert reading.receipt is not None
    assert (reading.receipt.payer_name, reading.receipt.payer_email) == ("Tama Wiremu", "tama@example.nz")
