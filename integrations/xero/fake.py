"""`FakeAccounting`: a stateful in-memory Accounting port for tests of everything above the Xero adapter.

It behaves like the books do (a payment lowers what is due and closes a fully paid invoice; writes replay on their
idempotency key), counts calls per method, and can be told to fail the next call, before or after applying it.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from integrations.errors import AmountExceedsDue, IntegrationError, NotConfigured, PermanentError
from integrations.ports import (
    BankEntry,
    BankTransferDraft,
    BillsPage,
    ContactDraft,
    ContactMatch,
    InvoiceDraft,
    LedgerAccount,
    OrdersPage,
    PaymentDraft,
    Quota,
    ReceiptsPage,
    RepeatingInvoiceDraft,
    RepeatingInvoiceInfo,
    SpendMoneyDraft,
    SupplierBill,
    fit_history_note,
)
from integrations.xero.contacts import distinguishing_names, renamed_note, same_customer
from integrations.xero.dates import add_months
from rules.model import Contact, Order, Receipt, ReceiptSource
from rules.money import Money

T = TypeVar("T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(kw_only=True, slots=True)
class FakeInvoice:
    invoice_id: str
    invoice_number: str
    contact_id: str
    status: str  # AUTHORISED, PAID, VOIDED, DELETED
    total: Money
    amount_paid: Money
    updated_at: datetime
    reference: str = ""
    lines: tuple[Any, ...] = ()
    orders: tuple[Order, ...] = ()  # the open orders this invoice stands for
    issued: date | None = None  # the invoice's Date, as the worker gave it

    @property
    def amount_due(self) -> Money:
        return self.total - self.amount_paid


@dataclass(kw_only=True, slots=True)
class FakeRepeatingInvoice:
    repeating_invoice_id: str
    draft: RepeatingInvoiceDraft
    status: str = "AUTHORISED"


@dataclass(kw_only=True, slots=True)
class _Fault:
    error: IntegrationError
    after_apply: bool


@dataclass(kw_only=True)
class FakeAccounting:
    """In-memory books. Seed with `add_order`, `add_xero_payment`, `add_bank_line`, `add_contact`."""

    clock: Callable[[], datetime] = _utc_now
    currency: str = "NZD"
    calls: Counter[str] = field(default_factory=Counter)
    invoices: dict[str, FakeInvoice] = field(default_factory=dict)
    contacts: dict[str, ContactDraft] = field(default_factory=dict)
    archived_contacts: set[str] = field(default_factory=set)
    repeating: dict[str, FakeRepeatingInvoice] = field(default_factory=dict)
    history: dict[str, list[str]] = field(default_factory=dict)  # invoice id -> notes, oldest first
    recorded_payments: dict[str, PaymentDraft] = field(default_factory=dict)  # payment id -> what we sent
    quota_now: Quota = field(default_factory=Quota)
    # The chart (by code): the bank account, sales and Xero's "Bank Fees"; `add_account` adds clearing accounts.
    chart: dict[str, LedgerAccount] = field(
        default_factory=lambda: {
            a.code: a
            for a in (
                LedgerAccount(account_id="acc-090", code="090", name="Business Cheque", type="BANK"),
                LedgerAccount(account_id="acc-200", code="200", name="Sales", type="REVENUE"),
                LedgerAccount(account_id="acc-404", code="404", name="Bank Fees", type="EXPENSE"),
            )
        }
    )
    bank_entries: dict[str, BankEntry] = field(default_factory=dict)  # spend/receive money and transfers, by id
    spend_contacts: dict[str, str] = field(default_factory=dict)  # bank transaction id -> contact name
    _payments: list[tuple[datetime, Receipt]] = field(default_factory=list)
    _bank_lines: list[tuple[datetime, Receipt]] = field(default_factory=list)
    _replies: dict[tuple[str, str], Any] = field(default_factory=dict)  # (method, idempotency key) -> result
    _faults: dict[str, list[_Fault]] = field(default_factory=dict)
    _bills: dict[str, tuple[str, datetime, SupplierBill]] = field(default_factory=dict)  # id -> (contact, at, bill)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- seeding and fault control -------------------------------------------------------------------------

    def add_order(self, order: Order, *, updated_at: datetime | None = None) -> None:
        """An open ACCREC invoice standing for `order` (several orders may share one invoice)."""
        with self._lock:
            inv = self.invoices.get(order.invoice_id)
            when = updated_at or self.clock()
            if inv is None:
                inv = FakeInvoice(
                    invoice_id=order.invoice_id,
                    invoice_number=order.invoice_number,
                    contact_id=order.contact.contact_id,
                    status="AUTHORISED",
                    total=order.amount_due,
                    amount_paid=Money.zero(order.amount_due.currency),
                    updated_at=when,
                    orders=(order,),
                )
                self.invoices[order.invoice_id] = inv
            else:
                inv.orders = (*inv.orders, order)
                inv.total = inv.total + order.amount_due
                inv.updated_at = when
            if order.contact.contact_id not in self.contacts:
                self.contacts[order.contact.contact_id] = ContactDraft(
                    name=order.contact.name,
                    email=order.contact.email,
                    first_name=order.contact.first_name,
                    last_name=order.contact.last_name,
                )

    def set_invoice_status(self, invoice_id: str, status: str) -> None:
        """As if someone paid, voided or deleted the invoice in Xero."""
        with self._lock:
            inv = self.invoices[invoice_id]
            inv.status = status
            inv.updated_at = self.clock()

    def add_xero_payment(self, receipt: Receipt, *, updated_at: datetime | None = None) -> None:
        """A payment already applied in Xero (source XERO_PAYMENT, with invoice_id)."""
        with self._lock:
            self._payments.append((updated_at or receipt.received_at, receipt))

    def add_bank_line(self, receipt: Receipt, *, updated_at: datetime | None = None) -> None:
        with self._lock:
            self._bank_lines.append((updated_at or receipt.received_at, receipt))

    def add_contact(self, contact_id: str, draft: ContactDraft, *, archived: bool = False) -> None:
        with self._lock:
            self.contacts[contact_id] = draft
            if archived:
                self.archived_contacts.add(contact_id)

    def add_bill(self, contact_id: str, bill: SupplierBill, *, updated_at: datetime | None = None) -> None:
        """A supplier's bill (ACCPAY) from contact `contact_id` (seed it with `add_contact`); adding one with the
        same `bill_id` again replaces it, as an edit in Xero would."""
        with self._lock:
            if contact_id not in self.contacts:
                raise ValueError(f"add_contact({contact_id!r}, ...) first")
            self._bills[bill.bill_id] = (contact_id, updated_at or self.clock(), bill)

    def add_account(self, code: str, name: str, account_type: str = "BANK") -> None:
        with self._lock:
            self.chart[code] = LedgerAccount(account_id=f"acc-{code}", code=code, name=name, type=account_type)

    def movement(self, code: str) -> Money:
        """Money into minus money out of the account: payments recorded to it, receive money and transfers in, less
        spend money and transfers out."""
        with self._lock:
            total = Money.zero(self.currency)
            for draft in self.recorded_payments.values():
                if draft.account_code == code:
                    total = total + draft.amount
            for entry in self.bank_entries.values():
                if entry.status != "AUTHORISED":
                    continue
                if entry.kind == "TRANSFER":
                    if entry.account_code == code:
                        total = total - entry.amount
                    if entry.to_account_code == code:
                        total = total + entry.amount
                elif entry.account_code == code:
                    total = total + entry.amount if entry.kind.startswith("RECEIVE") else total - entry.amount
            return total

    def fail_next(self, method: str, error: IntegrationError, *, after_apply: bool = False) -> None:
        """The next call of `method` raises `error`; with `after_apply` the write happens first (a lost reply)."""
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(error=error, after_apply=after_apply))

    def total_calls(self) -> int:
        return sum(self.calls.values())

    # ---- the port -------------------------------------------------------------------------------------------

    def open_orders(self, *, since: datetime | None) -> OrdersPage:
        def run() -> OrdersPage:
            changed = [i for i in self.invoices.values() if since is None or i.updated_at > since]
            orders: list[Order] = []
            closed: list[str] = []
            for inv in changed:
                if inv.status == "AUTHORISED":
                    orders.extend(self._with_due(inv))
                else:
                    closed.append(inv.invoice_id)
            return OrdersPage(
                orders=tuple(orders), closed_invoice_ids=tuple(closed), watermark=self._watermark(changed, since)
            )

        return self._read("open_orders", run)

    def payments(self, *, since: datetime | None) -> ReceiptsPage:
        return self._read("payments", lambda: self._page(self._payments, since))

    def bank_lines(self, *, since: datetime | None) -> ReceiptsPage:
        return self._read("bank_lines", lambda: self._page(self._bank_lines, since))

    def payments_on_invoice(self, invoice_id: str) -> Sequence[Receipt]:
        return self._read("payments_on_invoice", lambda: [r for _, r in self._payments if r.invoice_id == invoice_id])

    def invoice_amount_due(self, invoice_id: str) -> Money | None:
        return self._read(
            "invoice_amount_due",
            lambda: (
                inv.amount_due
                if (inv := self.invoices.get(invoice_id)) is not None and inv.status in ("AUTHORISED", "PAID")
                else None
            ),
        )

    def record_payment(self, draft: PaymentDraft, *, idempotency_key: str) -> str:
        def apply() -> str:
            inv = self.invoices.get(draft.invoice_id)
            if inv is None:
                raise PermanentError(f"no invoice {draft.invoice_id}", system="xero")
            if inv.status != "AUTHORISED":
                raise PermanentError(f"invoice {inv.invoice_number} is {inv.status}", system="xero")
            if inv.amount_due < draft.amount:
                raise AmountExceedsDue(
                    "payment amount exceeds the amount due", system="xero", amount_due=str(inv.amount_due.amount)
                )
            account = self.chart.get(draft.account_code)
            if account is None or not (account.type == "BANK" or account.payments_enabled):
                raise PermanentError(f"account {draft.account_code!r} is no bank account", system="xero")
            payment_id = str(uuid.uuid4())
            now = self.clock()
            inv.amount_paid = inv.amount_paid + draft.amount
            inv.updated_at = now
            if inv.amount_due.amount == 0:
                inv.status = "PAID"
            self.recorded_payments[payment_id] = draft
            receipt = Receipt(
                receipt_id=payment_id,
                source=ReceiptSource.XERO_PAYMENT,
                received_at=datetime.combine(draft.paid_on, time(), UTC),
                money=draft.amount,
                text=(("reference", draft.reference),),
                invoice_id=inv.invoice_id,
                invoice_number=inv.invoice_number,
            )
            self._payments.append((now, receipt))
            return payment_id

        return self._write("record_payment", idempotency_key, apply)

    def create_invoice(self, draft: InvoiceDraft, *, idempotency_key: str) -> tuple[str, str]:
        def apply() -> tuple[str, str]:
            if draft.contact_id not in self.contacts:
                raise PermanentError(f"no contact {draft.contact_id}", system="xero")
            if not draft.lines:
                raise PermanentError("an invoice needs at least one line", system="xero")
            currency = draft.lines[0].unit_amount.currency
            total = Money.zero(currency)
            for line in draft.lines:
                total = total + Money(amount=line.unit_amount.amount * line.quantity, currency=currency)
            invoice_id = str(uuid.uuid4())
            number = f"INV-F{next(self._numbers):04d}"
            self.invoices[invoice_id] = FakeInvoice(
                invoice_id=invoice_id,
                invoice_number=number,
                contact_id=draft.contact_id,
                status="AUTHORISED",
                total=total.rounded(),
                amount_paid=Money.zero(currency),
                updated_at=self.clock(),
                reference=draft.reference,
                lines=draft.lines,
                issued=draft.issued,
            )
            return invoice_id, number

        return self._write("create_invoice", idempotency_key, apply)

    def create_repeating_invoice(self, draft: RepeatingInvoiceDraft, *, idempotency_key: str) -> str:
        def apply() -> str:
            _check_schedule(draft)
            if draft.contact_id not in self.contacts:
                raise PermanentError(f"no contact {draft.contact_id}", system="xero")
            rid = str(uuid.uuid4())
            self.repeating[rid] = FakeRepeatingInvoice(repeating_invoice_id=rid, draft=draft)
            return rid

        return self._write("create_repeating_invoice", idempotency_key, apply)

    def repeating_invoice(self, repeating_invoice_id: str) -> RepeatingInvoiceInfo | None:
        def run() -> RepeatingInvoiceInfo | None:
            current = self.repeating.get(repeating_invoice_id)
            return self._info(current) if current is not None else None

        return self._read("repeating_invoice", run)

    def repeating_invoices(self, *, reference: str) -> Sequence[RepeatingInvoiceInfo]:
        return self._read(
            "repeating_invoices",
            lambda: [self._info(r) for r in self.repeating.values() if r.draft.reference == reference],
        )

    def delete_repeating_invoice(self, repeating_invoice_id: str, *, idempotency_key: str) -> None:
        """Xero's soft delete (Status DELETED): the one change a template takes through the API."""

        def apply() -> None:
            current = self.repeating.get(repeating_invoice_id)
            if current is None:
                raise PermanentError(f"no repeating invoice {repeating_invoice_id}", system="xero")
            current.status = "DELETED"

        self._write("delete_repeating_invoice", idempotency_key, apply)

    def add_history_note(self, invoice_id: str, note: str, *, idempotency_key: str) -> None:
        def apply() -> None:
            if invoice_id not in self.invoices:
                raise PermanentError(f"no invoice {invoice_id}", system="xero")
            if not note.strip():
                raise PermanentError("a history note needs text", system="xero")
            self.history.setdefault(invoice_id, []).append(fit_history_note(note))

        self._write("add_history_note", idempotency_key, apply)

    def history_notes(self, invoice_id: str) -> Sequence[str]:
        return self._read("history_notes", lambda: list(self.history.get(invoice_id, [])))

    def find_or_create_contact(self, draft: ContactDraft, *, idempotency_key: str) -> ContactMatch:
        """As the adapter: by number, e-mail, then name (archived included, and restored); a name another customer
        holds among active contacts is extended."""

        def apply() -> ContactMatch:
            name = draft.name.strip()
            for by in ("number", "email", "name"):
                for cid, known in self.contacts.items():
                    hit = {
                        "number": bool(draft.contact_number) and known.contact_number == draft.contact_number,
                        "email": bool(draft.email) and known.email.lower() == draft.email.lower(),
                        "name": bool(name) and known.name.lower() == name.lower(),
                    }[by]
                    if hit and same_customer(
                        email=known.email, number=known.contact_number, draft=draft, by_name=by == "name"
                    ):
                        if cid in self.archived_contacts:
                            self.archived_contacts.discard(cid)
                            return ContactMatch(
                                contact_id=cid,
                                name=known.name,
                                note=f"the archived contact {known.name!r} was restored",
                            )
                        return ContactMatch(contact_id=cid, name=known.name)
            active = {c.name.lower() for cid, c in self.contacts.items() if cid not in self.archived_contacts}
            chosen = next(n for n in distinguishing_names(draft) if n.lower() not in active)
            cid = str(uuid.uuid4())
            self.contacts[cid] = replace(draft, name=chosen)
            note = renamed_note(name, chosen) if chosen != name else ""
            return ContactMatch(contact_id=cid, name=chosen, created=True, note=note)

        return self._write("find_or_create_contact", idempotency_key, apply)

    def supplier_bills(self, contact: str, *, since: datetime | None) -> BillsPage:
        def run() -> BillsPage:
            ids = {contact} if contact in self.contacts else {c for c, d in self.contacts.items() if d.name == contact}
            if len(ids) != 1:
                raise NotConfigured(f"{len(ids) or 'no'} Xero contact named {contact!r}", system="xero")
            chosen = [(t, b) for c, t, b in self._bills.values() if c in ids and (since is None or t > since)]
            mark = max((t for t, _ in chosen), default=since)
            return BillsPage(bills=tuple(b for _, b in sorted(chosen, key=lambda p: p[0])), watermark=mark)

        return self._read("supplier_bills", run)

    def contact(self, contact_id: str) -> Contact | None:
        def run() -> Contact | None:
            draft = self.contacts.get(contact_id)
            if draft is None:
                return None
            return Contact(
                contact_id=contact_id,
                name=draft.name,
                first_name=draft.first_name,
                last_name=draft.last_name,
                email=draft.email,
            )

        return self._read("contact", run)

    def quota(self) -> Quota:
        return self.quota_now

    def accounts(self) -> Sequence[LedgerAccount]:
        return self._read("accounts", lambda: list(self.chart.values()))

    def _bank(self, code: str) -> LedgerAccount:
        account = self.chart.get(code)
        if account is None or account.type != "BANK":
            raise PermanentError(f"account {code!r} is no bank account", system="xero")
        return account

    def spend_money(self, draft: SpendMoneyDraft, *, idempotency_key: str) -> str:
        def apply() -> str:
            self._bank(draft.bank_account_code)
            coded = self.chart.get(draft.expense_account_code)
            if coded is None or coded.type == "BANK":
                raise PermanentError(f"account {draft.expense_account_code!r} cannot be spent to", system="xero")
            if draft.amount.amount <= 0 or not draft.contact_name.strip():
                raise PermanentError("spend money needs a positive amount and a contact", system="xero")
            entry_id = str(uuid.uuid4())
            self.bank_entries[entry_id] = BankEntry(
                entry_id=entry_id,
                kind="SPEND",
                account_code=draft.bank_account_code,
                amount=draft.amount,
                on=draft.on,
                reference=draft.reference,
            )
            self.spend_contacts[entry_id] = draft.contact_name
            return entry_id

        return self._write("spend_money", idempotency_key, apply)

    def transfer(self, draft: BankTransferDraft, *, idempotency_key: str) -> str:
        def apply() -> str:
            self._bank(draft.from_account_code)
            self._bank(draft.to_account_code)
            if draft.from_account_code == draft.to_account_code or draft.amount.amount <= 0:
                raise PermanentError("a transfer needs two different accounts and a positive amount", system="xero")
            entry_id = str(uuid.uuid4())
            self.bank_entries[entry_id] = BankEntry(
                entry_id=entry_id,
                kind="TRANSFER",
                account_code=draft.from_account_code,
                to_account_code=draft.to_account_code,
                amount=draft.amount,
                on=draft.on,
                reference=draft.reference,
            )
            return entry_id

        return self._write("transfer", idempotency_key, apply)

    def spent_with(self, *, account_code: str, reference: str) -> Sequence[BankEntry]:
        return self._read(
            "spent_with",
            lambda: [
                e
                for e in self.bank_entries.values()
                if e.kind == "SPEND" and e.account_code == account_code and e.reference == reference
            ],
        )

    def transfers_with(self, *, reference: str, currency: str) -> Sequence[BankEntry]:
        return self._read(
            "transfers_with",
            lambda: [e for e in self.bank_entries.values() if e.kind == "TRANSFER" and e.reference == reference],
        )

    # ---- internals ------------------------------------------------------------------------------------------

    def _info(self, r: FakeRepeatingInvoice) -> RepeatingInvoiceInfo:
        today, when, n = self.clock().date(), r.draft.start, 0
        while r.status == "AUTHORISED" and when < today:
            n += 1
            when = add_months(r.draft.start, r.draft.period_months * n)
        total = sum((line.unit_amount.amount * line.quantity for line in r.draft.lines), Decimal(0))
        return RepeatingInvoiceInfo(
            repeating_invoice_id=r.repeating_invoice_id,
            status=r.status,
            contact_id=r.draft.contact_id,
            reference=r.draft.reference,
            next_scheduled=when,
            sub_total=total,
        )

    def _with_due(self, inv: FakeInvoice) -> list[Order]:
        if len(inv.orders) == 1:  # one order per invoice: what is due is the invoice's amount due
            return [replace(inv.orders[0], amount_due=inv.amount_due)]
        return list(inv.orders)

    def _watermark(self, changed: Sequence[FakeInvoice], since: datetime | None) -> datetime | None:
        stamps = [i.updated_at for i in changed]
        return max(stamps) if stamps else since

    def _page(self, items: list[tuple[datetime, Receipt]], since: datetime | None) -> ReceiptsPage:
        chosen = [(t, r) for t, r in items if since is None or t > since]
        mark = max((t for t, _ in chosen), default=since)
        return ReceiptsPage(receipts=tuple(r for _, r in chosen), watermark=mark)

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        return queue.pop(0) if queue else None

    def _read(self, method: str, run: Callable[[], T]) -> T:
        with self._lock:
            self.calls[method] += 1
            fault = self._take_fault(method)
            if fault is not None:
                raise fault.error
            return run()

    def _write(self, method: str, idempotency_key: str, apply: Callable[[], T]) -> T:
        if not idempotency_key or len(idempotency_key) > 128:
            raise PermanentError("an idempotency key of 1..128 characters is required", system="xero")
        with self._lock:
            self.calls[method] += 1
            fault = self._take_fault(method)
            if fault is not None and not fault.after_apply:
                raise fault.error
            key = (method, idempotency_key)
            if key not in self._replies:
                self._replies[key] = apply()
            if fault is not None:
                raise fault.error
            result: T = self._replies[key]
            return result


def _check_schedule(draft: RepeatingInvoiceDraft) -> None:
    if draft.period_months < 1:
        raise PermanentError("a repeating invoice needs a period of at least one month", system="xero")
    if not draft.lines:
        raise PermanentError("a repeating invoice needs at least one line", system="xero")


def fake_bank_line(
    line_id: str, amount: str, *, posted: date, payee: str = "", reference: str = "", currency: str = "NZD"
) -> Receipt:
    """A bank-line receipt as the adapter would build it, for seeding the fake."""
    return Receipt(
        receipt_id=line_id,
        source=ReceiptSource.BANK_LINE,
        received_at=datetime.combine(posted, time(), UTC),
        money=Money(amount=Decimal(amount), currency=currency),
        payer_name=payee,
        text=(("reference", reference),) if reference else (),
        raw_kind="CREDIT" if Decimal(amount) > 0 else "DEBIT",
    )
