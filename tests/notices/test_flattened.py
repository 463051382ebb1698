"""Notices collapsed onto one line (issue 11, finding 7 and "Notice layouts"): an HTML-only notice whose text, once
the tags are gone, is one long line, and a plain text part whose line breaks were lost (like the Austrian PayPal
notice in ../shared/realmail). For every format in rules/notice_formats, each layout collapsed reads as the same
service, kind, amount, currency, payer, transaction id and references as with its lines; greetings ("Hello," "Hallo
X!", "Bonjour X,") name no payer. What the payer wrote stays the payer's (finding 2): notes that imitate the service's
sentence, state `Amount: $30.00` or say "refund" or "declined" change nothing where the layout tells them apart, and
send the notice to a person where nobody could (never a wrong amount, never a payment ignored).

Test data of our own, generated from the per-language cases of tests/notices/test_forms.py and a layout per format."""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.notices import SenderTrust, builtin_formats
from integrations.notices.explain import explain_notice
from rules.model import DecisionKind
from rules.notice_layout import relined
from rules.notice_text import read_content
from tests.notices.support import build_message, corpus_trust, sign
from tests.notices.test_forms import (
    DONATIONS,
    GROSS_AND_NET,
    IN_EACH_LANGUAGE,
    LOCAL_AMOUNTS,
    NOT_PAYMENTS,
    PAYER_NAMES,
    SENTENCES,
    TXN,
)

SENDERS = {
    "paypal": ("PayPal <service@paypal.com>", "paypal.com"),
    "stripe": ("Stripe <notify@stripe.com>", "stripe.com"),
    "windcave": ("Windcave <noreply@windcave.com>", "windcave.com"),
    "xero": ("Xero <messaging-service@post.xero.com>", "post.xero.com"),
    "cashapp": ("Cash App <cash@square.com>", "square.com"),
}
# How a notice greets its reader, in each language: the greeting stands before the service's sentence.
GREETINGS = {
    "en": ("Hello KiwiWeb Design Ltd,", "Hello,", "Hi KiwiWeb Design Ltd,", "Dear KiwiWeb Design Ltd,"),
    "de": ("Hallo KiwiWeb Design Ltd!", "Guten Tag KiwiWeb Design Ltd,", "Sehr geehrte Damen und Herren,"),
    "fr": ("Bonjour KiwiWeb Design Ltd,", "Bonjour,", "Cher KiwiWeb Design Ltd,"),
    "es": ("Hola, KiwiWeb Design Ltd,", "Hola KiwiWeb Design Ltd,", "Estimado KiwiWeb Design Ltd,"),
    "id": ("Halo KiwiWeb Design Ltd,", "Halo,"),
    "hu": ("Kedves KiwiWeb Design Ltd!",),
}
XERO_ID = "52da177d-d5c5-4eab-8693-24b949a8f7c5"


@pytest.fixture
def trust() -> SenderTrust:
    """The dev corpus's trust settings, with Cash App allowed as a reseller enables it (square.com), signed with the
    test key."""
    base = corpus_trust()
    record = base.dns_txt("test1._domainkey.paypal.com")

    def dns_txt(name: str) -> str | None:
        return record if name.startswith("test1._domainkey.") else base.dns_txt(name)

    return replace(base, payment_senders={**base.payment_senders, "square.com": "cashapp"}, dns_txt=dns_txt)


