"""A contact whose Xero name carries its trading name ("Halloran Family Trust t/a Zephyr Kayak Hire") is known by
each of its names: a bank line from the trading name is that customer, at the strength of a name."""

from __future__ import annotations

from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.model import DecisionKind
from rules.policy import decide
from tests.rules.test_policy import bank, contact, order

ZEPHYR = contact("z1", "Halloran Family Trust t/a Zephyr Kayak Hire", "Liam", "Halloran", "liam@xtra.co.nz")
QUOKKA = contact("q1", "Ihimaera Family Trust trading as Quokka Quilting", "Hemi", "Ihimaera")
OTHER = contact("o1", "Kauri Cafe Ltd", "Mere", "Ngata")
BOOK = OrderBook(
    [
        order("O-1", "INV-0301", ZEPHYR, "zephyrkayaks.nz", "95.00"),
        order("O-2", "INV-0302", QUOKKA, "quokkaquilting.nz", "25.00"),
        order("O-3", "INV-0303", OTHER, "kauricafe.nz", "95.00"),
    ]
)


def test_a_payment_from_the_trading_name_is_that_customers() -> None:
    for payee, amount, expected in (("ZEPHYR KAYAK HIRE", "95.00", "O-1"), ("QUOKKA QUILTING", "25.00", "O-2")):
        decision = decide(bank(payee, amount=amount), BOOK, PaymentRecord(), MatchPolicy())
        assert (decision.kind, decision.orders) == (DecisionKind.AUTO, (expected,)), decision.reason


def test_the_legal_name_and_the_whole_name_still_fit() -> None:
    for payee in ("HALLORAN FAMILY TRUST T/A ZEPHYR KAYAK HIRE", "HALLORAN FAMILY TRUST"):
        decision = decide(bank(payee, amount="95.00"), BOOK, PaymentRecord(), MatchPolicy())
        assert (decision.kind, decision.orders) == (DecisionKind.AUTO, ("O-1",)), decision.reason


def test_a_trading_name_two_customers_share_is_never_acted_on() -> None:
    other_zephyr = contact("z2", "Zephyr Kayak Hire", "Ana", "Ruru")
    book = OrderBook([*BOOK.orders.values(), order("O-4", "INV-0304", other_zephyr, "zephyr.co.nz", "45.00")])
    decision = decide(bank("ZEPHYR KAYAK HIRE", amount="95.00"), book, PaymentRecord(), MatchPolicy())
    assert decision.kind is DecisionKind.REVIEW and decision.orders[:1] == ("O-1",), decision.reason
