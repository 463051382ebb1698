"""Hosting plans and the reseller's own rates for them, domain renewal rates, and when renewal invoices are raised."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class HostingSettings:
    plans: dict[str, Decimal]  # plan name -> monthly rate excl. tax, home currency
    renewal_days_ahead: int
    domain_rates: dict[str, Decimal]  # TLD -> the reseller's own yearly renewal price, when no past sale is known
    account_code: str  # sales account for hosting and renewal lines
    invoice_due_days: int  # renewal invoices fall due this many days after they are raised
    # plan -> the setup fee asked before a site goes live; a plan not listed asks one month's rate
    setup_fees: dict[str, Decimal] = field(default_factory=dict)

    def setup_fee(self, plan: str) -> Decimal | None:
        return self.setup_fees.get(plan, self.plans.get(plan))


def read_hosting(r: Reader) -> HostingSettings:
    return HostingSettings(
        plans=r.amounts("plans", {"starter": "25.00", "business": "45.00"}, noun="rates"),
        renewal_days_ahead=r.int("renewal_days_ahead", 30, minimum=1, maximum=120),
        domain_rates={k.lower().lstrip("."): v for k, v in r.amounts("domain_rates", noun="rates").items()},
        account_code=r.str("account_code", "200"),
        invoice_due_days=r.int("invoice_due_days", 14, minimum=0, maximum=90),
        setup_fees=r.amounts("setup_fees", noun="fees"),
    )
