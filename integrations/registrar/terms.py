"""Registration terms and upstream prices: the arithmetic every registrar adapter shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rules.money import Money
from rules.suffixes import by_suffix


def add_years(day: date, years: int) -> date:
    """`day` plus whole years; 29 February lands on 28 February in a common year, as registries do."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def tld_of(domain: str) -> tuple[str, str]:
    """Split "example.co.nz" into ("example", "co.nz"): the first label is the name, the rest the TLD."""
    name, _, tld = domain.strip().lower().rstrip(".").partition(".")
    return name, tld


@dataclass(frozen=True, kw_only=True, slots=True)
class UpstreamPrices:
    """What the reseller pays upstream per year and TLD; the longest matching suffix wins (co.nz before nz)."""

    currency: str
    register: Mapping[str, Decimal] = field(default_factory=dict)
    renew: Mapping[str, Decimal] = field(default_factory=dict)

    def price(self, domain: str, *, action: str, years: int) -> Money | None:
        table = self.register if action == "register" else self.renew if action == "renew" else {}
        per_year = by_suffix(table, domain)
        return None if per_year is None else Money(amount=per_year * years, currency=self.currency)
