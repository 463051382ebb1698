"""Hosting plans and the reseller's own rates for them, and when renewal invoices are raised."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class HostingSettings:
    plans: dict[str, Decimal]  # plan name -> monthly rate excl. tax, home currency
    renewal_days_ahead: int


def read_hosting(r: Reader) -> HostingSettings:
    plans: dict[str, Decimal] = {}
    for name, rate in r.mapping("plans", {"starter": "25.00", "business": "45.00"}).items():
        if isinstance(rate, float):
            r.problems.add(r._where(f"plans.{name}"), 'write rates as strings ("25.00"), not floats')
            continue
        try:
            plans[str(name)] = Decimal(str(rate))
        except InvalidOperation:
            r.problems.add(r._where(f"plans.{name}"), f"not a decimal amount: {rate!r}")
    return HostingSettings(plans=plans, renewal_days_ahead=r.int("renewal_days_ahead", 30, minimum=1, maximum=120))
