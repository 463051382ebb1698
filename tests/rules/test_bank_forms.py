"""How NZ banks write payers and references into Xero's feed (issue 11), as data in rules/patterns.toml: payees
"PAYMENT FROM <name>", a blank payee with "DIRECT CREDIT FROM <name>" in the narrative, Particulars / Code /
Reference packed as 12-character columns in one field, a payee spelling a customer's domain without its dots,
several invoices in one reference, and card payers writing from the customer's own domain."""

from __future__ import annotations

import pytest

from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.policy import decide
from rules.references import bank_columns, builtin_patterns, find_invoice_refs, payer_after_prefix
from rules.sources import statement_line_receipt
from tests.rules.test_policy import contact, notice, order

KAURI = contact("k1", "Kauri Cafe Ltd", "Mere", "Ngata", "mere.ngata@gmail.com")
TASMAN = contact("k2", "Tasman Joinery", "Hemi", "Rewi")
ORDERS = [
    order("O-1", "INV-1085", KAURI, "kauricafe.co.nz", "45.00"),
    order("O-2", "INV-1088", KAURI, "kauricafe2.nz", "30.00"),
    order("O-3", "INV-1090", KAURI, "kauricafe3.com", "25.00"),
    order("O-4", "INV-1058", TASMAN, "tasmanjoinery.nz", "45.00"),
]


def line(payee: str, reference: str = "", notes: str = "", amount: float = 45.0) -> dict[str, object]:
    return {
        "statementLineId": "l1",
        "postedDate": "2026-11-10",
        "payee": payee,
        "reference": reference,
        "notes": notes,
        "amount": amount,
        "type": "CREDIT",
    }


def decide_line(data: dict[str, object]) -> tuple[str, tuple[str, ...], str]:
    receipt = statement_line_receipt(data, currency="NZD")
    decision = decide(receipt, OrderBook(ORDERS), PaymentRecord(), MatchPolicy())
    return decision.kind.value, decision.orders, decision.reason


@pytest.mark.parametrize(
    ("payee", "name"),
    [
        ("PAYMENT FROM KAURI CAFE LTD", "KAURI CAFE LTD"),
        ("Direct Credit From  M NGATA", "M NGATA"),
        ("TFR FROM TASMAN JOINERY", "TASMAN JOINERY"),
        ("KAURI CAFE LTD", ""),
    ],
)
def test_payer_after_a_banks_prefix(payee: str, name: str) -> None:
    assert payer_after_prefix(payee, builtin_patterns()) == name


def test_payee_prefix_and_blank_payee_narrative_name_the_payer() -> None:
    receipt = statement_line_receipt(line("PAYMENT FROM KAURI CAFE LTD"), currency="NZD")
    assert receipt.payer_name == "KAURI CAFE LTD" and ("payee", "PAYMENT FROM KAURI CAFE LTD") in receipt.text
    blank = statement_line_receipt(line("", notes="DIRECT CREDIT FROM TASMAN JOINERY"), currency="NZD")
    assert blank.payer_name == "TASMAN JOINERY"
    assert decide_line(line("PAYMENT FROM KAURI CAFE LTD", amount=45.0))[:2] == ("auto", ("O-1",))


@pytest.mark.parametrize(
    ("field", "columns"),
    [
        ("KAURICAFE   DOMAIN      INV1085", ["KAURICAFE", "DOMAIN", "INV1085"]),
        ("TASMANJOINERINV1058", ["TASMANJOINER", "INV1058"]),
        ("Payment for INV-1085 thanks", []),  # free text: no padding, no word cut at a column's edge
        ("INV1085", []),
    ],
)
def test_packed_columns(field: str, columns: list[str]) -> None:
    assert bank_columns(field, 12) == columns


def test_a_full_column_glued_to_the_next_still_gives_the_invoice() -> None:
    kind, orders, _ = decide_line(line("M NGATA", reference="KAURICAFECONINV1085"))
    assert (kind, orders) == ("auto", ("O-1",))


def test_a_payee_spelling_the_customers_domain_without_dots() -> None:
    kind, orders, reason = decide_line(line("KAURICAFECONZ"))
    assert (kind, orders) == ("auto", ("O-1",)), reason


@pytest.mark.parametrize(
    "reference",
    ["INV1085/1088", "1085 & 1088", "1085+1088", "INV 1085, 1088", "1085,1088", "INV-1085/INV-1088", "#1085 & #1088"],
)
def test_several_invoices_in_one_reference(reference: str) -> None:
    kind, orders, reason = decide_line(line("KAURI CAFE", reference=reference, amount=75.0))
    assert (kind, set(orders)) == ("auto", {"O-1", "O-2"}), reason


