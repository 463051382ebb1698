"""A Xero payment says itself which invoice it paid: that invoice's orders, or none. Its payer's name, its amount
and its Reference never move it onto another order (a payment on an invoice that is no pending order is ignored,
even when the same customer owes exactly that amount on an order)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.model import DecisionKind, Receipt
from rules.policy import decide
from tests.rules.test_policy import MURPHY, contact, order, payment

KAIKOURA = contact("k1", "Kaikoura Dental", "Ana", "Ruru", "ana@kaikouradental.nz")
BOOK = OrderBook(
    [
        order("O-1", "INV-1407", KAIKOURA, "kaikouradental.nz", "250.00"),
        order("O-2", "INV-1408", MURPHY, "emmamurphy.nz", "35.00"),
    ]
)


def decide_one(receipt: Receipt) -> tuple[DecisionKind, tuple[str, ...], str]:
    decision = decide(receipt, BOOK, PaymentRecord(), MatchPolicy())
    return decision.kind, decision.orders, decision.reason


@pytest.mark.parametrize(
    ("payer", "reference"),
    [
        ("Kaikoura Dental", "PayPal"),  # the customer's exact name, the amount of its only open order
        ("Kaikoura Dental", "8TX41736GL2255821"),  # a gateway transaction id as the Reference
        ("", "INV-1407"),  # the Reference names the order's invoice, but Xero applied it to INV-0951
        ("Emma Murphy", "kaikouradental.nz"),  # a domain of an open order in the Reference
    ],
)
def test_a_payment_on_an_invoice_that_is_no_order_is_ignored(payer: str, reference: str) -> None:
    on_other_invoice = replace(
        payment("INV-0951", "250.00"),
        payer_name=payer,
        text=(("reference", reference),),
    )
    kind, orders, reason = decide_one(on_other_invoice)
    assert (kind, orders) == (DecisionKind.IGNORE, ()), reason
    assert "INV-0951" in reason and "no pending order" in reason


def test_a_payment_on_no_invoice_is_ignored_whatever_its_payer() -> None:
    prepayment = replace(payment("", "35.00"), invoice_id="", payer_name="Emma Murphy")
    kind, orders, reason = decide_one(prepayment)
    assert (kind, orders) == (DecisionKind.IGNORE, ()), reason


def test_a_payment_on_the_orders_own_invoice_still_acts() -> None:
    on_the_order = replace(payment("INV-1407", "250.00"), payer_name="Kaikoura Dental")
    kind, orders, reason = decide_one(on_the_order)
    assert (kind, orders) == (DecisionKind.AUTO, ("O-1",)), reason
