"""Contract tests for the Accounting port: the same behaviour from FakeAccounting and XeroAccounting-on-sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from integrations.errors import AmountExceedsDue, NotConfigured
from integrations.ports import ContactDraft, InvoiceDraft, InvoiceLine, PaymentDraft, RepeatingInvoiceDraft
from rules.model import Contact, OrderKind, ReceiptSource
from rules.money import Money
from tests.xero.contract import Books, an_order
from tests.xero.harness import FakeBooks

pytestmark = pytest.mark.xero

NZD = "NZD"


@pytest.fixture(params=["fake", "sandbox"])
def books(request: pytest.FixtureRequest) -> Iterator[Books]:
    """One implementation of the books, freshly seeded with nothing."""
    if request.param == "fake":
        yield FakeBooks()
    else:
        from tests.xero.sandbox_books import SandboxBooks

        with SandboxBooks.start() as sandbox_books:
            yield sandbox_books


def _nzd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency=NZD)


def test_open_orders_then_nothing_new_after_the_watermark(books: Books) -> None:
    """An open invoice becomes an order once; polling again from the returned watermark yields nothing."""
    order = an_order(1, amount="45.00", kind=OrderKind.DOMAIN_RENEWAL)
    books.seed_order(order)
    first = books.accounting.open_orders(since=None)
    assert [(o.invoice_id, o.kind, o.domain, o.amount_due) for o in first.orders] == [
        (order.invoice_id, OrderKind.DOMAIN_RENEWAL, "example-1.co.nz", _nzd("45.00"))
    ]
    assert first.orders[0].contact.contact_id == order.contact.contact_id
    assert first.watermark is not None
    again = books.accounting.open_orders(since=first.watermark)
    assert [o.invoice_id for o in again.orders] == []


def test_payment_is_recorded_once_per_key_and_closes_a_paid_invoice(books: Books) -> None:
    """Recording twice with one key makes one payment; paying in full shows the invoice as closed."""
    order = an_order(2, amount="30.00")
    books.seed_order(order)
    mark = books.accounting.open_orders(since=None).watermark
    draft = PaymentDraft(
        invoice_id=order.invoice_id,
        amount=_nzd("30.00"),
        paid_on=date(2026, 11, 3),
        reference="BNZ 123",
        account_code="090",
    )
    first = books.accounting.record_payment(draft, idempotency_key="pay-r-2")
    second = books.accounting.record_payment(draft, idempotency_key="pay-r-2")
    assert first == second
    assert books.count_payments(order.invoice_id) == 1
    later = books.accounting.open_orders(since=mark)
    assert order.invoice_id in later.closed_invoice_ids
    paid = books.accounting.payments_on_invoice(order.invoice_id)
    assert [(r.receipt_id, r.money, r.source) for r in paid] == [(first, _nzd("30.00"), ReceiptSource.XERO_PAYMENT)]
    seen = books.accounting.payments(since=None)
    assert first in {r.receipt_id for r in seen.receipts}


def test_overpayment_is_refused(books: Books) -> None:
    """A payment larger than the amount due is refused as AmountExceedsDue naming what is owing (so the caller can
    record that much instead of sending the same call again), and nothing is recorded."""
    order = an_order(3, amount="12.00")
    books.seed_order(order)
    draft = PaymentDraft(
        invoice_id=order.invoice_id,
        amount=_nzd("50.00"),
        paid_on=date(2026, 11, 3),
        reference="x",
        account_code="090",
    )
    with pytest.raises(AmountExceedsDue) as refused:
        books.accounting.record_payment(draft, idempotency_key="pay-over")
    assert Decimal(refused.value.amount_due) == Decimal("12.00")
    assert books.count_payments(order.invoice_id) == 0


def test_amount_due_is_what_the_invoice_still_owes(books: Books) -> None:
    """What is owing before and after a part payment, in the invoice's currency; nothing for an unknown invoice."""
    order = an_order(5, amount="40.00")
    books.seed_order(order)
    assert books.accounting.invoice_amount_due(order.invoice_id) == _nzd("40.00")
    draft = PaymentDraft(
        invoice_id=order.invoice_id, amount=_nzd("15.50"), paid_on=date(2026, 11, 3), reference="p", account_code="090"
    )
    books.accounting.record_payment(draft, idempotency_key="pay-part-5")
    assert books.accounting.invoice_amount_due(order.invoice_id) == _nzd("24.50")
    books.accounting.record_payment(replace(draft, amount=_nzd("24.50")), idempotency_key="pay-rest-5")
    assert books.accounting.invoice_amount_due(order.invoice_id) == _nzd("0.00")


