"""A payment above what the invoice still owes (issue 15 item 10), through the real adapter against the Xero sandbox,
on SQLite and PostgreSQL: the invoice was part-paid (or paid) elsewhere after the worker read it. Xero refuses a
payment above the outstanding amount (OAS Payment.Amount, named in the sandbox), so the worker reads the invoice's
AmountDue before acting, records only that, and puts the rest in front of the reseller as a credit review item:
never a failed action retried, never more than is owed, never silently dropped; also when the invoice is paid
elsewhere between the check and the write, and when the worker dies after Xero took the payment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.ports import PaymentDraft
from integrations.registrar.fake import FakeRegistrar
from rules.model import Contact, Order, OrderKind
from rules.money import Money
from tests.review.acting import approve_as_person
from tests.xero.sandbox_books import SandboxBooks, Ticker, open_invoice, worker_on_sandbox
from worker.app import App
from worker.approval import ApprovalRequest
from worker.jobs.dispatch import dispatch
from worker.jobs.match import decide_stored
from worker.jobs.xero_sync import sync_xero
from worker.store.tables import orders, outbox, review_items

pytestmark = pytest.mark.xero

ANA = Contact(contact_id="5b1c1e8e-1d1a-4c55-9e55-0f1e0a7c0a10", name="Ana Tupou", email="ana@tupou.test")
INVOICE = "a6f1f2de-34f4-4d8f-9c65-50c3e8a10a10"
LINE = "0f3c2b1a-0000-4000-8000-0000000000a1"


@pytest.fixture
def world(engine: Engine, settings: Settings) -> Iterator[tuple[App, SandboxBooks, FakeRegistrar, Ticker]]:
    invoice = open_invoice("INV-0810", invoice_id=INVOICE, contact=ANA, domain="tupoubakery.nz", amount="35.00")
    with worker_on_sandbox(engine, settings, [invoice]) as world:
        yield world


def _paid_in_full_queued(app: App, books: SandboxBooks, clock: Ticker) -> None:
    """The customer's bank payment of the whole 35.00 is matched and its payment queued, not yet sent."""
    books.seed_bank_line(LINE, "35.00", clock().date(), "ANA TUPOU", "INV-0810")
    clock.advance()
    sync_xero(app)
    decide_stored(app)
    with app.engine.connect() as conn:
        kinds = sorted(r.kind for r in conn.execute(select(outbox.c.kind)))
    assert kinds == ["record_payment", "register_domain"]


def _paid_elsewhere(books: SandboxBooks, amount: str, reference: str = "cash at the counter") -> None:
    """Someone records a payment in Xero by hand (another person, another tool)."""
    books.sb.books.add_payment(
        {"Invoice": {"InvoiceID": INVOICE}, "Account": {"Code": "090"}, "Amount": amount, "Reference": reference}
    )


def _ours(books: SandboxBooks) -> list[float]:
    return sorted(
        p.data["Amount"] for p in books.sb.books.payments.values() if p.data.get("Reference") != "cash at the counter"
    )


def _items(app: App, kind: str) -> list[Any]:
    with app.engine.connect() as conn:
        return conn.execute(select(review_items).where(review_items.c.kind == kind)).all()


def _order_status(app: App) -> str:
    with app.engine.connect() as conn:
        return str(conn.execute(select(orders.c.status).where(orders.c.order_id == "INV-0810")).scalar_one())


def test_part_paid_elsewhere_records_what_is_owed_and_the_rest_is_a_credit(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker],
) -> None:
    app, books, registrar, clock = world
    _paid_in_full_queued(app, books, clock)
    _paid_elsewhere(books, "10.00")
    books.sb.reset_counts()
    dispatch(app)

    invoice = books.sb.books.invoices[INVOICE].data
    assert (invoice["AmountDue"], invoice["Status"]) == (0.0, "PAID")
    assert _ours(books) == [25.0]
    assert books.sb.count("POST", "/Payments") + books.sb.count("PUT", "/Payments") == 1  # no refused call first
    assert _items(app, "failed_action") == []
    [credit] = _items(app, "credit")
    assert credit.status == "open" and credit.detail["amount"] == "10.00" and credit.detail["currency"] == "NZD"
    assert credit.detail["receipt_id"] == LINE and credit.detail["contact_id"] == ANA.contact_id
    assert "NZ$25.00 was recorded" in credit.reason and "NZ$10.00 is left over" in credit.reason
    assert registrar.calls("register") == 1 and _order_status(app) == "done"  # the customer paid: the work goes on
    assert books.sb.violations == []


def test_half_paid_elsewhere_the_other_half_is_recorded_not_taken_for_the_same_money(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker],
) -> None:
    """17.50 paid by hand meanwhile leaves 17.50 owing: the hand payment is as large as what is now recorded, but
    it is not the receipt's money (35.00), so it is no reason to stop."""
    app, books, _registrar, clock = world
    _paid_in_full_queued(app, books, clock)
    _paid_elsewhere(books, "17.50")
    dispatch(app)

    assert _ours(books) == [17.5] and books.sb.books.invoices[INVOICE].data["Status"] == "PAID"
    assert _items(app, "failed_action") == []
    [credit] = _items(app, "credit")
    assert credit.detail["amount"] == "17.50"


