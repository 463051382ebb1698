"""The review rules against the Xero sandbox through the real adapter, on SQLite and PostgreSQL: a refused
approval sends Xero nothing; a part payment lands on the invoice and the registrar waits until the rest arrives;
a foreign receipt lands in the invoice's currency for the home amount; an overpayment lands as what is owed."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.registrar.fake import FakeRegistrar
from rules.model import Contact, Receipt, ReceiptSource
from rules.money import Money
from rules.settlement import Terms
from tests.review.acting import approve_as_person
from tests.xero.sandbox_books import SandboxBooks, Ticker, open_invoice, worker_on_sandbox
from worker.app import App
from worker.approval import ApprovalRequest, ApprovalResult
from worker.jobs.dispatch import dispatch_outbox
from worker.jobs.match import decide_stored
from worker.jobs.xero_sync import insert_receipts, sync_xero
from worker.store.tables import orders, outbox, review_items

pytestmark = pytest.mark.xero

OLIVER = Contact(contact_id="5b1c1e8e-1d1a-4c55-9e55-0f1e0a7c0703", name="Oliver Faleolo", email="o@faleolo.test")
INVOICE = "a6f1f2de-34f4-4d8f-9c65-50c3e8a10703"
LINE_27 = "0f3c2b1a-0000-4000-8000-000000000027"
LINE_8 = "0f3c2b1a-0000-4000-8000-000000000008"


@pytest.fixture
def world(engine: Engine, settings: Settings) -> Iterator[tuple[App, SandboxBooks, FakeRegistrar, Ticker]]:
    invoice = open_invoice("INV-0703", invoice_id=INVOICE, contact=OLIVER, domain="olivercafe.nz", amount="35.00")
    with worker_on_sandbox(engine, settings, [invoice]) as world:
        yield world


def cycle(app: App, clock: Ticker) -> None:
    clock.advance()
    sync_xero(app)
    decide_stored(app)
    dispatch_outbox(app)


def xero_state(books: SandboxBooks) -> tuple[Any, ...]:
    invoice = books.sb.books.invoices[INVOICE].data
    payments = sorted((p.data["Invoice"]["InvoiceID"], p.data["Amount"]) for p in books.sb.books.payments.values())
    return invoice["AmountDue"], invoice["Status"], tuple(payments)


def item(app: App, subject: str) -> Any:
    with app.engine.connect() as conn:
        return conn.execute(select(review_items).where(review_items.c.subject == subject)).one()


def ask(app: App, review_id: int, **terms: Any) -> ApprovalResult:
    request = ApprovalRequest(review_id=review_id, orders=("INV-0703",), terms=Terms(**terms))
    return approve_as_person(app.engine, request, settings=app.settings, now=app.clock())


def queued(app: App) -> list[str]:
    with app.engine.connect() as conn:
        return sorted(r.idempotency_key for r in conn.execute(select(outbox)))


def test_refused_then_part_then_the_rest(world: tuple[App, SandboxBooks, FakeRegistrar, Ticker]) -> None:
    app, books, registrar, clock = world
    books.seed_bank_line(LINE_27, "27.00", clock().date(), "OLIVER FALEOLO", "INV-0703")
    cycle(app, clock)
    short = item(app, LINE_27)
    before, writes = xero_state(books), books.sb.count("PUT") + books.sb.count("POST")
    refused = ask(app, short.id)
    assert not refused.ok and "NZ$8.00 short" in refused.message
    dispatch_outbox(app)
    assert queued(app) == [] and xero_state(books) == before
    assert books.sb.count("PUT") + books.sb.count("POST") == writes

    assert ask(app, short.id, part=True).ok
    cycle(app, clock)
    cycle(app, clock)  # the part payment comes back from Xero as a payment: the worker's own, not new money
    assert xero_state(books) == (8.0, "AUTHORISED", ((INVOICE, 27.0),))
    assert registrar.calls("register") == 0
    with app.engine.connect() as conn:
        assert conn.execute(select(orders.c.status).where(orders.c.order_id == "INV-0703")).scalar_one() == "part_paid"
        assert conn.execute(select(review_items).where(review_items.c.status == "open")).all() == []

    books.seed_bank_line(LINE_8, "8.00", clock().date(), "OLIVER FALEOLO", "INV-0703")
    cycle(app, clock)
    cycle(app, clock)
    assert xero_state(books) == (0.0, "PAID", ((INVOICE, 8.0), (INVOICE, 27.0)))
    assert registrar.calls("register") == 1


def test_foreign_and_overpaid_land_in_the_invoice_currency_for_what_is_owed(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker],
) -> None:
    app, books, registrar, clock = world
    sync_xero(app)
    notice = Receipt(
        receipt_id="notice-aud@paypal.example",
        source=ReceiptSource.NOTICE,
        received_at=clock(),
        money=Money.of("30.00", "AUD"),
        payer_name="Oliver Faleolo",
        payer_email="o@faleolo.test",
        text=(("invoice", "INV-0703"),),
        gateway="paypal",
        gateway_txn_id="7XK1",
    )
    with app.engine.begin() as conn:  # as the inbox job stores an authenticated notice
        insert_receipts(conn, [notice], clock())
    cycle(app, clock)
    aud = item(app, notice.receipt_id)
    assert aud.kind == "foreign_currency"
    before = xero_state(books)
    for terms, says in (({}, "say what arrived in NZD"), ({"home_amount": Decimal("36.20")}, "NZ$1.20 more")):
        result = ask(app, aud.id, **terms)
        assert not result.ok and says in result.message
    dispatch_outbox(app)
    assert queued(app) == [] and xero_state(books) == before

    result = ask(app, aud.id, home_amount=Decimal("36.20"), overpaid=True)
    assert result.ok, result.message
    assert "A$30.00 arrived as NZ$36.20 (rate 1.2067 NZD per AUD)." in result.message
    cycle(app, clock)
    assert xero_state(books) == (0.0, "PAID", ((INVOICE, 35.0),))
    assert registrar.calls("register") == 1
    with app.engine.connect() as conn:
        credit = conn.execute(select(review_items).where(review_items.c.kind == "credit")).one()
    assert credit.status == "open" and credit.detail["amount"] == "1.20"
