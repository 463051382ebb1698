"""The business vocabulary shared by every part of the worker: orders, receipts and decisions.

Plain frozen values; whatever reads Xero, a mailbox or a corpus on disk turns its input into these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from rules.money import Money
from rules.payouts import Sighting


class OrderKind(StrEnum):
    DOMAIN_REGISTRATION = "domain_registration"
    DOMAIN_RENEWAL = "domain_renewal"
    HOSTING = "hosting"
    SETUP = "setup"


class ReceiptSource(StrEnum):
    BANK_LINE = "bank_line"  # Finance API statement line, or a RECEIVE bank transaction
    XERO_PAYMENT = "xero_payment"  # a payment already applied to an invoice in Xero
    NOTICE = "notice"  # a card-payment notice e-mail


class DecisionKind(StrEnum):
    AUTO = "auto"  # act now for exactly these orders
    REVIEW = "review"  # a person decides; orders are suggestions, best first
    IGNORE = "ignore"  # not a customer payment for an open order
    REJECT = "reject"  # claims to be a payment service and fails authentication


@dataclass(frozen=True, kw_only=True, slots=True)
class Contact:
    contact_id: str
    name: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Order:
    """What a customer owes for one thing: an open ACCREC invoice (or one line kind of it)."""

    order_id: str
    kind: OrderKind
    invoice_number: str
    invoice_id: str
    contact: Contact
    domain: str
    amount_due: Money
    issued: date
    due: date
    plan: str = ""
    term_years: int = 1
    payment_reference: str = ""  # with a check digit, on invoices the worker raised (rules.payment_references)


@dataclass(frozen=True, kw_only=True, slots=True)
class Receipt:
    """Money that may have arrived, normalised from any source.

    `text` holds every free-text field a payer could have typed into (reference, particulars, code, notes,
    the notice's invoice or memo line), kept apart so a reason can name where evidence was found.
    """

    receipt_id: str  # statementLineId, PaymentID, or Message-ID without angle brackets
    source: ReceiptSource
    received_at: datetime  # timezone-aware, UTC
    money: Money
    # The day the money moved, as the source dates it (a Xero payment's Date); received_at is when the source
    # last changed it, which for a payment the accountant later reconciled can be weeks after.
    paid_on: date | None = None
    payer_name: str = ""
    payer_email: str = ""
    text: tuple[tuple[str, str], ...] = ()  # (field name, value) pairs
    gateway: str = ""  # paypal, stripe, windcave, xero, or "" for a bank line
    gateway_txn_id: str = ""
    invoice_id: str = ""  # set when Xero already applied it to an invoice
    invoice_number: str = ""
    raw_kind: str = ""  # e.g. bank line type CREDIT/DEBIT, or the notice's own kind
    # What the source itself says about the line: "reconciled", "duplicate", "deleted" (Xero's flags), or
    # "not_customer_payment" (a payment that is not ACCREC). Matching ignores a flagged receipt.
    flags: tuple[str, ...] = ()
    account_code: str = ""  # a Xero payment: the account it was recorded on (a clearing account for card money)


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """What the worker decided for one receipt, and why."""

    receipt_id: str
    kind: DecisionKind
    orders: tuple[str, ...] = ()  # order ids; for review, suggestions best first
    reason: str = ""
    strategy: str = ""  # the named rule that decided
    evidence: tuple[tuple[str, str], ...] = field(default=())
    review_kind: str = ""  # for review/reject: unmatched, ambiguous, short_paid, overpaid, foreign_currency, ...
    suggested_action: str = ""  # for review: what a bookkeeper would most likely do


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeReading:
    """What reading one e-mail gave, before any matching: the inbox job and replay both use it.

    Exactly one of these holds: `receipt` is set (an authenticated payment notice, or a genuine notice
    forwarded by the reseller's own staff, `forwarded=True`, which can only ever be reviewed); or `verdict` is
    REJECT / IGNORE / REVIEW with its reason; or `quarantine` is True (malformed or hostile input).
    """

    message_id: str  # without angle brackets; a stable digest of the bytes when the header is missing
    received_at: datetime | None
    receipt: Receipt | None = None
    verdict: DecisionKind | None = None
    reason: str = ""
    forwarded: bool = False
    quarantine: bool = False
    gateway: str = ""
    gateway_txn_id: str = ""
    # The verdict could not be reached for a passing reason (the DKIM key lookup failed): the inbox leaves the
    # message where it is and reads it again on a later run, for a while, before a person is asked.
    retry_later: bool = False
    digest: str = ""  # sha256 of the raw bytes: what makes two messages the same message (rules.repeats)
    # An authenticated payout notice: what it says is on its way to the bank (a sign of that payout).
    payout: Sighting | None = None
