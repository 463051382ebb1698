"""Card money as it really moves: each payment service keeps card payments on its own clearing account and pays them
out later, several at once, net of its fees. Pure: what a service's terms are, and (below) which payments a payout
settles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from rules.money import CENT, Money

# Payment services the worker knows; `xero` is Xero's own online payments (its Stripe or GoCardless service).
PAYMENT_SERVICES = ("stripe", "paypal", "windcave", "xero")
# A card payment not paid out within its service's schedule plus this many business days is listed as late.
LATE_AFTER_BUSINESS_DAYS = 3


@dataclass(frozen=True, kw_only=True, slots=True)
class FeeRate:
    """What a service charges per payment in one currency: a percentage of the gross plus a fixed amount."""

    percent: Decimal
    fixed: Decimal = Decimal("0")

    def fee(self, gross: Decimal) -> Decimal:
        """The fee on one payment, to the cent (half up), as services round each fee."""
        return (gross * self.percent / 100 + self.fixed).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True, slots=True)
class GatewayTerms:
    """One payment service's terms as the reseller agreed them (used for estimates and plausibility only: the
    service's own figures, where it gives them, always win)."""

    name: str
    payout_days: int = 2  # business days from a payment to the payout that carries it
    fees: Mapping[str, FeeRate] = field(default_factory=dict)  # currency -> rate
    fee_tolerance: Decimal = Decimal("0.00")  # how far the fees implied by a payout may differ from the schedule

    def estimated_fee(self, gross: Money) -> Money | None:
        """The schedule's fee on one payment, or None when the schedule has no rate for its currency."""
        rate = self.fees.get(gross.currency)
        if rate is None:
            return None
        return Money(amount=rate.fee(gross.amount), currency=gross.currency)


def add_business_days(start: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `start`; a payment on Saturday counts from Monday."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def payout_due(paid_on: date, terms: GatewayTerms) -> date:
    """The last day a payout carrying a payment made on `paid_on` is expected."""
    return add_business_days(paid_on, terms.payout_days)


def late_from(paid_on: date, terms: GatewayTerms) -> date:
    """From this day on, a payment made on `paid_on` that no payout carried is listed as never paid out."""
    return add_business_days(paid_on, terms.payout_days + LATE_AFTER_BUSINESS_DAYS)
