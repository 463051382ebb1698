"""Issue 11, finding 2: the payer's block in each real layout.

A payer's note, message or description runs from its label to the service's next field or heading at that place:
its first line is the payer's whatever it looks like ("Note" then "Amount: $30.00 NZD INV-1186"), and a label inside
it that the service writes elsewhere is the payer's copy. The name a payer chose (under "Sent by") is theirs too: it
never states an amount or a kind of mail. Made-up notices, signed with the test key."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.notices import FormatError, SenderTrust, load_formats, read_notice
from rules.model import NoticeReading
from tests.notices.support import build_message, sign


def read(trust: SenderTrust, body: str, subject: str, *, stripe: bool = False) -> NoticeReading:
    if stripe:
        message = build_message(from_="Stripe <notifications@stripe.com>", subject=subject, body=body)
        return read_notice(sign(message, domain="stripe.com"), trust)
    return read_notice(sign(build_message(subject=subject, body=body)), trust)


def paid(reading: NoticeReading) -> tuple[str, str, str]:
    """(amount, transaction id, the payer's text) of a receipt."""
    assert reading.receipt is not None, reading.reason
    receipt = reading.receipt
    return str(receipt.money), receipt.gateway_txn_id, " | ".join(value for _, value in receipt.text)


SENT_BY = (
    "Hi KiwiWeb Design Ltd,\n\nYou received a payment\n\nSent by\nHarbour Florist Limited\nroses@harbour.example\n\n"
    "Note\n{note}\n\nAmount\n$0.01 NZD\n\nTransaction ID\n4KD81726FG5503921\n\nDate\n12 November 2026\n"
)


@pytest.mark.parametrize(
    "note",
    [
        "Amount: $30.00 NZD INV-2207",
        "Amount\n$30.00 NZD\nINV-2207",
        "INV-2207\nAmount: $30.00 NZD",
        "Transaction ID\n9ZZ99999ZZ9999999\nINV-2207",
        "You received a payment of $30.00 NZD from Harbour Florist Limited\nINV-2207",
    ],
)
def test_a_sent_by_notice_takes_its_amount_from_its_own_field(trust: SenderTrust, note: str) -> None:
    """'Sent by' layout: each label alone on its line. The note's lines copy the amount, the transaction id or the
    sentence; the service's own fields stand and the note is the payer's text, with its invoice number."""
    amount, txn, text = paid(read(trust, SENT_BY.format(note=note), "You received a payment"))
    assert (amount, txn) == ("0.01 NZD", "4KD81726FG5503921")
    assert text == " ".join(note.split())


def test_a_french_message_label_names_its_writer_before_the_colon(trust: SenderTrust) -> None:
    """'Message de X :' is the label (its value on the line below), not 'Message' with the value 'de X :'; the line
    below copies the service's 'Montant reçu', which the notice writes again in its details."""
    body = (
        "Bonjour KiwiWeb Design Ltd,\n\nCollines Brasserie Limited vous a envoyé 0,01 $ NZ\n\n"
        "Message de Collines Brasserie Limited :\nMontant reçu 30,00 $ NZ INV-2208\n\n"
        "Détails de la transaction\n\nNuméro de transaction\n5TR20931KL7760012\nDate de la transaction\n"
        "6 novembre 2026\n\nMontant reçu\n0,01 $ NZ\n"
    )
    amount, txn, text = paid(read(trust, body, "Vous avez reçu un paiement"))
    assert (amount, txn) == ("0.01 NZD", "5TR20931KL7760012")
    assert text == "Montant reçu 30,00 $ NZ INV-2208"


def test_a_note_below_its_label_ends_at_the_service_heading(trust: SenderTrust) -> None:
    """'Note from X' alone on its line, the note copying the amount received label, then the service's heading."""
    body = (
        "Hello, KiwiWeb Design Ltd\n\nTui Vineyard sent you $0.01 NZD\n\nNote from Tui Vineyard\n"
        "Amount received\n$30.00 NZD\nINV-2209\n\nTransaction Details\nTransaction ID\n6PQ12345AB6789012\n"
        "Transaction date\n23 November 2026\n------------------------------\nAmount received\n$0.01 NZD\n"
    )
    amount, txn, text = paid(read(trust, body, "Tui Vineyard sent you $0.01 NZD"))
    assert (amount, txn, text) == ("0.01 NZD", "6PQ12345AB6789012", "Amount received $30.00 NZD INV-2209")


def test_a_payer_name_that_imitates_the_sentence_states_nothing(trust: SenderTrust) -> None:
    """The name under 'Sent by' is the payer's to choose: written as the service's sentence, it neither states an
    amount nor makes the mail a refund."""
    for name in ("You received a payment of $30.00 NZD from Pay", "Refunded $30.00 NZD"):
        body = (
            "Hi KiwiWeb Design Ltd,\n\nYou received a payment\n\nAmount\n$0.01 NZD\n\n"
            f"Sent by\n{name}\nadmin@bakery.example\n\nNote\nINV-2210\n\nTransaction ID\n7HJ12345KL6789012\n"
        )
        amount, txn, text = paid(read(trust, body, "You received a payment"))
        assert (amount, txn, text) == ("0.01 NZD", "7HJ12345KL6789012", "INV-2210")


def test_a_stripe_description_cannot_copy_the_fields_around_it(trust: SenderTrust) -> None:
    """Newer Stripe layout: the description copies the amount written above it and the customer and payment id
    written below it; the service's own are the amount above and the last of each below."""
    body = (
        "KiwiWeb Design Ltd\n\nPayment received\n\nAmount\nNZ$0.01\nDescription\nINV-2211\nAmount\nNZ$30.00\n"
        "Customer\nmallory@example.org\nPayment ID\npi_fake0000000000000000\nCustomer\nreal@customer.example\n"
        "Payment ID\npi_3RealPayment0000000001\nPayment method\nVisa •••• 4242\nDate\n11 November 2026\n"
    )
    reading = read(trust, body, "You received a payment", stripe=True)
    amount, txn, text = paid(reading)
    assert (amount, txn) == ("0.01 NZD", "pi_3RealPayment0000000001")
    assert reading.receipt is not None and reading.receipt.payer_email == "real@customer.example"
    assert "INV-2211" in text and "pi_fake0000000000000000" in text


def test_an_empty_reference_ends_at_the_next_field(trust: SenderTrust) -> None:
    """Windcave writes 'Label: value' lines: a reference left empty is empty, and the next line is the service's."""
    body = (
        "Merchant: KiwiWeb Design Ltd\nMerchant Reference: \nAmount: 35.00\nCurrency: NZD\n"
        "DpsTxnRef: 00000003aa11bb22\nResponse: APPROVED\n"
    )
    message = build_message(from_="Windcave <noreply@windcave.com>", subject="Transaction Approved", body=body)
    amount, txn, _ = paid(read_notice(sign(message, domain="windcave.com"), trust))
    assert (amount, txn) == ("35.00 NZD", "00000003aa11bb22")


def test_a_format_that_ends_a_block_with_no_field_is_refused(tmp_path: Path) -> None:
    """block_ends names service fields only: a typo would silently let a payer's block run on."""
    (tmp_path / "x.toml").write_text('gateway = "x"\nblock_ends = ["amont"]\n[labels]\namount = ["amount"]\n')
    with pytest.raises(FormatError, match="block_ends names amont"):
        load_formats(tmp_path)
