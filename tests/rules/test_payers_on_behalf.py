"""Family trusts and holding companies paying on a customer's behalf (issue 11), in bank lines (Xero's
BankStatementsPlus shape) and card notices. A trust is the family: its words are taken off and the name left is read
at the strength it has on its own, so initials with the family name act as `J & K SMITH` would and the family name
alone is only suggested. A holding company is only ever suggested. A reference decides first; a name shared by two
customers never acts; the reason a reseller reads says the trust or holding-company reading."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from config.settings import load_settings
from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.model import Contact, Decision, Order, Receipt
from rules.payers import HOLDING, TRUST, ContactIndex, PayerLevel, payer_form
from rules.payment_references import damm_interim
from rules.policy import decide
from rules.references import builtin_patterns
from rules.sources import statement_line_receipt
from tests.rules.test_policy import contact, notice, order
from worker.jobs.match import match_policy

P = builtin_patterns()

WHITLOCK = contact("w1", "Whitlock Joinery Ltd", "Jonah", "Whitlock", "jonah@whitlockjoinery.nz")
MATAI = contact("m1", "Matai Plumbing Ltd", "Rawiri", "Tane")
TRUST_ELECTRICAL = contact("t1", "Trust Electrical Ltd", "Hana", "Perez")
KOWHAI_HOLDINGS = contact("h1", "Kowhai Holdings Ltd", "Sione", "Latu")
KOWHAI_CAFE = contact("h2", "Kowhai Cafe", "Ana", "Fifita")
BRENNAN = contact("b1", "Brennan Landscapes", "Kate", "Brennan")

BODY = "1000217"
BRENNAN_REFERENCE = BODY + str(damm_interim(BODY))  # a payment reference the worker issued, check digit and all

ORDERS = [
    order("W-1", "INV-2201", WHITLOCK, "whitlockjoinery.nz", "120.00"),
    order("W-2", "INV-2202", WHITLOCK, "whitlockjoinery.co.nz", "35.00"),
    order("M-1", "INV-2210", MATAI, "mataiplumbing.nz", "89.00"),
    order("T-1", "INV-2220", TRUST_ELECTRICAL, "trustelectrical.nz", "150.00"),
    order("H-1", "INV-2230", KOWHAI_HOLDINGS, "kowhaiholdings.nz", "60.00"),
    order("H-2", "INV-2231", KOWHAI_CAFE, "kowhaicafe.nz", "60.00"),
    replace(order("B-1", "INV-2240", BRENNAN, "brennanlandscapes.nz", "75.00"), payment_reference=BRENNAN_REFERENCE),
]


def line(payee: str, amount: float, reference: str = "", notes: str = "") -> dict[str, object]:
    """A credit in Xero's BankStatementsPlus statement-line shape."""
    return {
        "statementLineId": "sl-trust-1",
        "postedDate": "2026-11-12",
        "transactionDate": "2026-11-12",
        "payee": payee,
        "reference": reference,
        "notes": notes,
        "chequeNo": "",
        "amount": amount,
        "type": "CREDIT",
        "isReconciled": False,
        "isDuplicate": False,
        "isDeleted": False,
    }


def decide_on(receipt: Receipt, orders: list[Order] = ORDERS) -> Decision:
    return decide(receipt, OrderBook(orders), PaymentRecord(), MatchPolicy())


def decide_line(data: dict[str, object], orders: list[Order] = ORDERS) -> Decision:
    return decide_on(statement_line_receipt(data, currency="NZD"), orders)