# A layout of each format file (gateway, language, subject, body), beside the cases of test_forms: what each service
# writes around the amount (labels on their own lines, the payer's note, the footer).
LAYOUTS: list[tuple[str, str, str, str]] = [
    (
        "paypal",
        "en",
        "You've got money",
        "You received a payment of $45.00 NZD from Jo Bloggs (jo@kauricafe.co.nz).\n\nTransaction ID: {t}\n"
        "Transaction date: 23 Nov 2026 12:34:31 NZDT\nNote from Jo Bloggs: INV-0042 kauricafe.co.nz\n\n"
        "It may take a few moments for this transaction to appear in your account.\n",
    ),
    (
        "paypal",
        "en",
        "You've got money",
        "Jo Bloggs sent you $45.00 NZD\n\nTransaction Details\nTransaction ID\n{t}\nTransaction date\n"
        "December 11, 2026\n\nAmount $45.00 NZD\n\nDon't see the money in your account?\n",
    ),
    (
        "paypal",
        "de",
        "Sie haben eine Zahlung erhalten",
        "Jo Bloggs hat Ihnen 45,00 € EUR gesendet\n\nMitteilung von Jo Bloggs: INV-0042\n\nTransaktionsdetails\n"
        "Transaktionscode\n{t}\nTransaktionsdatum\n22. Jänner 2026\nErhaltener Betrag\n45,00 € EUR\n",
    ),
    (
        "paypal",
        "fr",
        "Vous avez reçu un paiement",
        "Jo Bloggs vous a envoyé 45,00 € EUR\n\nNuméro de transaction : {t}\n"
        "Message de Jo Bloggs : INV-0042 kauricafe.co.nz\n",
    ),
    (
        "paypal",
        "es",
        "Recibiste un pago",
        "Jo Bloggs te envió 45,00 € EUR\n\nId. de transacción: {t}\nMensaje de Jo Bloggs: INV-0042\n",
    ),
    (
        "paypal",
        "id",
        "Anda telah menerima pembayaran",
        "Jo Bloggs telah mengirim $45,00 USD kepada Anda\n\nID transaksi: {t}\nCatatan dari Jo Bloggs: INV-0042\n",
    ),
    (
        "paypal",
        "id",
        "Anda telah menerima pembayaran",
        "Perincian Transaksi\nID transaksi: {t}\nJumlah yang diterima: $2,50 USD\nBiaya: $0,41 USD\nTotal: $2,09 USD\n",
    ),
    (
        "stripe",
        "en",
        "Payment of NZ$45.00 from jo@kauricafe.co.nz",
        "KiwiWeb Design Ltd\n\nYou received a payment of NZ$45.00 from jo@kauricafe.co.nz.\n\n"
        "Amount: NZ$45.00 NZD\nDescription: Invoice INV-0042\nCustomer: jo@kauricafe.co.nz\nPayment ID: pi_{t}\n"
        "Payment method: Visa ending in 4242\nDate: Nov 22, 2026, 10:44 AM\n\nView payment in the Dashboard.\n",
    ),
    (
        "stripe",
        "en",
        "Payment received",
        "Amount paid\nNZ$45.00\n\nCustomer\njo@kauricafe.co.nz\n\nPayment ID\npi_{t}\n\nDescription\nINV-0042\n",
    ),
    (
        "stripe",
        "de",
        "Zahlung über 45,00 € von jo@kauricafe.co.nz",
        "Sie haben eine Zahlung über 45,00 € EUR von jo@kauricafe.co.nz erhalten.\n\nBetrag: 45,00 € EUR\n"
        "Beschreibung: INV-0042\nKunde: jo@kauricafe.co.nz\nZahlungs-ID: pi_{t}\n",
    ),
    (
        "stripe",
        "fr",
        "Paiement de 45,00 € de jo@kauricafe.co.nz",
        "Vous avez reçu un paiement de 45,00 € EUR de jo@kauricafe.co.nz.\n\nMontant : 45,00 € EUR\n"
        "Description : INV-0042\nClient : jo@kauricafe.co.nz\nID du paiement : pi_{t}\n",
    ),
    (
        "stripe",
        "es",
        "Pago de 45,00 € de jo@kauricafe.co.nz",
        "Has recibido un pago de 45,00 € EUR de jo@kauricafe.co.nz.\n\nImporte: 45,00 € EUR\n"
        "Descripción: INV-0042\nCliente: jo@kauricafe.co.nz\nID del pago: pi_{t}\n",
    ),
    (
        "stripe",
        "hu",
        "Fizetés érkezett",
        "Összeg: 6 380,00 Ft\nLeírás: INV-0042\nElismervény száma: 1234-{t}\n",
    ),
    (
        "windcave",
        "en",
        "Windcave Transaction Receipt",
        "Merchant: KiwiWeb Design Ltd\nTransaction Type: Purchase\nMerchant Reference: INV-0042 kauricafe.co.nz\n"
        "Amount: 45.00\nCurrency: NZD\nCard Holder Name: JO BLOGGS\nCard Number: 411111........11\n"
        "DpsTxnRef: 0000000982cc7b\nResponse: APPROVED\nDate: 23/11/2026 11:35:57\n",
    ),
    (
        "cashapp",
        "en",
        "Jo Bloggs sent you $45",
        "Jo Bloggs\nPayment from $JoBloggsTag\n$45.00\n\nReceived\nAmount\n$45.00\nDestination\nCash\n"
        "Identifier\n#1VX2AYF\nTo\nKiwiWeb Design Ltd\nFrom\nJo Bloggs\n",
    ),
    (
        "xero",
        "en",
        "Payment received for INV-0042",
        "Kauri Cafe Ltd has paid NZ$45.00 for invoice INV-0042 via GoCardless.\n\n"
        "The payment has been applied to the invoice in Xero.\nPayment reference: " + XERO_ID + "\n",
    ),
]


