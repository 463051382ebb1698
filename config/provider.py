"""The upstream provider's bill: where it comes from (a Xero bill from its contact, or a CSV statement), how it
charges hosting, its hosting prices, and how far ahead the prepaid registrar balance must cover renewals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from config.report import _hh_mm
from config.sources import Reader

ACTIONS = ("register", "renew", "transfer", "hosting")


@dataclass(frozen=True, kw_only=True, slots=True)
class ProviderSettings:
    xero_contact: str  # the provider's Xero contact (name or ContactID); "" = bills only by `month-end import`
    bill_covers: str  # previous_month (a bill dated 1 Nov is for October) | same_month
    hosting_rule: str  # whole_months | per_day
    hosting_prices: dict[str, Decimal]  # plan -> the provider's monthly price, in [registrar] price_currency
    item_codes: dict[str, str]  # the provider's item code on a bill line -> register | renew | transfer | hosting
    tolerance: Decimal  # a charge this close to the expected price counts as the same price
    boundary_days: int  # actions this close to a month's edge may be billed in the neighbouring month
    balance_days_ahead: int  # the prepaid balance must cover renewals due within this many days
    read_bills_at: str  # HH:MM, the worker's time zone: the daily read of the provider's Xero bills
    balance_check_minutes: int  # how often the prepaid registrar balance is read


def read_provider(r: Reader) -> ProviderSettings:
    codes = {str(k): str(v).lower() for k, v in r.mapping("item_codes", {}).items()}
    for code, action in codes.items():
        if action not in ACTIONS:
            r.problems.add(r._where(f"item_codes.{code}"), f"must be one of {', '.join(ACTIONS)}, not {action!r}")
    tolerance = r.decimal("tolerance", "0.00")
    if tolerance < 0:
        r.problems.add(r.where("tolerance"), "must not be negative")
    return ProviderSettings(
        xero_contact=r.str("xero_contact", ""),
        bill_covers=r.str("bill_covers", "previous_month", choices=("previous_month", "same_month")),
        hosting_rule=r.str("hosting_rule", "whole_months", choices=("whole_months", "per_day")),
        hosting_prices={k.lower(): v for k, v in r.amounts("hosting_prices", noun="prices", allow_zero=True).items()},
        item_codes={k: v for k, v in codes.items() if v in ACTIONS},
        tolerance=tolerance,
        boundary_days=r.int("boundary_days", 3, minimum=0, maximum=10),
        balance_days_ahead=r.int("balance_days_ahead", 30, minimum=0, maximum=365),
        read_bills_at=_hh_mm(r, "read_bills_at", "06:30"),
        balance_check_minutes=r.int("balance_check_minutes", 60, minimum=5, maximum=1440),
    )
