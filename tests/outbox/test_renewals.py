"""Renewal invoices N days before expiry, once per domain and term; the daily registrar sync."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from integrations.ports import ContactDraft
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from rules.model import OrderKind
from rules.payment_references import is_valid
from worker.app import App
from worker.domains import hold_domain
from worker.jobs.dispatch import dispatch
from worker.jobs.renewals import raise_renewals, sync_registrar
from worker.store.outbox_tables import domains

from .conftest import Clock, new_order, pay, review


def _hold(app: App, domain: str, expires: date, **kw: str) -> None:
    with app.engine.begin() as conn:
        hold_domain(conn, domain=domain, expires=expires, now=app.clock(), **kw)


def test_renewal_invoice_is_raised_once_per_domain_and_term(app: App, accounting: FakeAccounting, clock: Clock) -> None:
    """Inside the window one invoice at the customer's last price; later runs add nothing; outside, nothing."""
    accounting.add_contact("c-1", ContactDraft(name="Aroha Ltd"))
    _hold(
        app, "soon.nz", clock().date() + timedelta(days=20), contact_id="c-1", sell_amount="30.00", sell_currency="NZD"
    )
    _hold(
        app, "later.nz", clock().date() + timedelta(days=90), contact_id="c-1", sell_amount="30.00", sell_currency="NZD"
    )
    assert raise_renewals(app)["queued"] == 1
    dispatch(app)
    assert raise_renewals(app) == {"due": 0, "queued": 0, "already": 0, "review": 0}
    dispatch(app)
    [invoice] = [i for i in accounting.invoices.values() if "soon.nz" in i.lines[0].description]
    assert invoice.total.amount == 30 and invoice.contact_id == "c-1"
    assert accounting.calls["create_invoice"] == 1
    with app.engine.connect() as conn:
        row = conn.execute(select(domains).where(domains.c.domain == "soon.nz")).one()
    assert row.renewal_invoiced_for == row.expires and row.renewal_invoice_id == invoice.invoice_id


def test_next_term_gets_its_own_invoice(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """Once renewed, the new expiry is a new term: a year later a new invoice is raised."""
    accounting.add_contact("c-1", ContactDraft(name="Aroha Ltd"))
    expires = clock().date() + timedelta(days=10)
    registrar.add_ours("cycle.nz", expires=expires)
    _hold(app, "cycle.nz", expires, contact_id="c-1", sell_amount="30.00", sell_currency="NZD")
    raise_renewals(app)
    dispatch(app)
    pay(app, accounting, new_order("ORD-8001", kind=OrderKind.DOMAIN_RENEWAL, domain="cycle.nz"))
    dispatch(app)
    clock.advance(days=360)
    assert raise_renewals(app)["queued"] == 1
    dispatch(app)
    assert accounting.calls["create_invoice"] == 2


def test_renewal_without_a_price_or_contact_becomes_review(app: App, clock: Clock) -> None:
    """No known rate: a review item instead of a silently missing invoice."""
    _hold(app, "noprice.io", clock().date() + timedelta(days=5), contact_id="c-1")
    counts = raise_renewals(app)
    assert counts["queued"] == 0
    [item] = review(app, "renewal_blocked")
    assert "noprice.io" in item.reason and "domain_rates" in item.suggested_action


def test_sync_updates_expiry_and_flags_domains_gone(app: App, registrar: FakeRegistrar, clock: Clock) -> None:
    """The daily sync takes the registrar's expiry, and a domain no longer ours becomes a review item."""
    registrar.add_ours("moved.nz", expires=date(2028, 1, 1))
    _hold(app, "moved.nz", date(2027, 1, 1))
    _hold(app, "gone.nz", date(2027, 1, 1))
    counts = sync_registrar(app)
    assert (counts["checked"], counts["changed"], counts["gone"]) == (2, 1, 1)
    with app.engine.connect() as conn:
        rows = {r.domain: r for r in conn.execute(select(domains))}
    assert rows["moved.nz"].expires == date(2028, 1, 1) and rows["gone.nz"].status == "transferred_out"
    [item] = review(app, "domain_gone")
    assert item.subject == "gone.nz"


def test_renewal_invoice_reads_back_as_a_renewal_order(app: App, accounting: FakeAccounting, clock: Clock) -> None:
    """The invoice carries the renewal item code, the domain and the term, so sync_xero's mapping turns it into
    the renewal order that, once paid, renews the domain."""
    from integrations.xero.mapping import orders_from_invoice
    from rules.model import Contact

    accounting.add_contact("c-1", ContactDraft(name="Aroha Ltd"))
    _hold(
        app,
        "back.co.nz",
        clock().date() + timedelta(days=7),
        contact_id="c-1",
        sell_amount="30.00",
        sell_currency="NZD",
    )
    raise_renewals(app)
    dispatch(app)
    [invoice] = [i for i in accounting.invoices.values() if "back.co.nz" in i.lines[0].description]
    [line] = invoice.lines
    as_json = {
        "InvoiceID": invoice.invoice_id,
        "InvoiceNumber": invoice.invoice_number,
        "CurrencyCode": "NZD",
        "AmountDue": str(invoice.total.amount),
        "Reference": invoice.reference,
        "LineItems": [
            {
                "ItemCode": line.item_code,
                "Description": line.description,
                "Quantity": str(line.quantity),
                "LineAmount": str(invoice.total.amount),
            }
        ],
    }
    [order] = orders_from_invoice(as_json, Contact(contact_id="c-1", name="Aroha Ltd"), app.settings.xero.item_codes)
    assert (order.kind, order.domain, order.term_years) == (OrderKind.DOMAIN_RENEWAL, "back.co.nz", 1)
    # The invoice carries a payment reference with a check digit, read back as the order's exact key.
    assert is_valid(invoice.reference) and order.payment_reference == invoice.reference
    assert f"Please pay with reference {invoice.reference}" in line.description


def test_sync_with_the_manual_registrar_asks_nothing(app: App, accounting: FakeAccounting, clock: Clock) -> None:
    """The manual registrar cannot be asked: sync leaves our record alone and says how many it skipped."""
    from decimal import Decimal

    from integrations.registrar.manual import ManualRegistrar
    from integrations.registrar.terms import UpstreamPrices
    from worker.domains import domain_book

    from .conftest import make_app

    _hold(app, "byhand.nz", date(2027, 3, 1))
    manual = make_app(
        app.engine,
        app.settings,
        clock,
        accounting,
        ManualRegistrar(
            prices=UpstreamPrices(currency="NZD", renew={"nz": Decimal("1")}), book=domain_book(app.engine)
        ),
    )
    assert sync_registrar(manual)["manual"] == 1
    with app.engine.connect() as conn:
        row = conn.execute(select(domains)).one()
    assert (row.expires, row.status, row.synced_at) == (date(2027, 3, 1), "active", None)
