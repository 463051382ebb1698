"""Fault tests: timeouts after Xero applied a write, 500s and 429s at each limit never duplicate a write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.errors import RateLimited, TransientError
from integrations.ports import InvoiceDraft, InvoiceLine, PaymentDraft, RepeatingInvoiceDraft
from integrations.xero.adapter import XeroAccounting
from integrations.xero.sandbox import XeroSandbox
from rules.money import Money
from tests.xero.contract import an_order
from tests.xero.sandbox_books import SandboxBooks, make_adapter

pytestmark = [pytest.mark.xero, pytest.mark.faults]


def _nzd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="NZD")


@pytest.fixture
def books() -> Iterator[SandboxBooks]:
    """A sandbox holding one open order, and an adapter with a short read timeout."""
    with SandboxBooks.start() as b:
        b.adapter = make_adapter(b.sb, request_timeout=(2.0, 0.3))
        b.accounting = b.adapter
        b.seed_order(an_order(1, amount="60.00"))
        yield b


def _payment() -> PaymentDraft:
    order = an_order(1)
    return PaymentDraft(
        invoice_id=order.invoice_id,
        amount=_nzd("20.00"),
        paid_on=date(2026, 11, 3),
        reference="BNZ 1",
        account_code="090",
    )


def _invoice() -> InvoiceDraft:
    line = InvoiceLine(
        description="Renewal example-1.co.nz", quantity=Decimal("1"), unit_amount=_nzd("30.00"), item_code="DOM-REN"
    )
    return InvoiceDraft(
        contact_id=an_order(1).contact.contact_id,
        lines=(line,),
        issued=date(2026, 11, 5),
        due=date(2026, 11, 19),
        reference="REN-1",
    )


def _repeating() -> RepeatingInvoiceDraft:
    line = InvoiceLine(
        description="Web hosting - Starter plan - example-1.co.nz",
        quantity=Decimal("1"),
        unit_amount=_nzd("25.00"),
        item_code="HOST",
    )
    return RepeatingInvoiceDraft(
        contact_id=an_order(1).contact.contact_id,
        lines=(line,),
        start=date(2026, 12, 1),
        period_months=12,
        reference="HOST-1",
    )


def _write_all(adapter: XeroAccounting) -> None:
    adapter.record_payment(_payment(), idempotency_key="pay-r1")
    adapter.create_invoice(_invoice(), idempotency_key="inv-REN-1")
    adapter.create_repeating_invoice(_repeating(), idempotency_key="rep-HOST-1")


def _assert_exactly_one_each(b: SandboxBooks) -> None:
    assert b.count_payments(an_order(1).invoice_id) == 1
    assert b.count_invoices("REN-1") == 1
    assert b.count_repeating("HOST-1") == 1


def test_timeout_after_xero_applied_each_write_leaves_one_record(books: SandboxBooks) -> None:
    """Xero applies the write, the answer comes too late; the retry with the same key gets the first answer."""
    for path in ("/Payments", "/Invoices", "/RepeatingInvoices"):
        books.sb.slow_next(0.6, apply_first=True, method="", path=path)
    _write_all(books.adapter)
    _assert_exactly_one_each(books)
    assert books.sb.count("POST", "/Payments") == 2  # the lost answer and the replay


def test_slow_answer_without_apply_is_retried_once(books: SandboxBooks) -> None:
    """A timeout before Xero applied anything: the retry applies it, once."""
    books.sb.slow_next(0.6, apply_first=False, path="/Payments")
    books.adapter.record_payment(_payment(), idempotency_key="pay-r1")
    assert books.count_payments(an_order(1).invoice_id) == 1


def test_500s_are_retried_and_nothing_is_duplicated(books: SandboxBooks) -> None:
    """A 500 on each write is transient: retried with the same key, one record each."""
    for path in ("/Payments", "/Invoices", "/RepeatingInvoices"):
        books.sb.fail_next(500, path=path)
    _write_all(books.adapter)
    _write_all(books.adapter)  # a crash-and-rerun of the same effects
    _assert_exactly_one_each(books)


def test_500s_that_persist_surface_as_transient(books: SandboxBooks) -> None:
    """Three 500s exhaust the bounded retry: a TransientError for the outbox to retry later."""
    books.sb.fail_next(503, path="/Payments", times=5)
    with pytest.raises(TransientError):
        books.adapter.record_payment(_payment(), idempotency_key="pay-r1")
    assert books.count_payments(an_order(1).invoice_id) == 0


def test_minute_limit_waits_retry_after_then_succeeds(books: SandboxBooks) -> None:
    """A minute-limit 429 with a short Retry-After is waited out within the call."""
    for path in ("/Payments", "/Invoices", "/RepeatingInvoices"):
        books.sb.rate_limit_next("minute", retry_after=1, path=path)
    _write_all(books.adapter)
    _assert_exactly_one_each(books)
    assert books.adapter.quota().minute_remaining is not None


def test_app_minute_limit_is_a_rate_limit_too(books: SandboxBooks) -> None:
    """The per-app limit reads like the minute limit: waited out, then one record."""
    books.sb.rate_limit_next("appminute", retry_after=1, path="/Payments")
    books.adapter.record_payment(_payment(), idempotency_key="pay-r1")
    assert books.count_payments(an_order(1).invoice_id) == 1


def test_day_limit_parks_every_call_until_retry_after(books: SandboxBooks, tmp_path: Path) -> None:
    """A day-limit 429 raises at once, parks the adapter (stored), and later calls do not reach Xero."""
    state = tmp_path / "xero-state.json"
    adapter = make_adapter(books.sb, state_path=state)
    books.sb.rate_limit_next("day", retry_after=7200, path="/Payments")
    with pytest.raises(RateLimited) as raised:
        adapter.record_payment(_payment(), idempotency_key="pay-r1")
    assert raised.value.limit == "day" and raised.value.retry_after == 7200
    before = books.sb.count()
    with pytest.raises(RateLimited):
        adapter.open_orders(since=None)
    assert books.sb.count() == before
    assert adapter.quota().parked_until is not None
    restarted = make_adapter(books.sb, state_path=state)  # a new process reads the park from disk
    with pytest.raises(RateLimited):
        restarted.payments(since=None)
    assert books.sb.count() == before
    assert books.count_payments(an_order(1).invoice_id) == 0


def test_every_fault_in_a_row_still_one_record_per_key(books: SandboxBooks) -> None:
    """Timeout-after-apply, 500, minute and day 429s in sequence; after the park ends, one of each record."""
    books.sb.slow_next(0.6, apply_first=True, path="/Payments")
    books.sb.fail_next(500, path="/Invoices")
    books.sb.rate_limit_next("minute", retry_after=1, path="/RepeatingInvoices")
    _write_all(books.adapter)
    books.sb.rate_limit_next("day", retry_after=1, path="/Payments")
    with pytest.raises(RateLimited):
        books.adapter.record_payment(_payment(), idempotency_key="pay-r1")
    import time

    time.sleep(1.1)  # the park ends after Retry-After
    _write_all(books.adapter)
    _assert_exactly_one_each(books)


def test_sandbox_alone_replays_an_idempotent_write() -> None:
    """Two PUTs with one Idempotency-Key return the same invoice and create one."""
    with XeroSandbox() as sb:
        b = SandboxBooks(sb)
        b.seed_order(an_order(1))
        one = b.adapter.create_invoice(_invoice(), idempotency_key="k-1")
        two = make_adapter(sb).create_invoice(_invoice(), idempotency_key="k-1")
        assert one == two
        assert b.count_invoices("REN-1") == 1