# ---- reading the forms ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payer", "kind", "family"),
    [
        ("WHITLOCK FAMILY TRUST", TRUST, "WHITLOCK"),
        ("THE WHITLOCK FAMILY TRUST", TRUST, "WHITLOCK"),
        ("J & K WHITLOCK FAMILY TRUST", TRUST, "J & K WHITLOCK"),
        ("JK WHITLOCK TRUST", TRUST, "JK WHITLOCK"),
        ("WHITLOCK TRUST", TRUST, "WHITLOCK"),
        ("J WHITLOCK TRUSTEE(S)", TRUST, "J WHITLOCK"),
        ("J WHITLOCK TRUSTEES", TRUST, "J WHITLOCK"),
        ("TRUSTEES OF THE WHITLOCK FAMILY TRUST", TRUST, "WHITLOCK"),
        ("The Trustees of the Whitlock Family Trust", TRUST, "Whitlock"),
        ("WHITLOCK FAMILY TST", TRUST, "WHITLOCK"),
        ("WHITLOCK FAMILY TRST", TRUST, "WHITLOCK"),
        ("WHITLOCK FAM TRUST", TRUST, "WHITLOCK"),
        ("WHITLOCK J & K TTEES", TRUST, "WHITLOCK J & K"),
        # cut short by the bank's payee field
        ("J & K WHITLOCK FAMIL", TRUST, "J & K WHITLOCK"),
        ("THE WHITLOCK FAMILY T", TRUST, "WHITLOCK"),
        ("WHITLOCK FAMILY TRU", TRUST, "WHITLOCK"),
        ("MATAI HOLDINGS LTD", HOLDING, "MATAI"),
        ("MATAI HOLDINGS LIMITED", HOLDING, "MATAI"),
        ("MATAI GROUP LTD", HOLDING, "MATAI"),
        ("MATAI INVESTMENTS LTD", HOLDING, "MATAI"),
        ("MATAI ENTERPRISES", HOLDING, "MATAI"),
        ("MATAI HOLDINGS NZ LTD", HOLDING, "MATAI"),
        ("TANE HOLDINGS LTD", HOLDING, "TANE"),
        ("MATAI HOLDIN", HOLDING, "MATAI"),
        ("MATAI HOLDINGS LIMI", HOLDING, "MATAI"),
    ],
)
def test_trust_and_holding_forms_leave_the_family_or_business_name(payer: str, kind: str, family: str) -> None:
    form = payer_form(payer, P)
    assert form is not None and (form.kind, form.name) == (kind, family)


@pytest.mark.parametrize(
    "payer",
    [
        "TRUST BANK",  # the word before a name is no trust's ending
        "Trust Electrical Ltd",
        "FAMILY TRUST",  # no family named
        "THE TRUST",
        "KAREN HO",  # two letters are no holding word cut short
        "WHITLOCK JOINERY LTD",
        "M NGATA T/A KAURI CAFE",
        "HOLDINGS",
    ],
)
def test_names_that_are_no_trust_or_holding_company(payer: str) -> None:
    assert payer_form(payer, P) is None


def test_levels_a_trust_and_a_holding_company_point_with() -> None:
    index = ContactIndex([WHITLOCK, MATAI, BRENNAN], P)

    def level(payer: str, contact_id: str) -> PayerLevel | None:
        return next((m.level for m in index.match(payer) if m.contact_id == contact_id), None)

    assert level("J & K WHITLOCK FAMILY TRUST", "w1") is PayerLevel.INITIALS  # as "J & K WHITLOCK" on its own
    assert level("JK WHITLOCK TRUST", "w1") is PayerLevel.INITIALS  # initials written together
    assert level("JONAH WHITLOCK FAMILY TRUST", "w1") is PayerLevel.NAME
    assert level("WHITLOCK FAMILY TRUST", "w1") is PayerLevel.RELATED  # the family name alone: a hint
    assert level("MATAI HOLDINGS LTD", "m1") is PayerLevel.RELATED  # the business's distinctive word
    assert level("TANE HOLDINGS LTD", "m1") is PayerLevel.RELATED  # the contact person's family name
    assert level("WHITLOCK JOINERY HOLDINGS LTD", "w1") is PayerLevel.RELATED  # even the whole name: a hint
    assert level("J WHITLOCK HOLDINGS LTD", "w1") is PayerLevel.RELATED
    assert level("BRENNAN FAMILY TRUST", "w1") is None  # another family's trust
    assert {m.on_behalf for m in index.match("WHITLOCK FAMILY TRUST")} == {"family trust of 'WHITLOCK'"}


