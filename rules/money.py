"""Money as a Decimal amount with its currency; never a float.

Arithmetic across currencies is refused, because a foreign-currency receipt is a review item, not a sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money.amount must be Decimal, not {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise ValueError(f"Money.amount must be finite, not {self.amount}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code like 'NZD', not {self.currency!r}")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Build from a decimal string or int; floats are refused on purpose."""
        if isinstance(amount, float):
            raise TypeError("Money.of refuses float; pass a string")
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal amount: {amount!r}") from exc
        return cls(amount=value, currency=currency.upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal("0"), currency=currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def cents(self) -> Decimal:
        """The amount to the cent (half up), as Decimal."""
        return self.amount.quantize(CENT, rounding=ROUND_HALF_UP)

    def rounded(self) -> Money:
        return Money(amount=self.cents(), currency=self.currency)

    def same_value(self, other: Money) -> bool:
        """Equal currency and equal amount to the cent (45 == 45.00)."""
        return self.currency == other.currency and self.cents() == other.cents()

    def __str__(self) -> str:
        return f"{self.cents():,} {self.currency}"