def test_three_invoices_listed_with_and() -> None:
    refs = {r.key for r in find_invoice_refs("INV1085, 1088 and 1090", builtin_patterns(), {"inv"})}
    assert refs == {"1085", "1088", "1090"}
    kind, orders, _ = decide_line(line("KAURI CAFE", reference="INV1085, 1088 and 1090", amount=100.0))
    assert (kind, set(orders)) == ("auto", {"O-1", "O-2", "O-3"})


@pytest.mark.parametrize("reference", ["1085/1088/1090", "1085, 1088 & 1090", "1085+1088+1090", "INV1085 1088 1090"])
def test_three_invoices_in_other_forms(reference: str) -> None:
    kind, orders, reason = decide_line(line("J SMITH", reference=reference, amount=100.0))
    assert (kind, set(orders)) == ("auto", {"O-1", "O-2", "O-3"}), reason


@pytest.mark.parametrize("text", ["10/11/2026", "1,085,000", "1085,10", "123,456"])
def test_dates_and_amounts_are_no_list_of_invoices(text: str) -> None:
    refs = {r.key for r in find_invoice_refs(text, builtin_patterns(), {"inv"})}
    assert not refs & {"1085", "1088", "10", "11", "2026", "123", "456"}, refs


def test_transposed_digits_on_another_customers_invoice_are_only_suggested() -> None:
    """INV1058 is Tasman's, for the same amount; the payer is Kauri Cafe's owner, whose INV-1085 it is."""
    kind, orders, _ = decide_line(line("MERE NGATA", reference="INV1058"))
    assert kind == "review" and "O-1" in orders


def test_a_card_payer_at_the_customers_own_domain() -> None:
    receipt = notice("stripe", "45.00", email="accounts@kauricafe.co.nz", txn="pi_1")
    decision = decide(receipt, OrderBook(ORDERS), PaymentRecord(), MatchPolicy())
    assert (decision.kind.value, decision.orders) == ("auto", ("O-1",)), decision.reason
    public = notice("stripe", "45.00", email="someone@gmail.com", txn="pi_2")
    assert decide(public, OrderBook(ORDERS), PaymentRecord(), MatchPolicy()).kind.value == "review"


@pytest.mark.parametrize(
    ("payee", "reference", "notes"),
    [
        ("", "", "DIRECT CREDIT FROM M NGATA INV1058"),  # the payer named in the narrative, before the reference
        ("PAYMENT FROM KAURI CAFE", "INV1058", ""),
        ("KAURICAFECONZ", "INV1058", ""),  # the payee spells Kauri Cafe's domain: the payer is Kauri Cafe
        ("M NGATA T/A KAURI CAFE", "1058", ""),
    ],
)
def test_transposed_digits_are_suggested_whatever_form_names_the_payer(payee: str, reference: str, notes: str) -> None:
    kind, orders, reason = decide_line(line(payee, reference=reference, notes=notes))
    assert kind == "review" and "O-1" in orders, reason


def test_the_narratives_payer_ends_before_the_reference() -> None:
    assert payer_after_prefix("DIRECT CREDIT FROM M NGATA INV1058", builtin_patterns()) == "M NGATA"
    assert payer_after_prefix("PAYMENT FROM KAURI CAFE INV 1085", builtin_patterns()) == "KAURI CAFE"
    assert payer_after_prefix("PAYMENT FROM 3 KINGS CAFE", builtin_patterns()) == "3 KINGS CAFE"


@pytest.mark.parametrize("payee", ["M NGATA T/A KAURI CAFE", "Mere Ngata trading as Kauri Cafe", "WWW KAURICAFE CO NZ"])
def test_trading_names_and_a_written_web_address_name_the_customer(payee: str) -> None:
    kind, orders, reason = decide_line(line(payee))
    assert (kind, orders) == ("auto", ("O-1",)), reason


@pytest.mark.parametrize("payer", ["NGATA FAMILY TRUST", "NGATA HOLDINGS LTD", "THE NGATA FAMILY TRUST"])
def test_a_trust_or_holding_company_without_a_reference_is_suggested_never_acted_on(payer: str) -> None:
    kind, orders, _ = decide_line(line(payer))
    assert kind == "review" and orders[:1] == ("O-1",)
    kind, orders, _ = decide_line(line(payer, reference="INV-1085"))
    assert (kind, orders) == ("auto", ("O-1",))