# ---- family trusts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payee",
    [
        "WHITLOCK FAMILY TRUST",
        "THE WHITLOCK FAMILY TRUST",
        "WHITLOCK TRUST",
        "TRUSTEES OF THE WHITLOCK FAMILY TRUST",
        "WHITLOCK FAMILY TST",
        "WHITLOCK FAMILY TRST",
        "PAYMENT FROM WHITLOCK FAMILY TRUST",
        "WHITLOCK FAMILY TRU",
    ],
)
def test_a_familys_trust_without_a_reference_is_suggested_with_the_reason(payee: str) -> None:
    decision = decide_line(line(payee, 120.00))
    assert decision.kind.value == "review" and decision.orders[:1] == ("W-1",), decision.reason
    assert "family trust of 'WHITLOCK'" in decision.reason and "paid by a family trust of 'WHITLOCK'" in decision.reason


@pytest.mark.parametrize("payee", ["TRUSTEES OF THE WHIT", "TRUSTEES OF THE WHITLO", "THE TRUSTEES OF WHITL"])
def test_a_trusts_family_name_cut_short_by_the_bank_is_a_hint(payee: str) -> None:
    """ "TRUSTEES OF THE WHITLOCK FAMILY TRUST" cut at 20 characters: the start of the family's name still suggests."""
    decision = decide_line(line(payee, 120.00))
    assert decision.kind.value == "review" and decision.orders[:1] == ("W-1",), decision.reason
    assert "cut short, starts the surname of Whitlock Joinery Ltd" in decision.reason


def test_a_cut_family_name_that_starts_many_families_is_no_hint() -> None:
    families = [contact(f"n{i}", f"Whit{c}y Ltd", "Ari", f"Whit{c}y") for i, c in enumerate("abcdefghijk")]
    index = ContactIndex([WHITLOCK, *families], P)
    assert index.match("TRUSTEES OF THE WHIT") == []
    assert [m.contact_id for m in index.match("TRUSTEES OF THE WHITL")] == ["w1"]


def test_a_familys_trust_named_in_the_narrative_under_a_blank_payee() -> None:
    decision = decide_line(line("", 120.00, notes="DIRECT CREDIT FROM WHITLOCK FAMILY TRUST"))
    assert decision.kind.value == "review" and decision.orders[:1] == ("W-1",), decision.reason


@pytest.mark.parametrize(
    "payee",
    ["J & K WHITLOCK FAMILY TRUST", "JK WHITLOCK TRUST", "J WHITLOCK TRUSTEE(S)", "J & K WHITLOCK FAMIL"],
)
def test_a_trust_with_initials_and_the_family_name_acts_as_those_initials_would(payee: str) -> None:
    decision = decide_line(line(payee, 120.00))
    assert (decision.kind.value, decision.orders) == ("auto", ("W-1",)), decision.reason
    assert "a family trust of" in decision.reason
    # the same initials, without the trust's words: the same decision
    family = payer_form(payee, P)
    assert family is not None
    assert decide_line(line(family.name.replace("JK", "J K"), 120.00)).orders == ("W-1",)


@pytest.mark.parametrize("payee", ["MAX WHITLOCK FAMILY TRUST", "AJ WHITLOCK TRUST", "JO WHITLOCK TRUST"])
def test_a_short_first_name_in_a_trust_is_no_initials(payee: str) -> None:
    """MAX is Max, not the initials M, A and X: it does not fit Jonah Whitlock, so only the family name suggests."""
    decision = decide_line(line(payee, 120.00))
    assert decision.kind.value == "review" and decision.orders[:1] == ("W-1",), decision.reason


def test_a_customer_that_is_itself_a_family_trust_is_matched_by_its_own_name() -> None:
    itself = contact("w9", "Whitlock Family Trust", "Jonah", "Whitlock")
    orders = [*ORDERS, order("W-9", "INV-2209", itself, "whitlocktrust.nz", "120.00")]
    decision = decide_line(line("WHITLOCK FAMILY TRUST", 120.00), orders)
    assert (decision.kind.value, decision.orders) == ("auto", ("W-9",)), decision.reason


