"""The order book's indexes and the platform record: look-ups by key, never a scan of every order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.matching import MatchPolicy, OrderBook, PaymentRecord, gather_evidence
from rules.model import Receipt, ReceiptSource
from rules.money import Money
from rules.references import squash
from tests.rules.test_policy import ORDERS, bank, payment

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_indexes_find_orders_by_key() -> None:
    """Invoice digits, domains, contacts and amounts each lead straight to their orders."""
    book = OrderBook(ORDERS)
    assert book.orders_with_key("42") == ["ORD-1"]
    assert book.by_domain["kellycatering.com"] == ["ORD-2"]
    assert sorted(book.by_contact["c2"]) == ["ORD-2", "ORD-3"]
    assert book.domain_prefix("napiercleani") == {"ORD-8", "ORD-9"}
    assert book.domain_prefix("kellycateringnz") == {"ORD-3"}
    assert book.prefixes == {"inv"}


def test_orders_added_later_are_found_too() -> None:
    """An order added after the book was built is indexed like the others."""
    book = OrderBook(ORDERS[1:])
    assert book.orders_with_key("42") == []
    book.add(ORDERS[0])
    book.add(ORDERS[0])  # twice changes nothing
    assert book.orders_with_key("42") == ["ORD-1"]
    assert book.domain_prefix("emmamurphyart") == {"ORD-1"}


def test_each_domain_is_indexed_squashed_whether_built_in_or_added_later() -> None:
    """A domain written without its dots ("kellycateringconz") finds its orders, whole and as a prefix, in a book
    built with the order and in one the order was added to."""
    with_domain = [o for o in ORDERS if o.domain]
    assert with_domain
    for book in (OrderBook(ORDERS), _added_one_by_one()):
        for order in with_domain:
            squashed = squash(order.domain.lower())
            assert order.order_id in book.by_squashed_domain[squashed]
            assert order.order_id in book.domain_prefix(squashed)
            assert order.order_id in book.domain_prefix(squashed[:8])


def _added_one_by_one() -> OrderBook:
    book = OrderBook(())
    for order in ORDERS:
        book.add(order)
    return book


def test_settled_orders_close_and_remember_who_paid() -> None:
    """Settling closes an order for good; the first receipt stays the one that paid it."""
    book = OrderBook(ORDERS)
    book.settle(["ORD-1"], "r1")
    book.settle(["ORD-1"], "r2")
    assert not book.is_open("ORD-1") and book.paid_by["ORD-1"] == "r1"
    assert book.open_orders(["ORD-1", "ORD-2"]) == ["ORD-2"]


def test_total_refuses_mixed_currencies() -> None:
    """Orders in different currencies have no total."""
    from dataclasses import replace

    aud = replace(ORDERS[1], order_id="ORD-A", amount_due=Money.of("10", "AUD"))
    book = OrderBook([ORDERS[0], aud])
    assert book.total(["ORD-1", "ORD-A"]) is None
    assert book.total(["ORD-1"]) == Money.of("35.00", "NZD")


def test_platform_record_confirms_within_the_window_only() -> None:
    """The same invoice and amount within the window confirm; anything else does not."""
    record = PaymentRecord([payment("INV-0042", "35.00", at=T0)])
    day = timedelta(days=1)
    assert record.confirming("inv-0042", Money.of("35", "NZD"), T0 + timedelta(hours=23), day) is not None
    assert record.confirming("INV-0042", Money.of("35", "NZD"), T0 + timedelta(hours=25), day) is None
    assert record.confirming("INV-0042", Money.of("36", "NZD"), T0, day) is None
    deleted = PaymentRecord([payment("INV-0042", "35.00", at=T0, flags=("deleted",))])
    assert deleted.confirming("INV-0042", Money.of("35", "NZD"), T0, day) is None


def test_evidence_names_where_it_was_found() -> None:
    """Evidence says which field held the reference, so the reason can name it."""
    ev = gather_evidence(bank("E MURPHY", "PAYMENT", "INV-0042"), OrderBook(ORDERS), MatchPolicy())
    assert ev.invoice_refs == {"ORD-1": "'INV-0042' in notes = INV-0042"}


def test_bank_field_length_decides_whether_a_word_may_be_cut_short() -> None:
    """Only a word exactly as long as the bank's field may be cut short; any other whole name is taken as whole."""
    book = OrderBook(ORDERS)
    short = Receipt(
        receipt_id="x",
        source=ReceiptSource.BANK_LINE,
        received_at=T0,
        money=Money.of("30", "NZD"),
        text=(("reference", "KELLYCATERING"),),
    )
    ev = gather_evidence(short, book, MatchPolicy(bank_field_length=20))
    assert ev.domain_words == [("kellycatering", ("ORD-2",))]
    ev = gather_evidence(short, book, MatchPolicy(bank_field_length=13))
    assert ev.domain_words == [("kellycatering", ("ORD-2", "ORD-3"))]