def test_invoice_repeating_invoice_and_note_are_created_once_per_key(books: Books) -> None:
    """Each write repeated with the same key leaves exactly one record."""
    order = an_order(4)
    books.seed_order(order)
    contact_id = order.contact.contact_id
    line = InvoiceLine(
        description="Renewal example-4.co.nz 1 year",
        quantity=Decimal("1"),
        unit_amount=_nzd("30.00"),
        item_code="DOM-REN",
    )
    invoice = InvoiceDraft(
        contact_id=contact_id, lines=(line,), issued=date(2026, 11, 5), due=date(2026, 11, 19), reference="REN-4"
    )
    one = books.accounting.create_invoice(invoice, idempotency_key="inv-REN-4")
    two = books.accounting.create_invoice(invoice, idempotency_key="inv-REN-4")
    assert one == two and one[0] and one[1]
    assert books.count_invoices("REN-4") == 1

    hosting = InvoiceLine(
        description="Hosting Starter example-4.co.nz",
        quantity=Decimal("1"),
        unit_amount=_nzd("25.00"),
        item_code="HOST",
    )
    rep = RepeatingInvoiceDraft(
        contact_id=contact_id, lines=(hosting,), start=date(2026, 12, 1), period_months=12, reference="HOST-4"
    )
    r1 = books.accounting.create_repeating_invoice(rep, idempotency_key="rep-HOST-4")
    r2 = books.accounting.create_repeating_invoice(rep, idempotency_key="rep-HOST-4")
    assert r1 == r2
    assert books.count_repeating("HOST-4") == 1

    books.accounting.add_history_note(order.invoice_id, "Registered example-4.co.nz, op 42", idempotency_key="n-4")
    books.accounting.add_history_note(order.invoice_id, "Registered example-4.co.nz, op 42", idempotency_key="n-4")
    assert books.history_notes(order.invoice_id).count("Registered example-4.co.nz, op 42") == 1


def test_contact_is_found_by_email_before_one_is_created(books: Books) -> None:
    """An existing contact is found by e-mail; a new one is created once per key."""
    order = an_order(5)
    books.seed_order(order)
    found = books.accounting.find_or_create_contact(
        ContactDraft(name="Whatever", email=order.contact.email.upper()), idempotency_key="c-5"
    )
    assert found.contact_id == order.contact.contact_id and not found.created
    new = ContactDraft(name="Brand New Ltd", email="new@example.org", contact_number="CUST-77")
    a = books.accounting.find_or_create_contact(new, idempotency_key="c-new")
    b = books.accounting.find_or_create_contact(new, idempotency_key="c-new-2")
    assert a.contact_id == b.contact_id and a.contact_id != found.contact_id and a.created


def test_a_contact_is_looked_up_by_its_id(books: Books) -> None:
    """A ContactID Xero holds gives the contact; one it does not hold (a well-formed GUID) gives None."""
    order = an_order(6)
    books.seed_order(order)
    found = books.accounting.contact(order.contact.contact_id)
    assert found is not None
    assert (found.contact_id, found.email) == (order.contact.contact_id, order.contact.email)
    assert books.accounting.contact("00000000-0000-4000-8000-000000000000") is None


