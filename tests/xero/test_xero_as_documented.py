"""XeroAccounting against the sandbox where Xero differs from a naive reading (issue 15, items 8-13 and the
organisation's dates): repeating invoices cannot be edited, contact names are unique among active contacts, not every
bank account has a code, history notes are short, the rate-limit header's words vary, and bank statements are held
to 12 months ending no later than the organisation's own today. Sources are named in the sandbox beside each rule."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from xero_python.accounting.models import Contact as XeroContact
from xero_python.accounting.models import (
    Contacts,
    HistoryRecord,
    HistoryRecords,
    LineItem,
    RepeatingInvoice,
    RepeatingInvoices,
    Schedule,
)

from integrations.errors import AmountExceedsDue, PermanentError, RateLimited
from integrations.ports import PaymentDraft
from integrations.xero.adapter import XeroAccounting, rate_limit_problem
from integrations.xero.sandbox import XeroSandbox
from rules.money import Money
from tests.xero.contract import an_order
from tests.xero.sandbox_books import SandboxBooks, make_adapter

pytestmark = pytest.mark.xero

L1, L2 = "33333333-0000-4000-8000-000000000001", "33333333-0000-4000-8000-000000000002"


@pytest.fixture
def books() -> Iterator[SandboxBooks]:
    with SandboxBooks.start() as b:
        b.seed_order(an_order(1, amount="40.00"))
        yield b


def _raw(adapter: XeroAccounting, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One SDK call through the adapter's plumbing, as the adapter itself does not make it."""
    response, _ = adapter._call(what, fn, adapter.tenant_id, *args, _preload_content=False, **kwargs)
    return adapter._json(response)


# ---- 8. repeating invoices are created and deleted, never edited ------------------------------------------------


def test_sandbox_refuses_to_edit_a_repeating_invoice(books: SandboxBooks) -> None:
    """POSTing an existing template with any status but DELETED is refused, as on a live tenant."""
    adapter = books.adapter
    contact = an_order(1).contact.contact_id
    template = RepeatingInvoice(
        type="ACCREC",
        contact=XeroContact(contact_id=contact),
        schedule=Schedule(period=1, unit="MONTHLY", due_date=20, due_date_type="OFFOLLOWINGMONTH"),
        line_items=[LineItem(description="Hosting", quantity=Decimal(1), unit_amount=Decimal("25.00"))],
        status="AUTHORISED",
    )
    made = _raw(
        adapter,
        "PUT",
        adapter._accounting.create_repeating_invoices,
        adapter._body(RepeatingInvoices(repeating_invoices=[template])),
    )
    rid = made["RepeatingInvoices"][0]["RepeatingInvoiceID"]
    template.repeating_invoice_id = rid
    with pytest.raises(PermanentError, match="Repeating invoice status must be set to DELETED"):
        _raw(
            adapter,
            "POST",
            adapter._accounting.update_repeating_invoice,
            rid,
            adapter._body(RepeatingInvoices(repeating_invoices=[template])),
        )
    assert books.sb.books.repeating[rid].data["Status"] == "AUTHORISED"


# ---- 9. contacts ------------------------------------------------------------------------------------------------


def test_sandbox_hides_archived_contacts_unless_asked_and_refuses_a_second_active_name(books: SandboxBooks) -> None:
    """GET Contacts leaves ARCHIVED out without includeArchived=true; a duplicate active name is refused."""
    adapter = books.adapter
    cid = an_order(1).contact.contact_id
    books.sb.books.archive_contact(cid)
    where = 'Name=="Customer 1 Ltd"'
    assert _raw(adapter, "GET", adapter._accounting.get_contacts, where=where)["Contacts"] == []
    everyone = _raw(adapter, "GET", adapter._accounting.get_contacts, where=where, include_archived=True)
    assert len(everyone["Contacts"]) == 1
    books.sb.books.update_contact(cid, {"ContactStatus": "ACTIVE"})
    with pytest.raises(PermanentError, match="must be unique across all active contacts"):
        _raw(
            adapter,
            "PUT",
            adapter._accounting.create_contacts,
            adapter._body(Contacts(contacts=[XeroContact(name="Customer 1 Ltd")])),
        )


# ---- 10. payments by AccountID, and overpayments refused once -----------------------------------------------------


def test_payment_goes_to_a_bank_account_without_a_code_by_its_account_id() -> None:
    """A bank account with no code can only be paid into by AccountID: the adapter sends it."""
    with XeroSandbox() as sb:
        account_id = sb.books.add_bank_account("", "Stripe clearing")
        books = SandboxBooks(sb)
        books.adapter = make_adapter(sb, settings={"bank_account_code": "", "bank_account_id": account_id})
        books.seed_order(an_order(2, amount="40.00"))
        draft = PaymentDraft(
            invoice_id=an_order(2).invoice_id,
            amount=Money(amount=Decimal("40.00"), currency="NZD"),
            paid_on=date(2026, 11, 3),
            reference="pi_1",
            account_code="",
        )
        pid = books.adapter.record_payment(draft, idempotency_key="pay-nocode")
        assert sb.books.payments[pid].data["Account"] == {"AccountID": account_id}
        assert sb.violations == []


