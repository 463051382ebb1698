"""`Books` harnesses: the fake seeded directly, and the real adapter over a seeded sandbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from integrations.ports import Accounting
from integrations.xero.fake import FakeAccounting, fake_bank_line
from rules.model import Order


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
