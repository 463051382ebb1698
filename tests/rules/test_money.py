"""Money's guards: a float never becomes money, currencies never mix, a broken amount or code is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules.money import CurrencyMismatch, Money


def test_a_float_is_refused_wherever_it_comes_in() -> None:
    with pytest.raises(TypeError, match="refuses float"):
        Money.of(35.1, "NZD")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be Decimal"):
        Money(amount=35.1, currency="NZD")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_an_amount_must_be_finite(amount: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        Money(amount=Decimal(amount), currency="NZD")


@pytest.mark.parametrize("currency", ["nzd", "NZ", "NZDD", "N2D", ""])
def test_a_currency_is_an_iso_code(currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(amount=Decimal("1"), currency=currency)


def test_text_that_is_no_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="not a decimal amount"):
        Money.of("35,00.1", "NZD")


def test_currencies_never_mix_in_sums_or_comparisons() -> None:
    nzd, aud = Money.of("10.00", "NZD"), Money.of("10.00", "AUD")
    for combine in (lambda: nzd + aud, lambda: nzd - aud, lambda: nzd < aud, lambda: nzd <= aud):
        with pytest.raises(CurrencyMismatch, match="NZD and AUD"):
            combine()
    assert not nzd.same_value(aud)


def test_same_currency_arithmetic_is_exact_and_rounds_half_up_to_the_cent() -> None:
    total = Money.of("0.10", "NZD") + Money.of("0.20", "NZD")
    assert total == Money.of("0.30", "NZD")
    assert Money.of("2.005", "NZD").cents() == Decimal("2.01")
    assert Money.of("45", "NZD").same_value(Money.of("45.00", "NZD"))
    assert str(Money.of("1234.5", "NZD")) == "1,234.50 NZD"