def test_overpayment_is_refused_once_and_never_resent(books: SandboxBooks) -> None:
    """Xero refuses a payment above what is owing; the adapter reports what is owing and sends it once only."""
    books.sb.reset_counts()
    draft = PaymentDraft(
        invoice_id=an_order(1).invoice_id,
        amount=Money(amount=Decimal("55.00"), currency="NZD"),
        paid_on=date(2026, 11, 3),
        reference="pi_2",
        account_code="090",
    )
    with pytest.raises(AmountExceedsDue) as refused:
        books.adapter.record_payment(draft, idempotency_key="pay-over")
    assert Decimal(refused.value.amount_due) == Decimal("40.00")
    assert books.sb.count("POST", "/Payments") == 1


# ---- 11. history notes ------------------------------------------------------------------------------------------


def test_sandbox_refuses_a_note_over_250_characters(books: SandboxBooks) -> None:
    """Details is documented at 250 characters at most."""
    adapter = books.adapter
    records = HistoryRecords(history_records=[HistoryRecord(details="y" * 251)])
    with pytest.raises(PermanentError, match="250"):
        _raw(adapter, "PUT", adapter._accounting.create_invoice_history, an_order(1).invoice_id, adapter._body(records))


# ---- 12. rate-limit header words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "limit"),
    [
        ("day", "day"),
        ("Daily", "day"),
        ("DAY", "day"),
        ("Minute", "minute"),
        ("minute", "minute"),
        ("AppMinute", "appminute"),
        ("Concurrent", "concurrent"),
        (None, "minute"),
    ],
)
def test_rate_limit_problem_words(header: str | None, limit: str) -> None:
    assert rate_limit_problem(header) == limit


def test_daily_limit_in_any_wording_parks_the_adapter(books: SandboxBooks) -> None:
    """A 429 saying "Daily" is the day limit: raised at once (not retried) and every call parked."""
    books.sb.rate_limit_next("Daily", retry_after=3600)
    with pytest.raises(RateLimited) as hit:
        books.adapter.open_orders(since=None)
    assert hit.value.limit == "day" and books.adapter.quota().parked_until is not None
    calls = books.sb.count()
    with pytest.raises(RateLimited):
        books.adapter.open_orders(since=None)
    assert books.sb.count() == calls


# ---- 13 and the dates item: bank statement windows --------------------------------------------------------------


def _finance(sb: XeroSandbox, clock: Callable[[], datetime], **kw: Any) -> XeroAccounting:
    return make_adapter(sb, clock=clock, settings={"bank_feed": "finance", **kw})


def test_sandbox_refuses_a_statement_period_over_12_months(books: SandboxBooks) -> None:
    adapter = books.adapter
    account = books.sb.books.statement["bankAccountId"]
    end = books.sb.books.today()
    ok = date(end.year - 1, end.month, end.day) + timedelta(days=1)
    _raw(adapter, "GET", adapter._finance.get_bank_statement_accounting, account, ok.isoformat(), end.isoformat())
    with pytest.raises(PermanentError, match="12 months"):
        _raw(
            adapter,
            "GET",
            adapter._finance.get_bank_statement_accounting,
            account,
            (ok - timedelta(days=2)).isoformat(),
            end.isoformat(),
        )


def test_look_back_after_a_long_outage_is_cut_to_12_months() -> None:
    """The watermark is two years old: the request stays within 12 months, and recent lines arrive."""
    now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    with XeroSandbox(clock=lambda: now) as sb:
        sb.books.add_statement_line(
            {"statementLineId": L1, "postedDate": "2026-11-20", "amount": 40.0, "payee": "ARO", "reference": "x"}
        )
        adapter = _finance(sb, lambda: now)
        page = adapter.bank_lines(since=now - timedelta(days=730))
        assert [r.receipt_id for r in page.receipts] == [L1]
        assert sb.violations == []


def test_statement_ends_on_the_organisations_today_not_the_workers_utc_date() -> None:
    """03:00 UTC is still yesterday for a Los Angeles organisation: the period ends on its date, not refused."""
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    with XeroSandbox(clock=lambda: now) as sb:
        sb.books.timezone = "PACIFICSTANDARDTIME"
        sb.books.add_statement_line(
            {"statementLineId": L2, "postedDate": "2026-11-25", "amount": 12.0, "payee": "LA", "reference": "y"}
        )
        adapter = _finance(sb, lambda: now)
        assert adapter.organisation_today() == date(2026, 11, 25)
        assert [r.receipt_id for r in adapter.bank_lines(since=None).receipts] == [L2]


def test_statement_end_follows_xeros_clock_when_ours_runs_ahead() -> None:
    """The bench's case: our clock two hours ahead of Xero's across the organisation's midnight. Xero's own
    DateTimeUTC decides the organisation's today, so the period does not end tomorrow."""
    ours = datetime(2026, 11, 26, 11, 30, tzinfo=UTC)  # 00:30 on 27 November in Auckland (NZDT)
    xeros = ours - timedelta(hours=2)  # 22:30 on 26 November there
    with XeroSandbox(clock=lambda: xeros) as sb:
        adapter = _finance(sb, lambda: ours)
        assert adapter.organisation_today() == date(2026, 11, 26)
        adapter.bank_lines(since=None)
        assert sb.violations == [] and sb.count("GET", "BankStatementsPlus") == 1