def test_a_trust_with_initials_for_no_open_order_of_that_amount_is_not_acted_on() -> None:
    decision = decide_line(line("J & K WHITLOCK FAMILY TRUST", 99.00))
    assert decision.kind.value == "review"


FALE_MOANA = contact("f1", "Moana Fale", "Moana", "Fale")
FALE_MOTORS = contact("f2", "Fale Motors Ltd", "Tevita", "Fale")
TWO_FALES = [
    order("F-1", "INV-3001", FALE_MOANA, "moanafale.nz", "75.00"),
    order("F-2", "INV-3002", FALE_MOTORS, "falemotors.co.nz", "75.00"),
]


@pytest.mark.parametrize("payee", ["FALE FAMILY TRUST", "M & T FALE FAMILY TRUST", "TRUSTEES OF THE FALE TRUST"])
def test_a_trust_that_fits_two_customers_of_one_family_never_acts(payee: str) -> None:
    decision = decide_line(line(payee, 75.00), TWO_FALES)
    assert decision.kind.value == "review" and set(decision.orders[:2]) == {"F-1", "F-2"}, decision.reason


def test_a_trust_whose_initials_fit_one_of_two_namesakes_acts_as_the_initials_do() -> None:
    """M FALE is Moana's initial and family name, not Tevita's: as "M FALE" alone, the trust's initials act."""
    decision = decide_line(line("M FALE FAMILY TRUST", 75.00), TWO_FALES)
    assert (decision.kind.value, decision.orders) == ("auto", ("F-1",)), decision.reason


def test_one_familys_trust_paying_for_another_familys_customer() -> None:
    """The Whitlock family trust pays Kate Brennan's invoice: without a reference it is never put on Brennan's (nor
    on a Whitlock order it does not settle); with the invoice number or the payment reference it is Brennan's."""
    unreferenced = decide_line(line("WHITLOCK FAMILY TRUST", 75.00))
    assert unreferenced.kind.value == "review" and "B-1" not in unreferenced.orders[:1]
    for reference in ("INV-2240", BRENNAN_REFERENCE):
        decision = decide_line(line("WHITLOCK FAMILY TRUST", 75.00, reference=reference))
        assert (decision.kind.value, decision.orders) == ("auto", ("B-1",)), decision.reason
    initials = decide_line(line("J & K WHITLOCK FAMILY TRUST", 75.00, reference="INV-2240"))
    assert (initials.kind.value, initials.orders) == ("auto", ("B-1",)), initials.reason


def test_a_reference_to_the_trusts_own_family_decides_first() -> None:
    decision = decide_line(line("WHITLOCK FAMILY TRUST", 35.00, reference="INV-2202"))
    assert (decision.kind.value, decision.orders) == ("auto", ("W-2",))


# ---- holding companies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payee",
    [
        "MATAI HOLDINGS LTD",
        "MATAI HOLDINGS LIMITED",
        "MATAI GROUP LTD",
        "MATAI INVESTMENTS LTD",
        "MATAI ENTERPRISES",
        "TANE HOLDINGS LTD",  # the contact person's family name
        "MATAI PLUMBING HOLDINGS LTD",  # the customer's whole name: still another company paying
    ],
)
def test_a_holding_company_without_a_reference_is_only_suggested(payee: str) -> None:
    decision = decide_line(line(payee, 89.00))
    assert decision.kind.value == "review" and decision.orders[:1] == ("M-1",), decision.reason
    assert "a holding company of" in decision.reason and "paid by a holding company of" in decision.reason


def test_a_holding_company_with_the_invoice_number_is_acted_on() -> None:
    decision = decide_line(line("MATAI HOLDINGS LTD", 89.00, reference="INV2210"))
    assert (decision.kind.value, decision.orders) == ("auto", ("M-1",))


