"""The pure reading helpers in rules/notice_text.py: amounts, payers, look-alikes, HTML tables."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.notice_text import html_to_text, lookalike_of, parse_money, split_payer

MONEY = [
    ("$1,234.50 NZD", "", "1234.50", "NZD"),
    ("NZ$45.00", "", "45.00", "NZD"),
    ("45.00", "NZD", "45.00", "NZD"),
    ("NZD 45.00", "", "45.00", "NZD"),
    ("NZD\u00a045.00", "", "45.00", "NZD"),
    ("45.00\u00a0NZD", "", "45.00", "NZD"),
    ("A$134.00 AUD", "", "134.00", "AUD"),
    ("AU$20", "", "20", "AUD"),
    ("US$ 1,000.00", "", "1000.00", "USD"),
    ("€86,00 EUR", "", "86.00", "EUR"),
    ("1.234,50 €", "", "1234.50", "EUR"),
    ("£12.5", "", "12.5", "GBP"),
    ("12 345.67 NZD", "", "12345.67", "NZD"),
    ("129", "nzd", "129", "NZD"),
    ("35,00 NZ$", "", "35.00", "NZD"),
    ("NZ$ 35,00", "", "35.00", "NZD"),
    ("35,00 $ NZ", "", "35.00", "NZD"),
    ("35,00\u00a0$\u00a0NZ", "", "35.00", "NZD"),
    ("6 380,00 Ft", "", "6380.00", "HUF"),
    ("6\u202f380,00\u00a0Ft", "", "6380.00", "HUF"),
    ("60,00 RUB", "", "60.00", "RUB"),
    ("0,01 € EUR", "", "0.01", "EUR"),
    ("$ 535.32 USD", "", "535.32", "USD"),
    ("R$ 45,00", "", "45.00", "BRL"),
    ("1.234,50 $ US", "", "1234.50", "USD"),
]


@pytest.mark.parametrize(("token", "field", "amount", "currency"), MONEY)
def test_amount_forms(token: str, field: str, amount: str, currency: str) -> None:
    """Every amount form in the notices reads as Decimal and ISO currency."""
    reading = parse_money(token, field, "NZD")
    assert reading.money is not None, reading.problem
    assert reading.money.amount == Decimal(amount)
    assert reading.money.currency == currency


def test_a_bare_symbol_is_the_home_currency_only_when_the_service_says_so() -> None:
    """A "$" many currencies share, or no symbol at all, names no currency (issue 11, finding 7); only a service
    whose format says its bare symbol is the account's currency gets the home currency, flagged as assumed."""
    assert parse_money("$45.00", "", "NZD").money is None
    assert parse_money("45.00", "", "NZD").money is None
    said = parse_money("$45.00", "", "NZD", bare_symbols={"$": "home"})
    assert str(said.money) == "45.00 NZD" and said.assumed_currency
    assert str(parse_money("$40.00", "", "NZD", bare_symbols={"$": "USD"}).money) == "40.00 USD"
    assert parse_money("45.00", "", "NZD", bare_symbols={"$": "home"}).money is None
    assert not parse_money("$45.00 NZD", "", "NZD", bare_symbols={"$": "home"}).assumed_currency
    assert parse_money("$45.00", "", "NZD").amount == Decimal("45.00")  # the number is kept all the same


