"""Finding 6 of issue 11: a payer whose name, initials or e-mail fit more than one customer never lead to
`auto`, whichever of them owes the amount; and a gateway transaction id that already stands as the Reference of a
Xero payment is that payment arriving again, not a new one."""

from __future__ import annotations

from dataclasses import replace

from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.model import DecisionKind, Receipt
from rules.policy import apply, decide
from tests.rules.test_policy import T0, bank, contact, notice, order, payment

MERE_CAFE = contact("k1", "Chen Cafe Ltd", "Mere", "Chen", "mere@chencafe.nz")
MERE_BAKERY = contact("k2", "Chen Bakery Matakana Limited", "Mere", "Chen", "mere.chen@gmail.com")
TUI_A = contact("k3", "Tui Holdings Limited", "Sam", "Reid")
TUI_B = contact("k4", "Tui Holdings Ltd", "Jo", "Parata")
LEO = contact("k5", "Tuhoe Plumbing Limited", "Leo", "Tuhoe")
LOSA = contact("k6", "Wanaka Law Ltd", "Losa", "Tuhoe")

ORDERS = [
    order("O-1", "INV-0101", MERE_CAFE, "chencafe.nz", "25.00"),
    order("O-2", "INV-0102", MERE_BAKERY, "chenbakery.co.nz", "129.00"),
    order("O-3", "INV-0103", TUI_A, "tuiholdings.nz", "45.00"),
    order("O-4", "INV-0104", TUI_B, "tuiholdings.co.nz", "95.00"),
    order("O-5", "INV-0105", LEO, "tuhoeplumbing.co.nz", "35.00"),
    order("O-6", "INV-0106", LOSA, "wanakalaw.nz", "30.00"),
]


def decide_one(receipt: Receipt, record: PaymentRecord | None = None) -> tuple[str, tuple[str, ...], str]:
    decision = decide(receipt, OrderBook(ORDERS), record or PaymentRecord(), MatchPolicy())
    return decision.kind.value, decision.orders, decision.reason


def test_a_person_name_two_customers_share_is_never_acted_on() -> None:
    """Only the cafe owes 25.00, but the bakery's Mere Chen may be the one paying: a person decides."""
    kind, orders, reason = decide_one(bank("MERE CHEN", amount="25.00"))
    assert kind == "review" and orders[:1] == ("O-1",)
    assert "2 customers fit the payer" in reason


def test_a_card_holder_name_two_customers_share_is_never_acted_on() -> None:
    kind, orders, _ = decide_one(notice("windcave", "25.00", payer="Mere Chen", txn="0000000abc123"))
    assert kind == "review" and "O-1" in orders


def test_a_company_name_two_customers_share_is_never_acted_on() -> None:
    kind, orders, _ = decide_one(bank("TUI HOLDINGS LTD", amount="45.00"))
    assert kind == "review" and orders[:1] == ("O-3",)


def test_the_payer_e_mail_still_identifies_one_of_two_namesakes() -> None:
    """An e-mail address is the customer's own: it tells the two Mere Chens apart."""
    kind, orders, _ = decide_one(notice("paypal", "25.00", payer="Mere Chen", email="mere@chencafe.nz"))
    assert (kind, orders) == ("auto", ("O-1",))


def test_a_reference_still_decides_between_namesakes() -> None:
    kind, orders, _ = decide_one(bank("MERE CHEN", reference="INV-0101", amount="25.00"))
    assert (kind, orders) == ("auto", ("O-1",))


def test_initials_that_fit_two_people_are_never_acted_on() -> None:
    """'TUHOE L' fits Leo and Losa Tuhoe alike: only Losa owes 30.00, but Leo may be paying early or for something
    not invoiced yet. A person decides, with Losa's order first."""
    kind, orders, reason = decide_one(bank("TUHOE L", notes="DOMAIN INV", amount="30.00"))
    assert kind == "review" and orders[:1] == ("O-6",)
    assert "2 customers fit the payer" in reason


def test_initials_of_one_person_holding_two_customers_are_never_acted_on() -> None:
    """Losa Tuhoe is the contact person of two customers (her firm and herself): 'L TUHOE' fits both, and the
    one that owes the amount need not be the one paying."""
    losa_herself = contact("k9", "Losa Tuhoe", "Losa", "Tuhoe", "losa@tuhoe.nz")
    book = OrderBook(
        [
            order("O-6", "INV-0106", LOSA, "wanakalaw.nz", "30.00"),
            order("O-9", "INV-0109", losa_herself, "losatuhoe.nz", "95.00"),
        ]
    )
    decision = decide(bank("L TUHOE", amount="30.00"), book, PaymentRecord(), MatchPolicy())
    assert decision.kind is DecisionKind.REVIEW, decision.reason
    assert decision.orders[:1] == ("O-6",)


