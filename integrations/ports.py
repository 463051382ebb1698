"""One Protocol per outside system, named for what the worker needs rather than for the vendor.

Real adapters are `<Vendor><Port>` (XeroAccounting, ImapMailbox, LogicBoxesRegistrar, SmtpMailer); stateful fakes
are `Fake<Port>`. Every adapter raises only `integrations.errors` types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from rules.model import Contact, Order, Receipt
from rules.money import Money
from rules.payouts import PayoutLine

# ---- Accounting (Xero) -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class OrdersPage:
    """Open orders changed since a watermark, and the watermark to store for next time."""

    orders: tuple[Order, ...]
    closed_invoice_ids: tuple[str, ...] = ()  # invoices that turned PAID/VOIDED/DELETED since the watermark
    watermark: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptsPage:
    receipts: tuple[Receipt, ...]
    watermark: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PaymentDraft:
    """A payment to record on an invoice: unreconciled, so Xero proposes the bank-line match."""

    invoice_id: str
    amount: Money
    paid_on: date
    reference: str  # the bank or gateway reference the accountant will see
    account_code: str  # the bank or clearing account the money went to
    account_id: str = ""  # that account's AccountID, sent instead of the code when known (not all accounts have one)


@dataclass(frozen=True, kw_only=True, slots=True)
class InvoiceLine:
    description: str
    quantity: Decimal
    unit_amount: Money
    item_code: str = ""
    account_code: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class InvoiceDraft:
    contact_id: str
    lines: tuple[InvoiceLine, ...]
    issued: date
    due: date
    reference: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class RepeatingInvoiceDraft:
    contact_id: str
    lines: tuple[InvoiceLine, ...]
    start: date
    period_months: int  # MONTHLY schedule unit; yearly is 12
    due_day: int = 20
    reference: str = ""
    end: date | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RepeatingInvoiceInfo:
    """A repeating invoice template as Xero holds it. Templates cannot be edited through the API: a change is a new
    template and the old one deleted."""

    repeating_invoice_id: str
    status: str  # DRAFT, AUTHORISED, DELETED
    contact_id: str
    reference: str = ""
    next_scheduled: date | None = None  # the date of the next invoice it will raise
    sub_total: Decimal | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ContactMatch:
    contact_id: str
    name: str  # the name the contact has in Xero
    created: bool = False
    note: str = ""  # what a person should know, e.g. the name was taken by another customer so it was extended


@dataclass(frozen=True, kw_only=True, slots=True)
class ContactDraft:
    name: str
    email: str = ""
    contact_number: str = ""  # Xero's API-only "Contact Code": our natural key
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Quota:
    """What Xero said about the remaining call budget on its last response."""

    minute_remaining: int | None = None
    day_remaining: int | None = None
    app_minute_remaining: int | None = None
    parked_until: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class SupplierBillLine:
    description: str
    amount: Money  # excluding tax
    item_code: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class SupplierBill:
    """A bill (ACCPAY invoice) from a supplier, as Xero holds it."""

    bill_id: str  # InvoiceID
    number: str  # the supplier's invoice number
    reference: str
    issued: date
    status: str  # DRAFT, SUBMITTED, AUTHORISED, PAID, VOIDED, DELETED
    updated: str  # when Xero last changed it (ISO 8601): a changed bill is read again
    currency: str
    lines: tuple[SupplierBillLine, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class BillsPage:
    bills: tuple[SupplierBill, ...]
    watermark: datetime | None = None


HISTORY_NOTE_MAX = 250  # Xero's History and notes: Details is at most 250 characters


def fit_history_note(note: str) -> str:
    """A history note within HISTORY_NOTE_MAX: the end of a longer one gives way to an ellipsis."""
    note = note.strip()
    return note if len(note) <= HISTORY_NOTE_MAX else note[: HISTORY_NOTE_MAX - 1].rstrip() + "\u2026"


@dataclass(frozen=True, kw_only=True, slots=True)
class LedgerAccount:
    """One account of the chart, with its type: payments and transfers go only to BANK accounts (or accounts with
    payments enabled), fees only to expense-like accounts."""

    account_id: str
    code: str
    name: str
    type: str  # BANK, EXPENSE, REVENUE, CURRLIAB, ... (Xero's AccountType)
    status: str = "ACTIVE"
    currency: str = ""
    payments_enabled: bool = False  # EnablePaymentsToAccount: a non-bank account that takes payments


@dataclass(frozen=True, kw_only=True, slots=True)
class SpendMoneyDraft:
    """Money leaving a bank-type account that is no invoice payment: a payment service's fees, out of its clearing
    account, coded to an expense account."""

    bank_account_code: str
    expense_account_code: str
    contact_name: str  # Xero requires a contact on every bank transaction; found by name, created when missing
    amount: Money
    on: date
    reference: str
    description: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BankTransferDraft:
    """Money moving between two of the organisation's own bank-type accounts (a payout: clearing -> bank)."""

    from_account_code: str
    to_account_code: str
    amount: Money
    on: date
    reference: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BankEntry:
    """A spend or receive money transaction, or a bank transfer, as read back from the books."""

    entry_id: str
    kind: str  # SPEND, RECEIVE (or their -TRANSFER forms), or TRANSFER
    account_code: str  # the bank account; for a transfer, the one it leaves
    amount: Money
    on: date
    reference: str
    status: str = "AUTHORISED"  # AUTHORISED, DELETED, VOIDED
    to_account_code: str = ""  # transfers only
    reconciled: bool = False  # transfers: the receiving side was matched to a bank statement line