@pytest.mark.parametrize(
    ("token", "field", "problem"),
    [
        ("NZ$45.00 AUD", "", "conflicting currencies"),
        ("45.00 NZD", "AUD", "conflicting currencies"),
        ("free", "", "no amount"),
        ("0.00 NZD", "", "no positive amount"),
        ("45.00", "zorkmids", "unknown currency"),
        ("45.00 ZZZ", "", "unknown currency"),
        ("$45.00", "", "names no one currency"),
        ("¥1000", "", "names no one currency"),
        ("45.00", "", "no currency is stated"),
    ],
)
def test_unreadable_amounts_say_why(token: str, field: str, problem: str) -> None:
    """Conflicting, missing or zero amounts give no money and a reason."""
    reading = parse_money(token, field, "" if problem == "no currency" else "NZD")
    assert reading.money is None
    assert problem in reading.problem


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2),
    st.sampled_from(["{sym}{num} {code}", "{code} {num}", "{num} {code}", "{code}{num}", "{sym}{num}"]),
    st.sampled_from([(",", "."), ("", "."), ("\u00a0", "."), (".", ",")]),
    st.sampled_from([("NZ$", "NZD"), ("A$", "AUD"), ("€", "EUR"), ("£", "GBP"), ("US$", "USD")]),
)
def test_amount_round_trip(amount: Decimal, layout: str, separators: tuple[str, str], money: tuple[str, str]) -> None:
    """Any amount written with thousands separators and a symbol or code reads back to the same value."""
    thousands, decimal_mark = separators
    whole, cents = f"{amount:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", thousands)
    symbol, code = money
    token = layout.format(sym=symbol, num=f"{grouped}{decimal_mark}{cents}", code=code)
    reading = parse_money(token, "", "NZD")
    assert reading.money is not None, (token, reading.problem)
    assert reading.money.amount == amount
    assert reading.money.currency == code


@pytest.mark.parametrize(
    ("value", "name", "email"),
    [
        ("Ana Tipene (ana.tipene@example.nz)", "Ana Tipene", "ana.tipene@example.nz"),
        ("Ana Tipene <Ana.Tipene@Example.NZ>", "Ana Tipene", "ana.tipene@example.nz"),
        ("ana@example.nz", "", "ana@example.nz"),
        ("J & K SMITH", "J & K SMITH", ""),
    ],
)
def test_payer_forms(value: str, name: str, email: str) -> None:
    """Payer values split into a name and a lower-case e-mail."""
    assert split_payer(value) == (name, email)


GENUINE = ["paypal.com", "stripe.com", "windcave.com", "post.xero.com", "kiwiweb.example"]


@pytest.mark.parametrize(
    ("domain", "imitated"),
    [
        ("paypa1.com", "paypal.com"),
        ("paypal-billing.net", "paypal.com"),
        ("paypal.com.secure-login.example", "paypal.com"),
        ("strlpe.com", "stripe.com"),
        ("stirpe.com", "stripe.com"),
        ("wind-cave.co.nz", "windcave.com"),
        ("xero-payments.com", "post.xero.com"),
        ("kiwiweb-example.com", "kiwiweb.example"),
        ("xn--pypal-4ve.com", "paypal.com"),
    ],
)
def test_look_alikes_are_recognised(domain: str, imitated: str) -> None:
    """Digit swaps, hyphenated brands, brand-as-subdomain, transpositions and homographs are look-alikes."""
    assert lookalike_of(domain, GENUINE) == imitated


@pytest.mark.parametrize("domain", ["paypal.com", "intl.paypal.com", "gmail.com", "xtra.co.nz", "example.org"])
def test_genuine_and_unrelated_domains_are_not_look_alikes(domain: str) -> None:
    """The real domains, their subdomains and unrelated domains are no look-alikes."""
    assert lookalike_of(domain, GENUINE) is None


def test_html_table_rows_become_label_tab_value_lines() -> None:
    """Each table row reads as "label<TAB>value"; scripts and styles vanish; entities are decoded."""
    html = (
        "<html><head><style>td{}</style></head><body><table><tr><td><b>Amount</b></td><td>1,234.50&nbsp;NZD</td>"
        "</tr><tr><td>Merchant Reference</td><td></td></tr></table><script>x=1</script><p>Thanks &amp; bye</p>"
    )
    lines = [line for line in html_to_text(html).split("\n") if line]
    assert lines == ["Amount\t1,234.50 NZD", "Merchant Reference", "Thanks & bye"]