def test_bank_lines_become_bank_line_receipts(books: Books) -> None:
    """A statement line arrives as a BANK_LINE receipt with its payee and reference."""
    line_id = "22222222-0000-4000-8000-000000000001"
    books.seed_bank_line(line_id, "38.00", date(2026, 11, 2), "TAURANGA PHOTO", "INV-0714")
    page = books.accounting.bank_lines(since=None)
    got = [r for r in page.receipts if r.receipt_id == "22222222-0000-4000-8000-000000000001"]
    assert len(got) == 1
    r = got[0]
    assert (r.source, r.money, r.payer_name) == (ReceiptSource.BANK_LINE, _nzd("38.00"), "TAURANGA PHOTO")
    assert ("reference", "INV-0714") in r.text
    again = books.accounting.bank_lines(since=page.watermark)
    assert "22222222-0000-4000-8000-000000000001" not in {x.receipt_id for x in again.receipts}


def test_repeating_invoice_is_read_back_and_deleted_never_edited(books: Books) -> None:
    """A template is read back with its next billing date and found by its reference; the one change the API
    makes is a delete (Xero's soft delete), after which it reads back DELETED."""
    order = an_order(6, kind=OrderKind.HOSTING)
    books.seed_order(order)
    line = InvoiceLine(
        description="Web hosting - Starter plan - example-6.co.nz",
        quantity=Decimal("1"),
        unit_amount=_nzd("25.00"),
        item_code="HOST",
    )
    draft = RepeatingInvoiceDraft(
        contact_id=order.contact.contact_id,
        lines=(line,),
        start=date(2036, 12, 1),  # ahead of every clock the books run on
        period_months=1,
        reference="HOST-6",
    )
    rid = books.accounting.create_repeating_invoice(draft, idempotency_key="rep-6")
    info = books.accounting.repeating_invoice(rid)
    assert info is not None and (info.status, info.next_scheduled, info.sub_total) == (
        "AUTHORISED",
        date(2036, 12, 1),
        Decimal("25.00"),
    )
    assert [r.repeating_invoice_id for r in books.accounting.repeating_invoices(reference="HOST-6")] == [rid]
    assert not hasattr(books.accounting, "update_repeating_invoice")
    books.accounting.delete_repeating_invoice(rid, idempotency_key="rep-6-stop")
    assert books.repeating_state(rid)[0] == "DELETED"
    deleted = books.accounting.repeating_invoice(rid)
    assert deleted is not None and deleted.status == "DELETED"


def test_contact_name_of_another_customer_is_extended_and_said(books: Books) -> None:
    """Names are unique among active contacts: a second "John Smith" with another e-mail is created under a
    distinguishing name, and the match says so; the first John Smith is found again by his e-mail."""
    first = books.accounting.find_or_create_contact(
        ContactDraft(name="John Smith", email="john@one.nz"), idempotency_key="c-js-1"
    )
    second = books.accounting.find_or_create_contact(
        ContactDraft(name="John Smith", email="john@two.nz"), idempotency_key="c-js-2"
    )
    assert second.contact_id != first.contact_id and second.created
    assert second.name == "John Smith (john@two.nz)" and "John Smith" in second.note
    again = books.accounting.find_or_create_contact(
        ContactDraft(name="John Smith", email="john@one.nz"), idempotency_key="c-js-3"
    )
    assert again.contact_id == first.contact_id and again.note == ""


def test_contact_found_by_name_only_when_nothing_says_otherwise(books: Books) -> None:
    """A name with no e-mail to compare is the same customer: no duplicate is created."""
    first = books.accounting.find_or_create_contact(ContactDraft(name="Kiri Marae"), idempotency_key="c-km-1")
    second = books.accounting.find_or_create_contact(
        ContactDraft(name="Kiri Marae", email="kiri@marae.nz"), idempotency_key="c-km-2"
    )
    assert second.contact_id == first.contact_id and not second.created