def flattened(body: str) -> str:
    """The text with its line breaks lost: every run of white space one space, as some IMAP readers keep it."""
    return " ".join(body.split())


def html_only(body: str) -> str:
    """The text as an HTML part without block tags: once the tags are gone, one long line."""
    return "<html><body>" + " ".join(f"<span>{escape(line)}</span>" for line in body.split("\n")) + "</body></html>"


def explained(trust: SenderTrust, gateway: str, subject: str, body: str, *, html: bool = False) -> dict[str, Any]:
    """What the inbox reads (the fields `notices explain --json` gives) and what it makes of it."""
    sender, domain = SENDERS[gateway]
    content_type = 'text/html; charset="utf-8"' if html else 'text/plain; charset="utf-8"'
    raw = sign(build_message(from_=sender, subject=subject, body=body, content_type=content_type), domain=domain)
    explanation = explain_notice(raw, trust)
    got = explanation.as_json()
    assert got["authenticated"], got["auth_reasons"]
    content = explanation.content
    reading = explanation.reading
    return {
        "service": got["service"],
        "kind": got["kind"],
        "amount": got["amount"],
        "currency": got["currency"],
        "payer_name": content.payer_name if content else None,
        "payer_email": content.payer_email if content else None,
        "transaction_id": got["transaction_id"],
        "references": got["references"],
        "outcome": "receipt" if reading.receipt is not None else str(reading.verdict),
        "receipt": (str(reading.receipt.money), reading.receipt.gateway_txn_id) if reading.receipt else None,
    }


def _cases() -> list[tuple[str, str, str, str]]:
    """(gateway, language, subject, body) of every layout: test_forms' cases in each language, and LAYOUTS."""
    cases: list[tuple[str, str, str, str]] = []
    for key, (subject, body) in SENTENCES.items():
        for token, _, _ in LOCAL_AMOUNTS:
            cases.append(("paypal", key[:2], subject, body.format(amount=token)))
    for subject, body in DONATIONS:
        cases.append(("paypal", "en", subject, body + "\nTransaction ID: " + TXN + "\n"))
    for subject, body, _ in GROSS_AND_NET:
        cases.append(("paypal", "en", subject, body.format(t=TXN)))
    for name in PAYER_NAMES:
        for subject, body, gateway in IN_EACH_LANGUAGE:
            cases.append((gateway, "en", subject.format(name=name), body.format(name=name, t=TXN)))
    for gateway, subject, body in NOT_PAYMENTS:
        cases.append((gateway, "en", subject, body + "\nTransaction ID: " + TXN + "\n"))
    cases += [(gateway, language, subject, body.format(t=TXN)) for gateway, language, subject, body in LAYOUTS]
    return cases


CASES = _cases()


def _greeted(index: int, language: str, body: str) -> str:
    """Every other case opens with a greeting in its language (a different one each time)."""
    if index % 2:
        return body
    greetings = GREETINGS.get(language, GREETINGS["en"])
    return f"{greetings[(index // 2) % len(greetings)]}\n\n{body}"


@pytest.mark.parametrize(
    ("gateway", "subject", "body"),
    [(g, s, _greeted(i, lang, b)) for i, (g, lang, s, b) in enumerate(CASES)],
    ids=[f"{g}-{lang}-{i}" for i, (g, lang, _, _) in enumerate(CASES)],
)
def test_a_layout_collapsed_onto_one_line_reads_as_with_its_lines(
    trust: SenderTrust, gateway: str, subject: str, body: str
) -> None:
    with_lines = explained(trust, gateway, subject, body)
    assert explained(trust, gateway, subject, flattened(body)) == with_lines, flattened(body)
    assert explained(trust, gateway, subject, html_only(body), html=True) == with_lines, html_only(body)


