"""Payment references with a Damm check digit on invoices the worker raises (issue 11): a reference whose check
digit verifies is an exact key; one typing slip away from a valid reference is a suggestion only; invoice numbers
keep working as before."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from stdnum import damm

from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.payment_references import BASE, find_payment_references, is_valid, one_slip_away
from rules.policy import decide
from tests.rules.test_policy import bank, contact, notice, order
from worker.effects.books import payment_reference_for

KAURI = contact("k1", "Kauri Cafe Ltd", "Mere", "Ngata")
REF = payment_reference_for(4207)
OTHER = payment_reference_for(4270)
ORDERS = [
    replace(order("O-1", "INV-1085", KAURI, "kauricafe.co.nz", "45.00"), payment_reference=REF),
    replace(
        order("O-2", "INV-1086", contact("k2", "Tasman Joinery", "Hemi", "Rewi"), "tj.nz", "45.00"),
        payment_reference=OTHER,
    ),
]


def decide_one(receipt: object) -> tuple[str, tuple[str, ...], str]:
    d = decide(receipt, OrderBook(ORDERS), PaymentRecord(), MatchPolicy())  # type: ignore[arg-type]
    return d.kind.value, d.orders, d.reason


@given(st.integers(min_value=0, max_value=BASE - 1))
def test_references_are_eight_digits_and_agree_with_python_stdnum(n: int) -> None:
    reference = payment_reference_for(n)
    assert len(reference) == 8 and reference.startswith("1")
    assert is_valid(reference) and damm.is_valid(reference)


@given(st.integers(min_value=0, max_value=BASE - 1), st.integers(min_value=1, max_value=7), st.integers(1, 9))
def test_every_single_slip_breaks_the_check(n: int, position: int, change: int) -> None:
    reference = payment_reference_for(n)
    changed = reference[:position] + str((int(reference[position]) + change) % 10) + reference[position + 1 :]
    assert not is_valid(changed)
    if position < 7 and reference[position] != reference[position + 1]:
        swapped = reference[:position] + reference[position + 1] + reference[position] + reference[position + 2 :]
        assert not is_valid(swapped)
        assert reference in one_slip_away(swapped)


def test_found_in_text_as_written() -> None:
    spaced = f"{REF[:4]} {REF[4:]}"
    assert [(r.token, r.valid) for r in find_payment_references(f"PAY {spaced} thanks")] == [(REF, True)]


def test_a_verified_reference_is_an_exact_key() -> None:
    kind, orders, reason = decide_one(bank("SOMEONE ELSE", reference=REF, amount="45.00"))
    assert (kind, orders) == ("auto", ("O-1",)), reason
    assert "check digit verifies" in reason


def test_a_slipped_reference_is_only_a_suggestion() -> None:
    """Two digits swapped: the reference fails its check; the invoice it was meant for is suggested first, and
    nothing is acted on, even though the payer and the amount would otherwise settle it."""
    slipped = REF[:5] + REF[6] + REF[5] + REF[7]
    assert not is_valid(slipped)
    kind, orders, reason = decide_one(bank("KAURI CAFE LTD", reference=slipped, amount="45.00"))
    assert kind == "review" and orders[:1] == ("O-1",), reason
    card = notice("stripe", "45.00", f"INV-1085 {slipped}", payer="Mere Ngata")
    kind, _, reason = decide_one(card)
    assert kind == "review" and "does not verify" in reason


def test_invoice_numbers_keep_working() -> None:
    assert decide_one(bank("KAURI CAFE LTD", reference="INV-1085", amount="45.00"))[:2] == ("auto", ("O-1",))


def test_a_number_that_is_no_slip_of_ours_changes_nothing() -> None:
    """An eight-digit account or phone number one slip from none of our references is no reference at all."""
    kind, orders, _ = decide_one(bank("KAURI CAFE LTD", reference="INV-1085 12345678", amount="45.00"))
    assert (kind, orders) == ("auto", ("O-1",))
