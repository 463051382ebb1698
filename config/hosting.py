"""Hosting plans and the reseller's own rates for them, domain renewal rates, and when renewal invoices are raised."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class HostingSettings:
    plans: dict[str, Decimal]  # plan name -> monthly rate excl. tax, home currency
    renewal_days_ahead: int
    domain_rates: dict[str, Decimal]  # TLD -> the reseller's own yearly renewal price, when no past sale is known
    account_code: str  # sales account for hosting and renewal lines
    invoice_due_days: int  # renewal invoices fall due this many days after they are raised


def _rates(r: Reader, key: str, default: dict[str, str]) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    for name, rate in r.mapping(key, default).items():
        where = r._where(f"{key}.{name}")
        if isinstance(rate, float):
            r.problems.add(where, f'write rates as strings ("{rate}"), not floats')
            continue
        try:
            value = Decimal(str(rate))
        except InvalidOperation:
            r.problems.add(where, f"not a decimal amount: {rate!r}")
            continue
        if not value.is_finite() or value <= 0:
            r.problems.add(where, f"must be a positive amount, not {rate!r}")
            continue
        rates[str(name)] = value
    return rates


def read_hosting(r: Reader) -> HostingSettings:
    return HostingSettings(
        plans=_rates(r, "plans", {"starter": "25.00", "business": "45.00"}),
        renewal_days_ahead=r.int("renewal_days_ahead", 30, minimum=1, maximum=120),
        domain_rates={k.lower().lstrip("."): v for k, v in _rates(r, "domain_rates", {}).items()},
        account_code=r.str("account_code", "200"),
        invoice_due_days=r.int("invoice_due_days", 14, minimum=0, maximum=90),
    )