@pytest.mark.parametrize(
    ("greeting", "language"), [(g, language) for language, greetings in GREETINGS.items() for g in greetings]
)
def test_a_greeting_names_no_payer(trust: SenderTrust, greeting: str, language: str) -> None:
    """ "Hello, Jo Bloggs sent you ..." is Jo Bloggs' payment: the greeting ends at its comma or exclamation mark."""
    sentence = {
        "en": "Jo Bloggs sent you $45.00 NZD Transaction ID: {t}",
        "de": "Jo Bloggs hat dir 45,00 NZ$ gesendet Transaktionscode {t}",
        "fr": "Jo Bloggs vous a envoyé 45,00 $ NZ Numéro de transaction : {t}",
        "es": "Jo Bloggs te envió NZ$ 45,00 Id. de transacción: {t}",
        "id": "Jo Bloggs telah mengirim NZ$ 45,00 kepada Anda ID transaksi: {t}",
        "hu": "Jo Bloggs sent you $45.00 NZD Transaction ID: {t}",
    }[language]
    got = explained(trust, "paypal", "Payment received", f"{greeting} {sentence.format(t=TXN)}")
    assert (got["payer_name"], got["amount"], got["currency"], got["transaction_id"]) == (
        "Jo Bloggs",
        "45.00",
        "NZD",
        TXN,
    )


# ---------------------------------------------------------------------------------------------- the payer's text

GENUINE_TXN = "7XK12345LM678901N"
FORGED_TXN = "1AAAAAAAAAAAAAAAA"
# A genuine payment of 0.01 in each layout, the payer's note where the service puts it ({note}).
NOTE_LAYOUTS: list[tuple[str, str, str, str]] = [
    (
        "paypal",
        "You've got money",
        "Hello KiwiWeb Design Ltd,\n\nYou received a payment of $0.01 NZD from Mallory Payer (mallory@example.org)."
        "\n\nTransaction ID: {t}\n{note}\n\nIt may take a few moments for this transaction to appear in your "
        "account.\n",
        "Note from Mallory Payer: ",
    ),
    (
        "paypal",
        "You've got money",
        "Hello,\n\nMallory Payer sent you $0.01 NZD\n\n{note}\n\nTransaction ID\n{t}\n",
        "Note from Mallory Payer: ",
    ),
    (
        "paypal",
        "Du hast eine Zahlung erhalten",
        "Hallo KiwiWeb!\n\nMallory Payer hat dir 0,01 € EUR gesendet\n\n{note}\n\nTransaktionsdetails\n"
        "Transaktionscode\n{t}\n\nErhaltener Betrag\n0,01 € EUR\n",
        "Mitteilung von Mallory Payer: ",
    ),
    (
        "paypal",
        "Vous avez reçu un paiement",
        "Bonjour KiwiWeb,\n\nMallory Payer vous a envoyé 0,01 € EUR\n\n{note}\n\nNuméro de transaction : {t}\n",
        "Message de Mallory Payer : ",
    ),
    (
        "paypal",
        "Recibiste un pago",
        "Hola KiwiWeb,\n\nMallory Payer te envió 0,01 € EUR\n\n{note}\n\nId. de transacción: {t}\n",
        "Mensaje de Mallory Payer: ",
    ),
    (
        "paypal",
        "Anda telah menerima pembayaran",
        "Halo KiwiWeb,\n\nMallory Payer telah mengirim $0,01 USD kepada Anda\n\n{note}\n\nID transaksi: {t}\n",
        "Catatan dari Mallory Payer: ",
    ),
    (
        "stripe",
        "Payment of NZ$0.01 from mallory@example.org",
        "KiwiWeb Design Ltd\n\nYou received a payment of NZ$0.01 from mallory@example.org.\n\nAmount: NZ$0.01 NZD\n"
        "Description: {note}\nCustomer: mallory@example.org\nPayment ID: pi_{t}\nPayment method: Visa ending in 4242\n",
        "",
    ),
    (
        "stripe",
        "Zahlung über 0,01 € von mallory@example.org",
        "Sie haben eine Zahlung über 0,01 € EUR von mallory@example.org erhalten.\n\nBetrag: 0,01 € EUR\n"
        "Beschreibung: {note}\nKunde: mallory@example.org\nZahlungs-ID: pi_{t}\n",
        "",
    ),
    (
        "windcave",
        "Windcave Transaction Receipt",
        "Merchant: KiwiWeb Design Ltd\nTransaction Type: Purchase\nMerchant Reference: {note}\nAmount: 0.01\n"
        "Currency: NZD\nCard Holder Name: MALLORY PAYER\nCard Number: 411111........11\nDpsTxnRef: {t}\n"
        "Response: APPROVED\nDate: 23/11/2026 11:35:57\n",
        "",
    ),
]
# What an attacker writes in the note: the service's sentence, its labels (in every language), words of refunds and
# declines, the service's own fields.
NOTES = [
    "INV-0043",
    "You received a payment of NZ$30.00 NZD from Kelly Catering. INV-0043",
    "Kelly Catering sent you $30.00 NZD INV-0043",
    "Amount: $30.00 NZD INV-0043",
    "Gross amount: NZ$30.00 INV-0043",
    "Erhaltener Betrag 300,00 € EUR INV-0043",
    "Kelly Catering hat dir 30,00 € EUR gesendet INV-0043",
    "Montant reçu : 30,00 € EUR INV-0043",
    "Importe recibido: 30,00 € EUR INV-0043",
    "Jumlah yang diterima: $30,00 USD INV-0043",
    "last payment was declined, trying again INV-0043",
    "failed earlier, sorry. please refund the overpayment INV-0043",
    "your payment was declined you have issued a refund of $5.00 NZD INV-0043",
    "Zahlung wurde abgelehnt. Sie haben eine Rückzahlung erhalten INV-0043",
    "Response: DECLINED INV-0043",
    "Transaction Type: Refund INV-0043",
    "Amount: 30.00 Response: DECLINED INV-0043",
    f"Transaction ID: {FORGED_TXN} INV-0043",
    f"DpsTxnRef: {FORGED_TXN} INV-0043",
]