def test_archived_contact_is_found_and_restored(books: Books) -> None:
    """The customer's archived contact is found (archived included in the search) and restored, not duplicated."""
    made = books.accounting.find_or_create_contact(
        ContactDraft(name="Old Customer", email="old@customer.nz"), idempotency_key="c-old-1"
    )
    books.archive_contact(made.contact_id)
    back = books.accounting.find_or_create_contact(
        ContactDraft(name="Old Customer", email="old@customer.nz"), idempotency_key="c-old-2"
    )
    assert back.contact_id == made.contact_id and "restored" in back.note
    assert books.contact_status(made.contact_id) == "ACTIVE"


def test_history_note_is_kept_within_250_characters(books: Books) -> None:
    """A long note is shortened to Xero's 250 characters instead of being refused."""
    order = an_order(8)
    books.seed_order(order)
    note = "Domain example-8.co.nz renewed; " + "x" * 400 + " [INV-9008]"
    books.accounting.add_history_note(order.invoice_id, note, idempotency_key="n-8")
    [kept] = books.history_notes(order.invoice_id)
    assert len(kept) == 250 and kept.startswith("Domain example-8.co.nz renewed;")


def test_an_invoices_history_is_read_back_through_the_port(books: Books) -> None:
    """What the worker wrote is what it reads before writing a note again (after a crash, once Xero has let the
    Idempotency-Key go)."""
    order = an_order(10)
    books.seed_order(order)
    books.accounting.add_history_note(order.invoice_id, "Registered example-10.co.nz", idempotency_key="n-10")
    assert "Registered example-10.co.nz" in books.accounting.history_notes(order.invoice_id)


PROVIDER = Contact(contact_id="22222222-0000-4000-8000-000000000001", name="Upstream Hosting Ltd")


def test_supplier_bills_are_read_with_their_lines_then_only_changes(books: Books) -> None:
    """The provider's bills, by its name or ContactID: each with its lines and amounts; from the watermark only
    bills changed since (a void included); another supplier's bills never."""
    books.seed_order(an_order(7))  # a customer's sales invoice is not a bill
    other = Contact(contact_id="22222222-0000-4000-8000-000000000002", name="Office Supplies Ltd")
    books.seed_supplier_bill(
        other, "33333333-0000-4000-8000-000000000009", "OS-1", date(2026, 11, 1), [("Paper", "9.50")], "AUTHORISED"
    )
    bill_id = "33333333-0000-4000-8000-000000000001"
    books.seed_supplier_bill(
        PROVIDER,
        bill_id,
        "UH-2026-10",
        date(2026, 11, 1),
        [("Domain renewal example.co.nz 1 year", "21.50"), ("Hosting business plan site.nz", "30.00")],
        "AUTHORISED",
    )
    page = books.accounting.supplier_bills(PROVIDER.name, since=None)
    [bill] = page.bills
    assert (bill.bill_id, bill.number, bill.issued, bill.status, bill.currency) == (
        bill_id,
        "UH-2026-10",
        date(2026, 11, 1),
        "AUTHORISED",
        "NZD",
    )
    assert [(ln.description, ln.amount) for ln in bill.lines] == [
        ("Domain renewal example.co.nz 1 year", _nzd("21.50")),
        ("Hosting business plan site.nz", _nzd("30.00")),
    ]
    assert bill.updated
    assert books.accounting.supplier_bills(PROVIDER.contact_id, since=None).bills == page.bills
    assert books.accounting.supplier_bills(PROVIDER.name, since=page.watermark).bills == ()
    books.set_bill_status(bill_id, "VOIDED")
    [voided] = books.accounting.supplier_bills(PROVIDER.name, since=page.watermark).bills
    assert voided.status == "VOIDED" and voided.bill_id == bill_id


def test_supplier_bills_of_an_unknown_contact_name_is_a_configuration_error(books: Books) -> None:
    with pytest.raises(NotConfigured):
        books.accounting.supplier_bills("No Such Provider Ltd", since=None)