def test_a_holding_companys_name_shared_by_two_customers_never_acts() -> None:
    roofing = contact("m2", "Matai Roofing Ltd", "Pita", "Ruru")
    orders = [*ORDERS, order("M-2", "INV-2211", roofing, "matairoofing.nz", "89.00")]
    decision = decide_line(line("MATAI HOLDINGS LTD", 89.00), orders)
    assert decision.kind.value == "review" and set(decision.orders[:2]) == {"M-1", "M-2"}, decision.reason


# ---- customers whose own names hold these words -----------------------------------------------------------------


def test_a_customer_named_trust_is_matched_by_its_own_name() -> None:
    decision = decide_line(line("TRUST ELECTRICAL LTD", 150.00))
    assert (decision.kind.value, decision.orders) == ("auto", ("T-1",)), decision.reason


def test_a_customer_named_holdings_is_matched_by_its_own_name_not_its_namesake() -> None:
    """Kowhai Holdings Ltd is a customer, and Kowhai Cafe is owed the same amount: the exact name decides."""
    decision = decide_line(line("KOWHAI HOLDINGS LTD", 60.00))
    assert (decision.kind.value, decision.orders) == ("auto", ("H-1",)), decision.reason


def test_trust_bank_is_no_family_trust() -> None:
    decision = decide_line(line("TRUST BANK", 150.00))
    assert decision.kind.value == "review" and "family trust" not in decision.reason


# ---- card notices -----------------------------------------------------------------------------------------------


def test_card_notices_paid_by_a_trust_or_holding_company() -> None:
    trust = decide_on(notice("stripe", "120.00", payer="Whitlock Family Trust", email="whitlocktrust@gmail.com"))
    assert trust.kind.value == "review" and trust.orders[:1] == ("W-1",) and "family trust" in trust.reason
    initials = decide_on(notice("paypal", "120.00", payer="J & K Whitlock Family Trust", txn="t2"))
    assert (initials.kind.value, initials.orders) == ("auto", ("W-1",)), initials.reason
    holding = decide_on(notice("stripe", "89.00", payer="Matai Holdings Limited", txn="t3"))
    assert holding.kind.value == "review" and holding.orders[:1] == ("M-1",) and "holding company" in holding.reason


def test_a_holding_company_paying_from_the_customers_own_domain_is_the_customer() -> None:
    """The e-mail address at the customer's own domain is firmer than any name: it decides."""
    decision = decide_on(notice("stripe", "89.00", payer="Matai Holdings Ltd", email="accounts@mataiplumbing.nz"))
    assert (decision.kind.value, decision.orders) == ("auto", ("M-1",)), decision.reason


def test_patterns_are_data_a_reseller_can_extend(tmp_path: Path) -> None:
    """A word the built-in lists lack ("WHITLOCK WHANAU TRUST") comes from configuration, not code."""
    cfg = tmp_path / "rw.toml"
    cfg.write_text('[matching.extra_patterns]\nfamily_words = ["Whanau"]\nholding_words = ["Partners"]\n')
    extended = match_policy(load_settings(cfg, {})).patterns
    assert payer_form("MATAI PARTNERS LTD", extended) == payer_form("MATAI HOLDINGS LTD", P)
    index = ContactIndex([WHITLOCK], extended)
    assert payer_form("WHITLOCK WHANAU TRUST", extended) is not None
    assert payer_form("WHITLOCK WHANAU", P) is None
    assert [m.level for m in index.match("J WHITLOCK WHANAU TRUST")] == [PayerLevel.INITIALS]


def test_contact_fixture_is_a_person_and_a_company() -> None:
    """The books here: Whitlock Joinery's first word names the business, a person's first name names no business."""
    chen = Contact(contact_id="x", name="Mere Chen", first_name="", last_name="")
    index = ContactIndex([WHITLOCK, FALE_MOANA, chen], P)
    assert index.by_company_word.get("whitlock") == {"w1"}
    assert "moana" not in index.by_company_word and "mere" not in index.by_company_word