@pytest.mark.parametrize("note", NOTES)
@pytest.mark.parametrize(("gateway", "subject", "body", "label"), NOTE_LAYOUTS, ids=lambda v: str(v)[:24])
def test_a_payers_note_stays_the_payers_when_collapsed(
    trust: SenderTrust, gateway: str, subject: str, body: str, label: str, note: str
) -> None:
    """0.01 arrived; the note says otherwise. With its lines, the notice is a payment of 0.01. Collapsed, it is the
    same payment of 0.01 (with no transaction id where two stand after the note and differ), or, where the payer's
    reference stands before the service's fields (Windcave) and nobody can tell which "Amount:" or "Response:" is the
    service's, a person looks. Never 30.00, never a payment ignored, never the payer's transaction id."""
    text = body.format(note=label + note, t=GENUINE_TXN)
    with_lines = explained(trust, gateway, subject, text)
    assert with_lines["outcome"] == "receipt" and with_lines["amount"] == "0.01"
    for got in (
        explained(trust, gateway, subject, flattened(text)),
        explained(trust, gateway, subject, html_only(text), html=True),
    ):
        assert got["outcome"] in ("receipt", str(DecisionKind.REVIEW)), got
        assert got["transaction_id"] in (with_lines["transaction_id"], None), got
        if got["outcome"] == "receipt":
            assert got["receipt"][0] == with_lines["receipt"][0], got  # 0.01, in the service's currency
            assert got["kind"] == "payment" and got["payer_name"] == with_lines["payer_name"], got
        else:
            assert gateway == "windcave" or "Transaction ID" in note, got


@pytest.mark.parametrize("note", NOTES)
def test_a_note_after_the_services_fields_changes_nothing_collapsed(trust: SenderTrust, note: str) -> None:
    """Where the service states amount and transaction id before the note (PayPal's English layout), the collapsed
    notice reads exactly as with its lines, references included, whatever the note says."""
    gateway, subject, body, label = NOTE_LAYOUTS[0]
    text = body.format(note=label + note, t=GENUINE_TXN)
    with_lines = explained(trust, gateway, subject, text)
    assert with_lines["receipt"] == ("0.01 NZD", GENUINE_TXN)
    assert explained(trust, gateway, subject, flattened(text)) == with_lines
    assert explained(trust, gateway, subject, html_only(text), html=True) == with_lines


