"""`sync_xero`: orders upserted and closed, receipts inserted once, watermarks stored; on the fake (SQLite and
PostgreSQL) and on the real adapter over the sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, update

from config.settings import Settings
from integrations.errors import RateLimited
from integrations.ports import Accounting, PaymentDraft
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting, fake_bank_line
from integrations.xero.sandbox import XeroSandbox
from rules.model import OrderKind
from rules.money import Money
from tests.xero.contract import an_order
from tests.xero.harness import _Ticker
from tests.xero.sandbox_books import SandboxBooks
from worker.app import App
from worker.jobs.xero_sync import WATERMARKS, sync_xero
from worker.store.tables import orders, receipts, watermarks

pytestmark = pytest.mark.xero


def _app(settings: Settings, engine: Engine, accounting: Accounting) -> App:
    return App(
        settings=settings,
        engine=engine,
        clock=lambda: datetime.now(UTC),
        accounting=accounting,
        registrar=FakeRegistrar(),
        mailer=None,
        open_mailbox=None,
    )


def _statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.order_id: r.status for r in conn.execute(select(orders.c.order_id, orders.c.status))}


def test_sync_upserts_orders_closes_paid_elsewhere_and_inserts_receipts_once(
    settings: Settings, engine: Engine
) -> None:
    """New orders open; an invoice voided in Xero closes its open order but never one we settled, nor one whose
    Xero payment awaits matching; receipts are stored once however often they are seen."""
    fake = FakeAccounting(clock=_Ticker())
    for n in (1, 2, 3):
        fake.add_order(an_order(n))
    fake.add_bank_line(
        fake_bank_line("line-1", "30.00", posted=date(2026, 11, 2), payee="A", reference="INV-9001"),
        updated_at=fake.clock(),
    )
    app = _app(settings, engine, fake)
    first = sync_xero(app)
    assert (first["orders_new"], first["bank_lines_new"]) == (3, 1)
    assert set(_statuses(engine).values()) == {"open"}
    with engine.begin() as conn:  # the worker settled order 2 itself
        conn.execute(update(orders).where(orders.c.order_id == "INV-9002").values(status="paid"))
    fake.set_invoice_status(an_order(1).invoice_id, "VOIDED")
    fake.set_invoice_status(an_order(2).invoice_id, "PAID")
    fake.record_payment(
        PaymentDraft(
            invoice_id=an_order(3).invoice_id,
            amount=Money(amount=Decimal("30.00"), currency="NZD"),
            paid_on=date(2026, 11, 3),
            reference="paid online",
            account_code="090",
        ),
        idempotency_key="customer-paid-3",
    )
    fake.add_bank_line(fake_bank_line("line-1", "30.00", posted=date(2026, 11, 2)), updated_at=fake.clock())
    second = sync_xero(app)
    assert second["orders_closed"] == 1 and second["bank_lines_new"] == 0 and second["payments_new"] == 1
    assert _statuses(engine) == {"INV-9001": "closed", "INV-9002": "paid", "INV-9003": "open"}
    with engine.connect() as conn:
        sources = sorted(conn.execute(select(receipts.c.source)).scalars().all())
        assert sources == ["bank_line", "xero_payment"]
        marks = dict(conn.execute(select(watermarks.c.name, watermarks.c.value)).all())
    assert {WATERMARKS["orders"], WATERMARKS["bank"]} <= set(marks)  # payments: none seen, none stored


def test_sync_keeps_what_it_stored_when_xero_parks_it(settings: Settings, sqlite_engine: Engine) -> None:
    """A day-limit 429 on payments ends the run with the orders already stored and the limit in the counts."""
    fake = FakeAccounting(clock=_Ticker())
    fake.add_order(an_order(1))
    fake.fail_next("payments", RateLimited("day", retry_after=3600, limit="day"))
    counts = sync_xero(_app(settings, sqlite_engine, fake))
    assert counts["orders_new"] == 1 and counts["rate_limited"] == "day"
    assert _statuses(sqlite_engine) == {"INV-9001": "open"}


def test_sync_over_the_sandbox(settings: Settings, sqlite_engine: Engine) -> None:
    """The real adapter: orders and a Xero payment arrive; a second, idle sync costs one call."""
    with XeroSandbox() as sb:
        books = SandboxBooks(sb)
        books.seed_order(an_order(1, amount="45.00", kind=OrderKind.DOMAIN_RENEWAL))
        books.seed_order(an_order(2))
        app = _app(settings, sqlite_engine, books.adapter)
        first = sync_xero(app)
        assert first["orders_new"] == 2
        books.adapter.record_payment(
            PaymentDraft(
                invoice_id=an_order(2).invoice_id,
                amount=Money(amount=Decimal("30.00"), currency="NZD"),
                paid_on=date(2026, 11, 4),
                reference="card",
                account_code="090",
            ),
            idempotency_key="pay-2",
        )
        second = sync_xero(app)
        # The invoice is PAID, but its payment awaits matching: the order stays open for the matcher to settle.
        assert second["orders_closed"] == 0 and second["payments_new"] == 1
        assert _statuses(sqlite_engine)["INV-9002"] == "open"
        (payment,) = [p.data for p in sb.books.payments.values()]
        assert payment["IsReconciled"] is False and payment["Reference"] == "card"  # Xero proposes the match
        before = sb.count()
        idle = sync_xero(replace(app))
        assert idle["orders_new"] == idle["payments_new"] == 0
        assert sb.count() - before <= 1
        assert sb.violations == []
