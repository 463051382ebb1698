"""The morning report as one plain value: what the text, the HTML page and the e-mail all show, nothing they
must look up.

It opens with a summary read in ten seconds (`Figure`s), then sections in a fixed order. Every section is the
same few shapes, items with a sentence for a headline, the commands that act on them and a details part, and
compact tables, so the renderers know nothing about payments or registrars, and a new area adds a section (see
`worker.report.gather.SECTIONS`) without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rules.money import Money

XERO_INVOICE = "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={invoice_id}"


# The daemon's jobs as the reseller would say what they do; the job's own name follows, for `status` and the log.
JOB_WORDS = {
    "watch_inbox": "Watching the payments inbox",
    "poll_inbox": "Reading the payments inbox",
    "match_receipts": "Matching payments",
    "match_payouts": "Matching payouts",
    "dispatch_outbox": "Carrying out queued actions",
    "sync_xero": "Reading Xero",
    "raise_renewals": "Raising renewal invoices",
    "sync_registrar": "Reading the registrar",
    "sync_provider_bills": "Reading the provider's bills",
    "check_registrar_balance": "Checking the registrar balance",
    "send_report": "Sending this report",
}


def job_words(job: str) -> str:
    """ "Reading Xero (sync_xero)"; a name that is no job (the payments mailbox) as it is."""
    return f"{JOB_WORDS[job]} ({job})" if job in JOB_WORDS else job


@dataclass(frozen=True, kw_only=True, slots=True)
class Alert:
    """A late or failing job, or a condition only a person can clear (the mailbox needs signing in again): shown
    first, because everything below depends on it."""

    job: str
    late: bool
    failing: bool
    last_success_at: datetime | None
    last_failure_at: datetime | None
    error: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Link:
    """Text inside a sentence or cell that the HTML links (an invoice number to the invoice in Xero)."""

    text: str
    url: str


def invoice_link(invoice_number: str, invoice_id: str) -> Link:
    return Link(text=invoice_number, url=XERO_INVOICE.format(invoice_id=invoice_id))


@dataclass(frozen=True, kw_only=True, slots=True)
class Figure:
    """One line of the summary: "Waiting for you: 11 decisions, NZ$1,234.00"."""

    label: str
    value: str
    rank: int  # place in the summary: lower first (core figures 10..90; new areas pick their own)
    tone: str = ""  # "" | "alarm" (fraud, failures) | "attention" (a person is needed) | "good"
    section: str = ""  # the section that tells more


@dataclass(frozen=True, kw_only=True, slots=True)
class Item:
    """One thing to read and, usually, act on."""

    headline: str  # a sentence: who, what, how, when, and what the worker makes of it
    lines: tuple[str, ...] = ()  # further sentences
    commands: tuple[str, ...] = ()  # runnable as printed, the suggested one first
    details: tuple[tuple[str, str], ...] = ()  # ids, digests, strategy names: for whoever digs deeper
    links: tuple[Link, ...] = ()
    tone: str = ""
    label: str = ""  # a short tag shown before the headline ("possible fraud", "#12")


@dataclass(frozen=True, kw_only=True, slots=True)
class Row:
    cells: tuple[str, ...]
    command: str = ""  # shown under the row in text, in its own cell in HTML
    links: tuple[Link, ...] = ()
    tone: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    numeric: tuple[int, ...] = ()  # columns aligned right (amounts)

    @property
    def shown(self) -> tuple[int, ...]:
        """The columns with something in them: a column empty on every row is left out."""
        return tuple(i for i in range(len(self.columns)) if any(i < len(r.cells) and r.cells[i] for r in self.rows))


@dataclass(frozen=True, kw_only=True, slots=True)
class Section:
    key: str  # fraud, failed, decisions, registrar, part_paid, expiring, done, health, ...
    title: str
    count: int
    intro: str = ""  # one sentence before the content
    items: tuple[Item, ...] = ()
    table: Table | None = None
    notes: tuple[str, ...] = ()  # sentences after the content (totals)
    commands: tuple[str, ...] = ()  # after the notes, runnable as printed (where the detail is)
    empty: str = "None."
    tone: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class ExpiringDomain:
    domain: str
    expires: date
    days_left: int
    customer: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DoneLine:
    """What the worker did for one order (or one standalone action) since the last report."""

    when: datetime
    customer: str
    what: str  # "registration of example.nz", "hosting (Business plan) for example.nz"
    outcome: str  # "paid; in Xero; registered", "paid; to do at the registrar"
    amount: Money | None
    upstream: Money | None
    links: tuple[Link, ...] = ()
    order_id: str = ""
    note: str = ""  # what the reseller should know about it (a Xero contact created under another name)

    @property
    def margin(self) -> Money | None:
        if self.amount is None or self.upstream is None or self.amount.currency != self.upstream.currency:
            return None
        return self.amount - self.upstream


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceHealth:
    job: str
    plan: str
    last_success_at: datetime | None
    late: bool
    failing: bool
    last_error: str


@dataclass(frozen=True, kw_only=True, slots=True)
class MorningReport:
    generated_at: datetime
    since: datetime
    timezone: str
    alerts: tuple[Alert, ...]
    summary: tuple[Figure, ...]
    sections: tuple[Section, ...]
    # The facts behind some sections, for pages that show them their own way.
    expiring: tuple[ExpiringDomain, ...] = ()
    expiring_within_days: int = 30
    done: tuple[DoneLine, ...] = ()
    sources: tuple[SourceHealth, ...] = ()
    commands_note: str = ""  # what printed commands need that they cannot carry

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def needs_attention(self) -> int:
        """Alerts plus everything a person must look at or act on."""
        acting = {"fraud", "failed", "decisions", "registrar", "expiring"}
        return len(self.alerts) + sum(s.count for s in self.sections if s.key in acting or s.tone == "alarm")

    @property
    def subject(self) -> str:
        day = self.generated_at.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d")
        if not self.needs_attention:
            return f"reseller-worker {day}: nothing needs you"
        return f"reseller-worker {day}: {self.needs_attention} to look at"
