"""The approval rules as pure values: exact by default, refusals with the difference and the options, part
payments, a home amount for a foreign receipt, overpayments kept as credit, and what each plan says it does."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rules.model import OrderKind, Receipt, ReceiptSource
from rules.money import Money
from rules.settlement import Outcome, OwedOrder, Refusal, Settlement, Terms, settle
from rules.words import day_words, money_words, order_words

WHEN = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def receipt(amount: str, currency: str = "NZD", **kw: object) -> Receipt:
    base = Receipt(
        receipt_id="bank:line-1",
        source=ReceiptSource.BANK_LINE,
        received_at=WHEN,
        money=Money.of(amount, currency),
        payer_name="OLIVER FALEOLO",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def owed(
    order_id: str,
    amount: str,
    *,
    currency: str = "NZD",
    kind: OrderKind = OrderKind.DOMAIN_RENEWAL,
    invoice: str | None = None,
    domain: str = "olivercafe.nz",
    status: str = "open",
) -> OwedOrder:
    number = invoice or order_id
    return OwedOrder(
        order_id=order_id,
        kind=kind,
        invoice_id=f"id-{number}",
        invoice_number=number,
        customer="Oliver Faleolo",
        owed=Money.of(amount, currency),
        domain=domain,
        status=status,
    )


def plan(r: Receipt, orders: list[OwedOrder], terms: Terms | None = None) -> Settlement | Refusal:
    return settle(r, orders, terms or Terms(), home_currency="NZD", account_code="090")


def test_exact_settlement_records_the_amount_and_queues_the_effect() -> None:
    result = plan(receipt("35.00"), [owed("INV-0703", "35.00")])
    assert isinstance(result, Settlement)
    assert result.outcome is Outcome.EXACT
    [payment] = result.payments
    assert (payment.invoice_number, payment.amount, payment.account_code) == ("INV-0703", Money.of("35", "NZD"), "090")
    assert payment.paid_on == date(2026, 11, 1) and payment.reference == "bank:line-1"
    assert [o.order_id for o in result.paid_in_full] == ["INV-0703"] and result.credit is None
    assert result.lines() == [
        "Record a payment in Xero on INV-0703 (Oliver Faleolo): NZ$35.00 into account 090, dated 1 Nov 2026, "
        "reference bank:line-1, paying it in full.",
        "Then: renew olivercafe.nz for 1 year at the registrar.",
    ]


def test_short_receipt_is_refused_with_the_difference_and_the_part_option() -> None:
    result = plan(receipt("27.00"), [owed("INV-0703", "35.00")])
    assert isinstance(result, Refusal)
    assert result.difference == Money.of("8.00", "NZD")
    assert "NZ$8.00 short" in result.reason and "owed NZ$35.00" in result.reason
    assert [o.flags for o in result.options] == ["--part"]
    assert "the renewal waits until the NZ$8.00 left is paid" in result.options[0].says


def test_part_payment_records_what_came_and_the_effect_waits() -> None:
    result = plan(receipt("27.00"), [owed("INV-0703", "35.00")], Terms(part=True))
    assert isinstance(result, Settlement) and result.outcome is Outcome.PART
    assert result.paid_in_full == ()
    [part] = result.part_paid
    assert (part.applied, part.left) == (Money.of("27.00", "NZD"), Money.of("8.00", "NZD"))
    assert result.payments[0].amount == Money.of("27.00", "NZD")
    assert result.lines()[1] == (
        "The renewal of olivercafe.nz waits until INV-0703 is paid in full (NZ$8.00 to go); it is listed as "
        "part-paid until then."
    )


def test_part_payment_over_several_orders_fills_them_in_the_order_named() -> None:
    """The first orders are paid in full and act; the last one named gets the rest and waits; an order the money
    does not reach is refused rather than recorded at nothing."""
    a, b = owed("INV-1", "20.00", domain="a.nz"), owed("INV-2", "30.00", domain="b.nz")
    result = plan(receipt("35.00"), [a, b], Terms(part=True))
    assert isinstance(result, Settlement)
    assert [o.order_id for o in result.paid_in_full] == ["INV-1"]
    assert [(p.invoice_number, p.amount.amount) for p in result.payments] == [
        ("INV-1", Decimal("20.00")),
        ("INV-2", Decimal("15.00")),
    ]
    c = owed("INV-3", "5.00", domain="c.nz")
    refused = plan(receipt("20.00"), [a, b, c], Terms(part=True))
    assert isinstance(refused, Refusal) and "does not reach INV-2" in refused.reason


def test_two_orders_on_one_invoice_are_one_payment() -> None:
    one = owed("INV-7", "20.00", domain="a.nz")
    two = replace(
        owed("INV-7/2", "15.00", domain="b.nz", kind=OrderKind.DOMAIN_REGISTRATION),
        invoice_id="id-INV-7",
        invoice_number="INV-7",
    )
    result = plan(receipt("35.00"), [one, two])
    assert isinstance(result, Settlement)
    [payment] = result.payments
    assert payment.order_ids == ("INV-7", "INV-7/2") and payment.amount == Money.of("35.00", "NZD")


def test_foreign_receipt_needs_the_home_amount_and_records_it_in_the_invoice_currency() -> None:
    """30 AUD on an NZD invoice is never recorded as 30 NZD: refused without --home-amount; with it, the NZD that
    arrived is recorded and the implied rate shown; then the exact and part rules apply to that amount."""
    order = owed("INV-0809", "35.00")
    refused = plan(receipt("30.00", "AUD"), [order])
    assert isinstance(refused, Refusal)
    assert "A$30.00" in refused.reason and [o.flags for o in refused.options] == ["--home-amount AMOUNT"]

    result = plan(receipt("30.00", "AUD"), [order], Terms(home_amount=Decimal("35.00")))
    assert isinstance(result, Settlement) and result.outcome is Outcome.EXACT
    assert result.payments[0].amount == Money.of("35.00", "NZD")
    assert result.rate == Decimal("35.00") / Decimal("30.00")
    assert result.lines()[0] == "A$30.00 arrived as NZ$35.00 (rate 1.1667 NZD per AUD)."

    short = plan(receipt("30.00", "AUD"), [order], Terms(home_amount=Decimal("33.10")))
    assert isinstance(short, Refusal) and short.difference == Money.of("1.90", "NZD")
    assert short.reason.startswith("A$30.00 arrived as NZ$33.10; NZ$33.10 does not settle")
    assert [o.flags for o in short.options] == ["--part"]


def test_home_amount_is_refused_where_it_does_not_belong() -> None:
    same = plan(receipt("35.00"), [owed("INV-1", "35.00")], Terms(home_amount=Decimal("35")))
    assert isinstance(same, Refusal) and "another currency" in same.reason
    foreign_invoice = plan(receipt("35.00"), [owed("INV-1", "30.00", currency="AUD")], Terms(home_amount=Decimal("1")))
    assert isinstance(foreign_invoice, Refusal) and "by hand" in foreign_invoice.reason
    negative = plan(receipt("30.00", "AUD"), [owed("INV-1", "35.00")], Terms(home_amount=Decimal("-35")))
    assert isinstance(negative, Refusal) and "positive" in negative.reason


def test_overpaid_is_refused_by_default_and_the_extra_is_kept_as_credit_when_allowed() -> None:
    order = owed("INV-0651", "35.00")
    refused = plan(receipt("135.00"), [order])
    assert isinstance(refused, Refusal) and refused.difference == Money.of("100.00", "NZD")
    assert [o.flags for o in refused.options] == ["--overpaid"]
    result = plan(receipt("135.00"), [order], Terms(overpaid=True))
    assert isinstance(result, Settlement) and result.outcome is Outcome.OVERPAID
    assert result.payments[0].amount == Money.of("35.00", "NZD")  # never more than owed: Xero refuses that
    assert result.credit == Money.of("100.00", "NZD")
    assert "Keep NZ$100.00 over what was owed as a credit" in result.lines()[-1]


@pytest.mark.parametrize("status", ["paid", "done", "closed"])
def test_only_open_orders_can_be_paid(status: str) -> None:
    result = plan(receipt("35.00"), [replace(owed("INV-1", "35.00"), status=status, paid_by="bank:other")])
    assert isinstance(result, Refusal) and f"is {status} (by bank:other)" in result.reason


def test_a_part_paid_order_is_settled_by_what_it_still_owes() -> None:
    result = plan(receipt("8.00"), [owed("INV-0703", "8.00", status="part_paid")])
    assert isinstance(result, Settlement) and result.outcome is Outcome.EXACT
    assert [o.order_id for o in result.paid_in_full] == ["INV-0703"]


def test_refusals_for_nonsense() -> None:
    assert isinstance(plan(receipt("35.00"), []), Refusal)
    twice = plan(receipt("70.00"), [owed("INV-1", "35.00"), owed("INV-1", "35.00")])
    assert isinstance(twice, Refusal) and "more than once" in twice.reason
    mixed = plan(receipt("70.00"), [owed("INV-1", "35.00"), owed("INV-2", "35.00", currency="AUD")])
    assert isinstance(mixed, Refusal) and "different currencies" in mixed.reason
    nothing = plan(receipt("0.00"), [owed("INV-1", "35.00")])
    assert isinstance(nothing, Refusal) and "pays nothing" in nothing.reason


def test_a_xero_payment_is_never_recorded_again_and_pays_only_its_invoice() -> None:
    paid = receipt("27.00", source=ReceiptSource.XERO_PAYMENT, invoice_id="id-INV-0703", invoice_number="INV-0703")
    result = plan(paid, [owed("INV-0703", "35.00")], Terms(part=True))
    assert isinstance(result, Settlement) and result.payments[0].already_in_xero
    assert "nothing to record" in result.lines()[0]
    elsewhere = plan(paid, [owed("INV-0704", "27.00")])
    assert isinstance(elsewhere, Refusal) and "already on INV-0703" in elsewhere.reason


def test_words() -> None:
    assert money_words(Money.of("1234.5", "NZD")) == "NZ$1,234.50"
    assert money_words(Money.of("-5", "AUD")) == "-A$5.00"
    assert money_words(Money.of("12", "SEK")) == "12.00 SEK"
    assert day_words(date(2026, 11, 1)) == "1 Nov"
    assert day_words(date(2025, 11, 1), today=date(2026, 1, 2)) == "1 Nov 2025"
    assert order_words(OrderKind.HOSTING, "x.nz", "Business") == "hosting (Business plan) for x.nz"
    assert order_words(OrderKind.DOMAIN_REGISTRATION, "x.nz", years=2) == "registration of x.nz for 2 years"
