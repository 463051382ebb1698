"""First payment before going live: `hosting start` raises a setup invoice once and holds the site until it is
paid; a paid setup or hosting invoice lets it start; `--without-first-payment` starts it and is recorded."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings, load_settings
from integrations.ports import ContactDraft
from integrations.xero.fake import FakeAccounting
from integrations.xero.mapping import orders_from_invoice
from integrations.xero.sandbox import XeroSandbox
from rules.model import Contact, OrderKind
from worker.app import App, build_app
from worker.commands.order_actions import hosting_start, hosting_stop
from worker.cycle import run_cycle
from worker.jobs.dispatch import dispatch
from worker.store.first_payments import waiting_sites
from worker.store.month_end_tables import first_payments
from worker.store.opening import open_database
from worker.store.outbox_tables import hosting_services
from worker.store.tables import orders, outbox
from worker.store.web_tables import audit_log

from ..outbox.conftest import Clock, new_order, pay

SITE = "newsite.co.nz"


def start_args(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "domain": SITE,
        "plan": "business",
        "contact": "c-1",
        "start": None,
        "without_first_payment": False,
        "reason": "",
    }
    return argparse.Namespace(**{**base, **kw})


def rows(engine: Engine, table: object) -> list[object]:
    with engine.connect() as conn:
        return list(conn.execute(select(table)).all())  # type: ignore[call-overload]


@pytest.fixture
def contact(accounting: FakeAccounting) -> str:
    accounting.add_contact("c-1", ContactDraft(name="Aroha Ltd"))
    return "c-1"


def test_an_unpaid_site_is_held_and_its_setup_invoice_raised_once(
    app: App, accounting: FakeAccounting, clock: Clock, contact: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hosting_start(app.engine, app.settings, start_args(), clock) == 0
    assert "held until its customer pays the setup fee of 45.00 NZD" in capsys.readouterr().out
    assert hosting_start(app.engine, app.settings, start_args(), clock) == 1
    assert "already waiting for its first payment" in capsys.readouterr().err
    assert rows(app.engine, hosting_services) == []
    dispatch(app)
    dispatch(app)
    [invoice] = accounting.invoices.values()
    [line] = invoice.lines
    assert line.description == f"Setup - business plan - {SITE}. Please pay with reference {invoice.reference}"
    assert line.item_code == "SETUP" and invoice.reference.isdigit() and len(invoice.reference) == 8
    assert line.unit_amount.amount == Decimal("45.00")
    assert accounting.calls["create_invoice"] == 1
    assert accounting.repeating == {}
    with app.engine.connect() as conn:
        [site] = waiting_sites(conn)
    assert (site.domain, site.plan, site.amount) == (SITE, "business", "45.00")


def test_paying_the_setup_invoice_puts_the_held_site_live_on_its_plan(
    app: App, accounting: FakeAccounting, clock: Clock, contact: str
) -> None:
    later = clock().date() + timedelta(days=3)
    hosting_start(app.engine, app.settings, start_args(start=later), clock)
    dispatch(app)
    # The invoice comes back from Xero as a setup order (its line names the plan), and is paid.
    setup = new_order("INV-F0001", kind=OrderKind.SETUP, domain=SITE, amount="45.00", plan="business")
    pay(app, accounting, setup)
    dispatch(app)
    [service] = rows(app.engine, hosting_services)
    assert (service.domain, service.plan, service.contact_id, service.started_on) == (SITE, "business", "c-1", later)
    [(_rid, repeating)] = accounting.repeating.items()
    assert repeating.draft.start == later and repeating.draft.lines[0].unit_amount.amount == Decimal("45.00")
    [request] = rows(app.engine, first_payments)
    assert (request.status, request.order_id, request.service_id) == ("started", "INV-F0001", service.id)
    with app.engine.connect() as conn:
        assert waiting_sites(conn) == []


def test_a_paid_first_month_lets_the_site_start_at_once(
    app: App, accounting: FakeAccounting, clock: Clock, contact: str
) -> None:
    first_month = new_order("INV-0777", kind=OrderKind.HOSTING, domain=SITE, amount="45.00", plan="business")
    pay(app, accounting, first_month)
    assert hosting_start(app.engine, app.settings, start_args(), clock) == 0
    assert len(rows(app.engine, hosting_services)) == 1
    [request] = rows(app.engine, first_payments)
    assert (request.status, request.note) == ("started", "paid by INV-0777")
    with app.engine.connect() as conn:
        queued = {r.kind for r in conn.execute(select(outbox.c.kind))}
    assert "setup_invoice" not in queued


def test_another_customers_payment_for_the_site_does_not_count(
    app: App, accounting: FakeAccounting, clock: Clock, contact: str
) -> None:
    pay(app, accounting, new_order("INV-0778", kind=OrderKind.HOSTING, domain=SITE, amount="45.00"))
    assert hosting_start(app.engine, app.settings, start_args(contact="c-2"), clock) == 0
    assert rows(app.engine, hosting_services) == []


def test_an_open_setup_invoice_is_waited_for_not_raised_again(
    app: App, accounting: FakeAccounting, clock: Clock, contact: str, capsys: pytest.CaptureFixture[str]
) -> None:
    order = new_order("INV-0779", kind=OrderKind.SETUP, domain=SITE, amount="45.00", plan="business")
    with app.engine.begin() as conn:
        from worker.store.orders import order_values

        conn.execute(
            orders.insert().values(order_id=order.order_id, status="open", updated_at=clock(), **order_values(order))
        )
    assert hosting_start(app.engine, app.settings, start_args(), clock) == 0
    assert "pays INV-0" in capsys.readouterr().out
    with app.engine.connect() as conn:
        assert conn.execute(select(outbox.c.kind)).scalars().all() == []
        [site] = waiting_sites(conn)
    assert site.invoice_key == ""


def test_without_first_payment_starts_now_and_is_recorded_and_audited(
    app: App, accounting: FakeAccounting, clock: Clock, contact: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = start_args(without_first_payment=True, reason="long-standing customer")
    assert hosting_start(app.engine, app.settings, args, clock) == 0
    assert "without a first payment (recorded)" in capsys.readouterr().out
    [request] = rows(app.engine, first_payments)
    assert request.status == "overridden" and "long-standing customer" in request.note
    [entry] = rows(app.engine, audit_log)
    assert (entry.action, entry.subject, entry.via) == ("start_without_payment", SITE, "cli")
    dispatch(app)
    assert len(accounting.repeating) == 1 and accounting.calls["create_invoice"] == 0


def test_stopping_a_waiting_site_cancels_the_wait(
    app: App, accounting: FakeAccounting, clock: Clock, contact: str
) -> None:
    hosting_start(app.engine, app.settings, start_args(), clock)
    assert hosting_stop(app.engine, app.settings, argparse.Namespace(domain=SITE), clock) == 0
    [request] = rows(app.engine, first_payments)
    assert request.status == "cancelled"
    with app.engine.connect() as conn:
        assert waiting_sites(conn) == []


def test_a_setup_invoice_line_is_read_back_with_its_plan() -> None:
    invoice = {
        "InvoiceID": "i-1",
        "InvoiceNumber": "INV-0800",
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "AmountDue": 45,
        "LineItems": [{"Description": f"Setup - business plan - {SITE}", "ItemCode": "SETUP", "LineAmount": 45}],
    }
    [order] = orders_from_invoice(invoice, Contact(contact_id="c-1", name="A"), {"SETUP": "setup"})
    assert (order.kind, order.plan, order.domain) == (OrderKind.SETUP, "business", SITE)


def test_held_start_goes_live_through_xero_end_to_end(tmp_path: Path) -> None:
    """The real adapter on the sandbox: the setup invoice is raised there, the customer pays it in Xero, the next
    cycles read the payment, match it and create the site's repeating invoice."""
    now = [datetime(2026, 11, 20, 1, 0, tzinfo=UTC)]

    def clock() -> datetime:
        now[0] += timedelta(seconds=1)
        return now[0]

    with XeroSandbox(clock=clock) as sb:
        customer = sb.books.add_contact({"Name": "Aroha Ltd", "EmailAddress": "a@aroha.test"})["ContactID"]
        env = {
            "RW_WORKER_DATA_DIR": str(tmp_path / "var"),
            "RW_XERO_MODE": "sandbox",
            "RW_XERO_BASE_URL": sb.base_url,
            "RW_INBOX_KIND": "none",
        }
        settings: Settings = load_settings(None, env, base_dir=tmp_path)
        open_database(settings.worker.database_url, settings.worker.data_dir, create=True).dispose()
        app = build_app(settings, clock=clock)
        assert hosting_start(app.engine, settings, start_args(contact=customer), clock) == 0
        run_cycle(app)
        [setup] = [r for r in sb.books.invoices.values() if r.data["LineItems"][0]["Description"].startswith("Setup")]
        assert setup.data["LineItems"][0]["ItemCode"] == "SETUP"
        run_cycle(app)  # the worker reads its own setup invoice back as an open setup order
        with app.engine.connect() as conn:
            read_back = conn.execute(select(orders.c.kind, orders.c.plan, orders.c.payment_reference)).one()
        assert read_back == ("setup", "business", setup.data["Reference"])  # a bank payment's exact key
        sb.books.add_payment(
            {"Invoice": {"InvoiceID": setup.data["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": "45.00"}
        )
        run_cycle(app)
        assert [r.data["Reference"] for r in sb.books.repeating.values()] == [f"HOSTING {SITE}"]
        with app.engine.connect() as conn:
            assert conn.execute(select(first_payments.c.status)).scalar_one() == "started"
        assert sb.violations == []
        app.engine.dispose()
