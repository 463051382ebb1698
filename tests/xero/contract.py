"""The Accounting port's contract, written once against a `Books` harness so it runs on the fake and the sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from integrations.ports import Accounting
from rules.model import Contact, Order, OrderKind
from rules.money import Money


class Books(Protocol):
    """Seeds one implementation's books the way Xero would hold them, and reads its state back."""

    accounting: Accounting

    def seed_order(self, order: Order) -> None: ...
    def seed_bank_line(self, line_id: str, amount: str, posted: date, payee: str, reference: str) -> None: ...
    def close_elsewhere(self, invoice_id: str) -> None: ...
    def count_payments(self, invoice_id: str) -> int: ...
    def count_invoices(self, reference: str) -> int: ...
    def count_repeating(self, reference: str) -> int: ...
    def history_notes(self, invoice_id: str) -> list[str]: ...
    def repeating_state(self, repeating_invoice_id: str) -> tuple[str, int]: ...  # status, period in months
    def seed_supplier_bill(
        self, contact: Contact, bill_id: str, number: str, issued: date, lines: list[tuple[str, str]], status: str
    ) -> None: ...  # an ACCPAY bill from `contact`, lines of (description, amount)
    def set_bill_status(self, bill_id: str, status: str) -> None: ...

    def archive_contact(self, contact_id: str) -> None: ...
    def contact_status(self, contact_id: str) -> str: ...


@dataclass(frozen=True, kw_only=True)
class Seeded:
    contact: Contact
    order: Order


def an_order(n: int = 1, *, amount: str = "30.00", kind: OrderKind = OrderKind.DOMAIN_REGISTRATION) -> Order:
    """A one-line open invoice for example-n.co.nz with fixed, recognisable ids."""
    contact = Contact(
        contact_id=f"00000000-0000-4000-8000-{n:012d}",
        name=f"Customer {n} Ltd",
        first_name="Aroha",
        last_name=f"Tane{n}",
        email=f"owner{n}@example.co.nz",
    )
    return Order(
        order_id=f"INV-{9000 + n}",
        kind=kind,
        invoice_number=f"INV-{9000 + n}",
        invoice_id=f"11111111-0000-4000-8000-{n:012d}",
        contact=contact,
        domain=f"example-{n}.co.nz",
        amount_due=Money(amount=Decimal(amount), currency="NZD"),
        issued=date(2026, 11, 1),
        due=date(2026, 11, 15),
    )


def at(day: int) -> datetime:
    from datetime import UTC

    return datetime(2026, 11, day, 9, 0, tzinfo=UTC)