def test_initials_that_fit_one_person_still_decide() -> None:
    """With one L Tuhoe among the customers, initials and surname with their only order for exactly this act."""
    book = OrderBook([order("O-6", "INV-0106", LOSA, "wanakalaw.nz", "30.00")])
    decision = decide(bank("TUHOE L", amount="30.00"), book, PaymentRecord(), MatchPolicy())
    assert (decision.kind, decision.orders) == (DecisionKind.AUTO, ("O-6",)), decision.reason


NAPIER = contact("k7", "Napier Cleaning", "Sam", "Hughes")
NAPIER_SERVICES = contact("k8", "Napier Cleaning Services Ltd", "Jo", "Reid")


def napier(owed: str, services_owe: str) -> OrderBook:
    return OrderBook(
        [
            order("N-1", "INV-0201", NAPIER, "napierclean.nz", owed),
            order("N-2", "INV-0202", NAPIER_SERVICES, "napierservices.nz", services_owe),
        ]
    )


def test_a_name_cut_short_that_starts_two_customers_names_is_never_acted_on() -> None:
    """The bank's 12 characters "NAPIER CLEANI" start both names: it fits both customers, whichever owes this."""
    for payee in ("NAPIER CLEANI", "NAPIERCLEANI"):
        for owed, other, first in (("45.00", "30.00", "N-1"), ("30.00", "45.00", "N-2")):
            decision = decide(bank(payee, amount="45.00"), napier(owed, other), PaymentRecord(), MatchPolicy())
            assert decision.kind is DecisionKind.REVIEW, decision.reason
            assert decision.orders[:1] == (first,) and set(decision.orders) == {"N-1", "N-2"}


def test_a_whole_name_that_starts_another_is_still_that_name_and_suggests_the_other() -> None:
    decision = decide(bank("NAPIER CLEANING", amount="45.00"), napier("45.00", "30.00"), PaymentRecord(), MatchPolicy())
    assert (decision.kind, decision.orders) == (DecisionKind.AUTO, ("N-1",))
    decision = decide(bank("NAPIER CLEANING", amount="45.00"), napier("30.00", "45.00"), PaymentRecord(), MatchPolicy())
    assert decision.kind is DecisionKind.REVIEW and "N-2" in decision.orders


def test_notice_whose_transaction_is_a_xero_payments_reference_is_a_repeat() -> None:
    """The accountant (or the worker itself) recorded this card payment in Xero with its transaction id as the
    Reference: the notice is the same payment arriving again."""
    recorded = replace(payment("INV-0999", "25.00", rid="xp-1"), text=(("reference", "PayPal 5K8E9XGPXHCUGPDRK"),))
    kind, _, reason = decide_one(
        notice("paypal", "25.00", "INV-0101", txn="5K8E9XGPXHCUGPDRK", payer="Mere Chen"), PaymentRecord([recorded])
    )
    assert kind == "ignore" and "xp-1" in reason


def test_a_short_word_in_a_reference_is_no_transaction() -> None:
    recorded = replace(payment("INV-0999", "25.00", rid="xp-1"), text=(("reference", "Stripe"),))
    kind, _, _ = decide_one(notice("stripe", "25.00", "INV-0101", txn="Stripe"), PaymentRecord([recorded]))
    assert kind == "auto"


def test_xero_payment_whose_reference_is_an_acted_notice_is_a_repeat() -> None:
    book = OrderBook(ORDERS)
    policy = MatchPolicy()
    card = notice("paypal", "25.00", "INV-0101", txn="5K8E9XGPXHCUGPDRK", rid="msg-1")
    first = decide(card, book, PaymentRecord(), policy)
    assert first.kind is DecisionKind.AUTO
    apply(book, card, first)
    recorded = replace(payment("INV-0104", "25.00", rid="xp-2", at=T0), text=(("reference", "5K8E9XGPXHCUGPDRK"),))
    again = decide(recorded, book, PaymentRecord([recorded]), policy)
    assert again.kind is DecisionKind.IGNORE and "msg-1" in again.reason
