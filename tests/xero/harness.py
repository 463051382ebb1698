"""`Books` harnesses: the fake seeded directly, and the real adapter over a seeded sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from integrations.ports import Accounting, ContactDraft, SupplierBill, SupplierBillLine
from integrations.xero.fake import FakeAccounting, fake_bank_line
from rules.model import Contact, Order
from rules.money import Money


class _Ticker:
    """A clock that moves one second per reading, so every change has its own time."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class FakeBooks:
    def __init__(self) -> None:
        self.fake = FakeAccounting(clock=_Ticker())
        self.accounting: Accounting = self.fake

    def seed_order(self, order: Order) -> None:
        self.fake.add_order(order)

    def seed_bank_line(self, line_id: str, amount: str, posted: date, payee: str, reference: str) -> None:
        self.fake.add_bank_line(
            fake_bank_line(line_id, amount, posted=posted, payee=payee, reference=reference),
            updated_at=self.fake.clock(),
        )

    def close_elsewhere(self, invoice_id: str) -> None:
        self.fake.set_invoice_status(invoice_id, "VOIDED")

    def count_payments(self, invoice_id: str) -> int:
        return sum(1 for d in self.fake.recorded_payments.values() if d.invoice_id == invoice_id)

    def count_invoices(self, reference: str) -> int:
        return sum(1 for i in self.fake.invoices.values() if i.reference == reference)

    def count_repeating(self, reference: str) -> int:
        return sum(1 for r in self.fake.repeating.values() if r.draft.reference == reference)

    def history_notes(self, invoice_id: str) -> list[str]:
        return list(self.fake.history.get(invoice_id, []))

    def repeating_state(self, repeating_invoice_id: str) -> tuple[str, int]:
        r = self.fake.repeating[repeating_invoice_id]
        return r.status, r.draft.period_months

    def seed_supplier_bill(
        self, contact: Contact, bill_id: str, number: str, issued: date, lines: list[tuple[str, str]], status: str
    ) -> None:
        if contact.contact_id not in self.fake.contacts:
            self.fake.add_contact(contact.contact_id, ContactDraft(name=contact.name))
        bill = SupplierBill(
            bill_id=bill_id,
            number=number,
            reference="",
            issued=issued,
            status=status,
            updated=self.fake.clock().isoformat(),
            currency="NZD",
            lines=tuple(
                SupplierBillLine(description=d, amount=Money(amount=Decimal(a), currency="NZD")) for d, a in lines
            ),
        )
        self.fake.add_bill(contact.contact_id, bill, updated_at=datetime.fromisoformat(bill.updated))

    def set_bill_status(self, bill_id: str, status: str) -> None:
        contact_id, _at, bill = self.fake._bills[bill_id]
        now = self.fake.clock()
        self.fake.add_bill(contact_id, replace(bill, status=status, updated=now.isoformat()), updated_at=now)

    def archive_contact(self, contact_id: str) -> None:
        self.fake.archived_contacts.add(contact_id)

    def contact_status(self, contact_id: str) -> str:
        return "ARCHIVED" if contact_id in self.fake.archived_contacts else "ACTIVE"