def test_a_collapsed_windcave_decline_is_no_payment(trust: SenderTrust) -> None:
    """The service's own "Response: DECLINED" stands after the payer's reference: collapsed, it still says no money
    came (unless a second Response line says APPROVED: then a person looks)."""
    body = next(body for gateway, _, _, body in LAYOUTS if gateway == "windcave").format(t=TXN)
    declined = flattened(body.replace("APPROVED", "DECLINED"))
    got = explained(trust, "windcave", "Windcave Transaction Receipt", declined)
    assert (got["outcome"], got["kind"]) == (str(DecisionKind.IGNORE), "other")
    both = flattened(body.replace("Merchant Reference: ", "Merchant Reference: Response: DECLINED "))
    assert explained(trust, "windcave", "Windcave Transaction Receipt", both)["outcome"] == str(DecisionKind.REVIEW)


# ---------------------------------------------------------------------------------------------- relined, unit

# Words notices are made of, to collapse at random: labels with and without colons, amounts, greetings, notes.
_WORDS = [
    "Hello,",
    "Hallo",
    "Jo!",
    "Bloggs",
    "sent",
    "you",
    "$45.00",
    "NZD.",
    "Amount:",
    "Amount",
    "Transaction",
    "ID:",
    "9AB12345CD678901E",
    "Note",
    "from",
    "X:",
    "Description",
    "INV-0042",
    "[image:",
    "PayPal]",
    "-----",
    "Customer",
    "jo@x.nz",
    "Merchant",
    "Reference:",
    "Response:",
    "APPROVED",
    "Payment",
    "reference:",
    "\t",
    "Mitteilung",
    "von",
]


def test_relined_puts_back_the_line_breaks_and_keeps_every_position() -> None:
    layout = builtin_formats().get("paypal")
    assert layout is not None
    text = (
        "Hello, Jo Bloggs sent you $45.00 NZD. Transaction ID: 9AB12345CD678901E Transaction date: 23 Nov 2026 "
        "Note from Jo Bloggs: Amount: $30.00 NZD INV-0042 It may take a few moments."
    )
    lined = relined(text, layout.layout)
    assert len(lined.text) == len(text)
    lines = lined.text.split("\n")
    assert lines[:3] == [
        "Hello,",
        "Jo Bloggs sent you $45.00 NZD.",
        "Transaction ID: 9AB12345CD678901E Transaction date: 23 Nov 2026",  # "Transaction date" is no label read
    ]
    # From the payer's label on, the line stays collapsed: whose words are whose is read apart, as uncertain.
    assert lines[3].startswith("Note from Jo Bloggs: Amount: $30.00") and lined.flat == frozenset({3})
    assert "Note from" not in lined.certain()


def test_a_notice_with_its_lines_is_left_as_it_is() -> None:
    fmt = builtin_formats().get("paypal")
    assert fmt is not None
    text = LAYOUTS[0][3].format(t=TXN)
    assert relined(text, fmt.layout).text == text
    assert relined(text, fmt.layout).flat == frozenset()
    content = read_content(fmt, "You've got money", flattened(text))
    assert (content.payer_name, content.txn_id, str(content.money)) == ("Jo Bloggs", TXN, "45.00 NZD")


def test_a_greetings_name_left_before_the_payer_gives_way_to_the_subjects(trust: SenderTrust) -> None:
    """ "Hola, Destinatario Gamma" then "Scale Labs le envió ..." collapsed: where the greeting's name ends cannot
    be seen, but the subject names the payer, and the name read ends with it."""
    body = "Hola, KiwiWeb Design\nScale Labs le envió $ 535.32 USD\nId. de transacción 504021165E004010S\n"
    for text in (body, flattened(body)):
        got = explained(trust, "paypal", "Scale Labs has sent you money", text)
        assert (got["payer_name"], got["amount"], got["currency"]) == ("Scale Labs", "535.32", "USD")
        assert got["transaction_id"] == "504021165E004010S"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=80), st.sampled_from(["paypal", "stripe", "windcave", "xero"]))
def test_relined_only_turns_spaces_into_line_breaks(words: list[str], gateway: str) -> None:
    fmt = builtin_formats().get(gateway)
    assert fmt is not None
    text = " ".join(words)
    lined = relined(text, fmt.layout)
    assert len(lined.text) == len(text)
    assert all(a == b or (a in " \t" and b == "\n") for a, b in zip(text, lined.text, strict=True))
    assert all(0 <= number <= lined.text.count("\n") for number in lined.flat)