def test_paid_in_full_elsewhere_records_nothing_and_all_of_it_is_a_credit(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker],
) -> None:
    """Paid in two parts by hand meanwhile (one payment of the same amount would be taken for the same money and
    put to a person as such: not this case)."""
    app, books, registrar, clock = world
    _paid_in_full_queued(app, books, clock)
    _paid_elsewhere(books, "20.00")
    _paid_elsewhere(books, "15.00")
    books.sb.reset_counts()
    dispatch(app)

    assert _ours(books) == []
    assert books.sb.count("POST", "/Payments") + books.sb.count("PUT", "/Payments") == 0
    assert _items(app, "failed_action") == []
    [credit] = _items(app, "credit")
    assert credit.detail["amount"] == "35.00" and "was already paid in full" in credit.reason
    assert registrar.calls("register") == 1
    assert books.sb.violations == []


class PaidMeanwhile:
    """The real adapter, with someone paying the invoice elsewhere just before the worker's first payment reaches
    Xero: the check-before-acting read 35.00 owing, and Xero refuses the write."""

    def __init__(self, books: SandboxBooks) -> None:
        self._books, self._adapter, self.refusals = books, books.adapter, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    def record_payment(self, draft: PaymentDraft, *, idempotency_key: str) -> str:
        if self.refusals == 0:
            _paid_elsewhere(self._books, "5.00")
        try:
            return self._adapter.record_payment(draft, idempotency_key=idempotency_key)
        except Exception:
            self.refusals += 1
            raise


def test_paid_elsewhere_between_the_check_and_the_write(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker],
) -> None:
    app, books, registrar, clock = world
    _paid_in_full_queued(app, books, clock)
    racing = PaidMeanwhile(books)
    dispatch(replace(app, accounting=racing))

    assert racing.refusals == 1  # Xero refused the 35.00 once; it was never sent again
    assert _ours(books) == [30.0]
    assert books.sb.books.invoices[INVOICE].data["Status"] == "PAID"
    assert _items(app, "failed_action") == []
    [credit] = _items(app, "credit")
    assert credit.detail["amount"] == "5.00"
    assert registrar.calls("register") == 1
    assert books.sb.violations == []


class Died(BaseException):  # as a killed process: nothing in the worker catches it
    pass


def test_a_worker_that_dies_after_xero_took_the_smaller_payment_records_it_once(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker],
) -> None:
    """The decision (record 25.00, keep 10.00) is kept with the action before Xero is asked: the next worker finds
    the 25.00 payment by its reference and amount instead of deciding again from an invoice now fully paid."""
    app, books, registrar, clock = world
    _paid_in_full_queued(app, books, clock)
    _paid_elsewhere(books, "10.00")

    def die(name: str) -> None:
        if name == "after_xero_write":
            raise Died(name)

    with pytest.raises(Died):
        dispatch(app, checkpoint=die, max_rows=1)
    assert _ours(books) == [25.0] and _items(app, "credit") == []
    with app.engine.begin() as conn:  # the lease of the dead worker's claim runs out
        conn.execute(outbox.update().values(claimed_at=clock() - timedelta(hours=1)))
    dispatch(app)

    assert _ours(books) == [25.0]
    assert _items(app, "failed_action") == []
    [credit] = _items(app, "credit")
    assert credit.detail["amount"] == "10.00"
    assert registrar.calls("register") == 1


def test_the_credit_pays_another_order_of_the_customer_when_the_reseller_says_so(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker],
) -> None:
    """The left-over money is the reseller's to decide: approving the credit item for another open invoice of the
    same customer records that payment in Xero from the same receipt, once."""
    app, books, _registrar, clock = world
    books.seed_order(
        Order(
            order_id="INV-0811",
            kind=OrderKind.DOMAIN_RENEWAL,
            invoice_number="INV-0811",
            invoice_id="a6f1f2de-34f4-4d8f-9c65-50c3e8a10a11",
            contact=ANA,
            domain="tupou.nz",
            amount_due=Money.of("10.00", "NZD"),
            issued=date(2026, 10, 21),
            due=date(2026, 11, 21),
        )
    )
    _paid_in_full_queued(app, books, clock)
    _paid_elsewhere(books, "10.00")
    dispatch(app)
    [credit] = _items(app, "credit")
    assert "INV-0811" in credit.candidates

    result = approve_as_person(
        app.engine,
        ApprovalRequest(review_id=credit.id, orders=("INV-0811",)),
        settings=app.settings,
        now=clock(),
    )
    assert result.ok, result.message
    dispatch(app)
    other = books.sb.books.invoices["a6f1f2de-34f4-4d8f-9c65-50c3e8a10a11"].data
    assert (other["AmountDue"], other["Status"]) == (0.0, "PAID")
    assert [p.data["Reference"] for p in books.sb.books.payments.values() if p.data["Amount"] == 10.0].count(LINE) == 1
    assert [i.status for i in _items(app, "credit")] == ["approved"]