class Accounting(Protocol):
    def open_orders(self, *, since: datetime | None) -> OrdersPage: ...
    def payments(self, *, since: datetime | None) -> ReceiptsPage: ...
    def bank_lines(self, *, since: datetime | None) -> ReceiptsPage: ...
    def payments_on_invoice(self, invoice_id: str) -> Sequence[Receipt]: ...
    # What the invoice still owes now (Xero's AmountDue), None when it cannot be told: checked before a payment.
    def invoice_amount_due(self, invoice_id: str) -> Money | None: ...
    def record_payment(self, draft: PaymentDraft, *, idempotency_key: str) -> str: ...
    def create_invoice(self, draft: InvoiceDraft, *, idempotency_key: str) -> tuple[str, str]: ...
    def create_repeating_invoice(self, draft: RepeatingInvoiceDraft, *, idempotency_key: str) -> str: ...
    def repeating_invoice(self, repeating_invoice_id: str) -> RepeatingInvoiceInfo | None: ...
    def repeating_invoices(self, *, reference: str) -> Sequence[RepeatingInvoiceInfo]: ...
    def delete_repeating_invoice(self, repeating_invoice_id: str, *, idempotency_key: str) -> None: ...
    def add_history_note(self, invoice_id: str, note: str, *, idempotency_key: str) -> None: ...
    def history_notes(self, invoice_id: str) -> Sequence[str]: ...  # the invoice's History details, oldest first
    def find_or_create_contact(self, draft: ContactDraft, *, idempotency_key: str) -> ContactMatch: ...
    def supplier_bills(self, contact: str, *, since: datetime | None) -> BillsPage: ...
    def contact(self, contact_id: str) -> Contact | None: ...  # None: no such contact, or archived
    def quota(self) -> Quota: ...
    # Clearing accounts: the chart, a payment service's fees (spend money) and its payouts (bank transfers).
    def accounts(self) -> Sequence[LedgerAccount]: ...
    def spend_money(self, draft: SpendMoneyDraft, *, idempotency_key: str) -> str: ...
    def transfer(self, draft: BankTransferDraft, *, idempotency_key: str) -> str: ...
    def spent_with(self, *, account_code: str, reference: str) -> Sequence[BankEntry]: ...
    def transfers_with(self, *, reference: str, currency: str) -> Sequence[BankEntry]: ...


# ---- Payment services (Stripe) ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ServicePayout:
    """A payout as the payment service itself reports it."""

    payout_id: str  # po_...
    net: Money  # what it pays into the bank
    arrives: date  # the day the service expects it in the bank
    status: str  # paid, in_transit
    automatic: bool = True  # only an automatic payout's contents are itemised by the service


class PaymentService(Protocol):
    """Read-only: the worker never moves money at a payment service."""

    def payouts(self, *, arriving_since: date) -> Sequence[ServicePayout]: ...
    def payout_lines(self, payout: ServicePayout) -> Sequence[PayoutLine]: ...


# ---- Mailbox (IMAP, Maildir) -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class MailMessage:
    """One message as fetched: the raw bytes are what every check reads."""

    uid: int
    raw: bytes
    mailbox_id: str = ""  # uidvalidity or maildir key, whatever makes uid meaningful
    size: int = 0  # bytes on the server; above the adapter's cap, `raw` holds only the start and is quarantined


class Folder:
    PROCESSED = "Processed"
    REVIEW = "Review"
    REJECTED = "Rejected"
    QUARANTINE = "Quarantine"


class Mailbox(Protocol):
    def fetch_new(self, *, after_uid: int, limit: int) -> Sequence[MailMessage]: ...
    def move(self, uids: Iterable[int], folder: str) -> None: ...
    def uidvalidity(self) -> int: ...
    def wait_for_mail(self, timeout_seconds: float) -> bool: ...
    def close(self) -> None: ...


# ---- Registrar ---------------------------------------------------------------------------------------------


ACTIVE = "Active"  # the one order status that means registered, ours and done (LogicBoxes `currentstatus`)


@dataclass(frozen=True, kw_only=True, slots=True)
class DomainDetails:
    domain: str
    ours: bool
    expires: date | None = None
    status: str = ""
    registrar_order_id: str = ""
    pending_action: str = ""  # an action the registrar accepted and has not completed yet, e.g. RenewDomain

    @property
    def active(self) -> bool:
        return self.ours and self.status == ACTIVE


@dataclass(frozen=True, kw_only=True, slots=True)
class Availability:
    domain: str
    available: bool
    premium: bool = False  # a premium name: priced by the registry, never bought at the normal price
    premium_price: Money | None = None  # its registration price for one year, when the registrar says


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistrarResult:
    domain: str
    registrar_order_id: str
    expires: date | None = None
    cost: Money | None = None  # what the reseller paid upstream
    done_by_hand: bool = False  # ManualRegistrar: a to-do was raised, nothing was bought
    # Not confirmed by the registrar's own record yet (an order queued for funds, a registration still InActive):
    # why, in words. The worker keeps checking and never asks again.
    pending: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountBalance:
    """A prepaid registrar account's funds, as the registrar reports them."""

    balance: Money
    locked: Money  # held for orders in progress: not available

    @property
    def available(self) -> Money:
        return self.balance - self.locked if self.locked.currency == self.balance.currency else self.balance


class Registrar(Protocol):
    def is_available(self, domain: str) -> bool: ...
    def availability(self, domain: str) -> Availability: ...
    def details(self, domain: str) -> DomainDetails: ...
    def register(self, domain: str, *, years: int, contact_ref: str, idempotency_key: str) -> RegistrarResult: ...
    def renew(self, domain: str, *, years: int, current_expiry: date, idempotency_key: str) -> RegistrarResult: ...
    def price(self, domain: str, *, action: str, years: int) -> Money | None: ...
    def balance(self) -> AccountBalance | None: ...  # None: no prepaid account the worker can read


# ---- Mailer (SMTP) -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class OutgoingMail:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str = ""


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> None: ...
