"""Adapter behaviour beyond the port contract: reading invoices into orders, budget-spaced polls, calls in
flight, the write keys and the one-line token status."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from integrations.xero.adapter import poll_spacing, write_key
from integrations.xero.mapping import domain_in, orders_from_invoice, plan_in
from integrations.xero.sandbox import XeroSandbox
from rules.model import Contact, OrderKind
from tests.xero.contract import an_order
from tests.xero.sandbox_books import SandboxBooks, make_adapter

pytestmark = pytest.mark.xero

CODES = {"DOM-REG": "domain_registration", "DOM-REN": "domain_renewal", "HOST": "hosting"}
CONTACT = Contact(contact_id="c1", name="Kiri Williams", email="kiri@example.nz")


def _invoice(*lines: dict[str, object], amount_due: str = "55.00") -> dict[str, object]:
    return {
        "InvoiceID": "i1",
        "InvoiceNumber": "INV-0590",
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "CurrencyCode": "NZD",
        "AmountDue": amount_due,
        "Date": "/Date(1792540800000+0000)/",
        "DueDate": "/Date(1793750400000+0000)/",
        "LineItems": list(lines),
    }


def test_one_order_per_relevant_line_with_kind_domain_plan_and_term() -> None:
    """Known item codes make orders (ids INV, INV/2); unknown codes are not orders; amounts are line totals."""
    orders = orders_from_invoice(
        _invoice(
            {
                "Description": "Domain renewal - kiri.nz - 2 years",
                "ItemCode": "DOM-REN",
                "Quantity": 1,
                "LineAmount": "30.00",
                "TaxAmount": "0",
            },
            {"Description": "Web hosting - Premium plan - kiri.nz", "ItemCode": "HOST", "LineAmount": "25.00"},
            {"Description": "Coffee", "ItemCode": "MISC", "LineAmount": "5.00"},
        ),
        CONTACT,
        CODES,
    )
    assert [(o.order_id, o.kind, o.domain, o.amount_due.amount, o.plan, o.term_years) for o in orders] == [
        ("INV-0590", OrderKind.DOMAIN_RENEWAL, "kiri.nz", Decimal("30.00"), "", 2),
        ("INV-0590/2", OrderKind.HOSTING, "kiri.nz", Decimal("25.00"), "Premium", 1),
    ]


def test_a_single_order_owes_the_invoice_amount_due() -> None:
    """Part-paid one-line invoice: the order owes what is still due, not the line total."""
    (order,) = orders_from_invoice(
        _invoice(
            {"Description": "Domain registration - a-b.co.nz", "ItemCode": "DOM-REG", "LineAmount": "30.00"},
            amount_due="10.00",
        ),
        CONTACT,
        CODES,
    )
    assert order.amount_due.amount == Decimal("10.00") and order.domain == "a-b.co.nz"
    assert str(order.due) == "2026-11-04"


def test_domain_and_plan_reading() -> None:
    """E-mail domains are not taken for the domain; plan names are read from 'X plan'."""
    assert domain_in("renew for ann@mail.com: shop.example.org") == "shop.example.org"
    assert domain_in("no domain here") == ""
    assert plan_in("Web hosting - Business Plus plan - x.nz") == "Business Plus"


def test_polls_are_spaced_by_the_daily_budget() -> None:
    """A smaller budget or a low remaining count spaces polls further apart."""
    assert poll_spacing("invoices", 1000, None) == timedelta(seconds=216)
    assert poll_spacing("invoices", 5000, None) < poll_spacing("invoices", 1000, None)
    assert poll_spacing("invoices", 1000, 100) == 4 * poll_spacing("invoices", 1000, None)
    assert poll_spacing("bank", 1000, None) > poll_spacing("invoices", 1000, None)


def test_a_poll_that_is_not_due_costs_nothing() -> None:
    """Right after a poll, the next one is skipped (watermark unchanged) until the spacing has passed."""
    with XeroSandbox() as sb:
        books = SandboxBooks(sb)
        books.seed_order(an_order(1))
        first = books.adapter.open_orders(since=None)
        before = sb.count()
        again = books.adapter.open_orders(since=first.watermark)
        assert sb.count() == before and again.watermark == first.watermark and again.orders == ()


def test_no_more_than_two_calls_in_flight() -> None:
    """Six threads calling at once against a slow sandbox: Xero never sees more than two at a time."""
    with XeroSandbox() as sb:
        adapter = make_adapter(sb, space_polls=False)
        adapter.payments(since=None)  # token and connection ready
        sb.slow_next(0.2, method="GET", times=6)
        threads = [threading.Thread(target=adapter.payments, kwargs={"since": None}) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sb.max_in_flight <= 2
        assert sb.count() == 7


def test_write_keys_are_the_business_key_or_its_digest() -> None:
    """Keys up to 128 characters are sent as they are; longer ones as a stable digest."""
    assert write_key("pay-r1") == "pay-r1"
    long = "x" * 200
    assert write_key(long) == write_key(long) and len(write_key(long)) <= 128


def test_bank_feed_follows_the_token_scope() -> None:
    """Without the Finance scope the adapter reads RECEIVE bank transactions instead of statement lines."""
    with XeroSandbox(scopes=("accounting.invoices", "accounting.payments", "accounting.banktransactions.read")) as sb:
        sb.books.add_bank_transaction(
            {"Type": "RECEIVE", "Total": "45.00", "Reference": "INV-0001", "Contact": {"Name": "Brown Yoga"}}
        )
        adapter = make_adapter(sb)
        assert adapter.bank_feed() == "bank_transactions"
        page = adapter.bank_lines(since=None)
        assert [(r.money.amount, r.payer_name) for r in page.receipts] == [(Decimal("45.00"), "Brown Yoga")]
        assert sb.violations == []


def test_a_page_the_caller_lost_is_delivered_again() -> None:
    """The overlap de-duplication holds back only what the caller's watermark covers: polling again from the old
    watermark (the page was never stored) returns the same changes; from the new one, nothing."""
    with XeroSandbox() as sb:
        books = SandboxBooks(sb)
        books.seed_order(an_order(1))
        books.seed_order(an_order(2))
        adapter = make_adapter(sb, space_polls=False)
        first = adapter.open_orders(since=None)
        sb.books.set_invoice_status(an_order(1).invoice_id, "VOIDED")
        lost = adapter.open_orders(since=first.watermark)
        assert lost.closed_invoice_ids == (an_order(1).invoice_id,)
        again = adapter.open_orders(since=first.watermark)
        assert again.closed_invoice_ids == (an_order(1).invoice_id,)
        assert adapter.open_orders(since=again.watermark).closed_invoice_ids == ()
