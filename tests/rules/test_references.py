"""Reference reading: invoice numbers in their many spellings, domains whole and cut short, noise words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.references import (
    builtin_patterns,
    domain_label,
    find_domains,
    find_invoice_refs,
    invoice_number_key,
    near_keys,
    reference_words,
)

P = builtin_patterns()


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("INV-0042", ["42"]),
        ("inv42", ["42"]),
        ("INV 0042", ["42"]),
        ("0042", ["42"]),
        ("Invoice INV-0042", ["42"]),
        ("INV-O042", ["42"]),  # letter O for zero
        ("INV0042", ["42"]),  # missing hyphen
        ("INV--0042.", ["42"]),  # stray characters
        ("inv#42 thanks", ["42"]),
        ("INVOICE NO. 1058", ["1058"]),
        ("Invoices INV-0832 INV-0835", ["832", "835"]),
        ("1058", ["1058"]),
        ("KW-0042", ["42"]),  # the reseller's own invoice prefix
        ("paid $35.00 on 25/10/2026", []),  # amounts and dates are no invoice numbers
        ("INV-882O", ["8820"]),  # a trailing O is a zero, not a stray letter
        ("Invoice for the domain", []),  # the word alone is no number
        ("12", []),  # too short to stand alone
        ("12-3456-7890123-00", []),  # a bank account number
        ("2026-11-05", []),  # a date
        ("021 555 1234", ["21", "555", "1234"]),  # spaced digits still read; only an existing open invoice counts
    ],
)
def test_invoice_numbers_found(text: str, keys: list[str]) -> None:
    """Each spelling a payer uses yields the invoice's digits without leading zeros."""
    assert [r.key for r in find_invoice_refs(text, P, ["inv", "kw"])] == keys


def test_prefixed_and_bare_numbers_are_told_apart() -> None:
    """A number with a prefix word is firmer evidence than a bare one."""
    refs = {r.key: r.prefixed for r in find_invoice_refs("INV-0042 and 1058", P, ["inv"])}
    assert refs == {"42": True, "1058": False}


@pytest.mark.parametrize(
    ("number", "key"),
    [("INV-0042", ("inv", "42")), ("KW 0100", ("kw", "100")), ("2026-INV-007", ("inv", "7")), ("none", None)],
)
def test_invoice_number_keys(number: str, key: tuple[str, str] | None) -> None:
    """An existing invoice number splits into its prefix and digits key."""
    assert invoice_number_key(number) == key


@given(
    n=st.integers(min_value=1, max_value=99999),
    width=st.integers(min_value=0, max_value=6),
    prefix=st.sampled_from(["INV-", "inv", "INV ", "Invoice INV-", "INV#", "inv: ", "INVOICE "]),
    before=st.sampled_from(["", "payment ", "ref ", "thanks "]),
    after=st.sampled_from(["", " thanks", ".", " web"]),
    o_for_zero=st.booleans(),
)
def test_any_spelling_of_an_invoice_number_reads_back(
    n: int, width: int, prefix: str, before: str, after: str, o_for_zero: bool
) -> None:
    """Property: zero padding, prefix spelling, surrounding words and O-for-0 never change the number read."""
    digits = str(n).zfill(width)
    if o_for_zero:
        digits = digits.replace("0", "O", 1)
    refs = find_invoice_refs(f"{before}{prefix}{digits}{after}", P, ["inv"])
    assert str(n) in [r.key for r in refs if r.prefixed]


@given(st.text(max_size=200))
def test_reading_references_never_crashes(text: str) -> None:
    """Property: any text at all gives a list (maybe empty), never an exception."""
    assert isinstance(find_invoice_refs(text, P, ["inv"]), list)
    assert isinstance(find_domains(text), list)
    assert isinstance(reference_words(text, P, min_length=8), list)


@pytest.mark.parametrize(
    ("text", "domains"),
    [
        ("renew brownyoga.com.au", ["brownyoga.com.au"]),
        ("INV-0943 thamesdental.org.nz", ["thamesdental.org.nz"]),
        ("MEREKING.NZ", ["mereking.nz"]),
        ("www.MereKing.nz", ["mereking.nz"]),
        ("from ana@kingtiling.nz", []),  # an e-mail address is not a domain paid for
        ("no domain here", []),
    ],
)
def test_domains_found(text: str, domains: list[str]) -> None:
    """Domains written out in full are found in lower case."""
    assert find_domains(text) == domains


@pytest.mark.parametrize(
    ("domain", "label"),
    [
        ("brownyoga.com.au", "brownyoga"),
        ("kingtiling.nz", "kingtiling"),
        ("napiercleaning.org.nz", "napiercleaning"),
        ("shop.example.co.nz", "example"),
        ("my-site.com", "mysite"),
    ],
)
def test_domain_label(domain: str, label: str) -> None:
    """The registrable name is what payers type when they squash a domain."""
    assert domain_label(domain, P) == label


def test_reference_words_drop_noise_and_pair_neighbours() -> None:
    """Noise words never count; two neighbouring words are also tried together (NAPIER CLEANING)."""
    words = reference_words("NAPIER CLEANING KIWIWEB HOSTING", P, min_length=8)
    assert "napiercleaning" in words
    assert "hosting" not in words


def test_near_keys_are_one_slip_away() -> None:
    """Swapped, changed, dropped or doubled digits are near; the number itself is not."""
    near = near_keys("618")
    assert {"681", "168", "619", "18", "6618"} <= near
    assert "618" not in near


def test_patterns_extend_from_configuration() -> None:
    """A reseller adds a word without a release; an unknown list is refused."""
    extended = P.extended({"settlement_payees": ["Laybuy NZ"], "noise_words": ["koha"]})
    assert "laybuy nz" in extended.settlement_payees
    assert "koha" in extended.noise_words
    with pytest.raises(ValueError, match="no pattern list"):
        P.extended({"bogus": ["x"]})
