"""Settings per payment service (`[gateways.stripe]`, `[gateways.paypal]`, `[gateways.windcave]`, `[gateways.xero]`):
the Xero clearing account its card payments wait on, the account its fees are booked to, its payout schedule and fee
schedule, and (Stripe) its API. A service without a clearing account is not set up: its card payments are recorded
on the bank account, as before, and no payout of it is followed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from config.sources import Problems, Reader
from rules.payouts import PAYMENT_SERVICES, FeeRate, GatewayTerms
from rules.services import SERVICE_NAMES as DISPLAY_NAMES

# Business days from a payment to its payout when the reseller says nothing: Stripe's standard NZ schedule, a
# weekly PayPal withdrawal, Windcave's next-but-one-day settlement, and Xero's service (Stripe underneath).
DEFAULT_PAYOUT_DAYS = {"stripe": 4, "paypal": 5, "windcave": 2, "xero": 4}
# Payee names a payout of the service carries on the bank statement (the bank's narrative, upper or lower case).
DEFAULT_PAYEES: dict[str, tuple[str, ...]] = {
    "stripe": ("stripe",),
    "paypal": ("paypal",),
    "windcave": ("windcave", "payment express", "dps payment express"),
    "xero": (),  # Xero's service pays out through Stripe or GoCardless: name them when it is set up
}
APIS = {"stripe": ("none", "stripe")}  # which services can be read through their own API
_RATE = re.compile(r"^\s*(?P<percent>\d+(?:\.\d+)?)\s*%\s*(?:\+\s*(?P<fixed>\d+(?:\.\d+)?))?\s*$")


@dataclass(frozen=True, kw_only=True, slots=True)
class GatewaySettings:
    name: str  # stripe | paypal | windcave | xero
    clearing_account: str  # Xero account code (a bank-type account) the service's card payments are recorded on
    fee_account: str = "404"  # Xero expense account the service's fees are booked to (404 is "Bank Fees")
    fee_contact: str = ""  # the Xero contact named on the fee (spend money needs one); default the service's name
    payees: tuple[str, ...] = ()  # bank-statement payee names of its payouts
    terms: GatewayTerms = field(default_factory=lambda: GatewayTerms(name=""))
    api: str = "none"  # none | stripe
    api_key: str = field(default="", repr=False)  # secret: RW_GATEWAYS_STRIPE_API_KEY
    api_base: str = ""  # only for a Stripe emulator (tests, demo); empty means Stripe itself

    @property
    def display_name(self) -> str:
        return DISPLAY_NAMES.get(self.name, self.name)


@dataclass(frozen=True, kw_only=True, slots=True)
class GatewaysSettings:
    services: tuple[GatewaySettings, ...] = ()  # only the services that are set up (have a clearing account)

    def get(self, name: str) -> GatewaySettings | None:
        return next((g for g in self.services if g.name == name), None)

    def clearing_account(self, gateway: str) -> str:
        """The clearing account a card payment through `gateway` is recorded on, or '' when it is not set up."""
        found = self.get(gateway)
        return found.clearing_account if found is not None else ""


def read_gateways(
    table: Mapping[str, Any], environ: Mapping[str, str], problems: Problems, file: str
) -> GatewaysSettings:
    """`[gateways.<service>]` tables (or `RW_GATEWAYS_<SERVICE>_<KEY>` variables) into settings."""
    for key in sorted(set(table) - set(PAYMENT_SERVICES)):
        problems.add(file, f"unknown payment service [gateways.{key}] (one of {', '.join(PAYMENT_SERVICES)})")
    services: list[GatewaySettings] = []
    for name in PAYMENT_SERVICES:
        sub = table.get(name, {})
        if not isinstance(sub, dict):
            problems.add(file, f"[gateways.{name}] must be a table")
            sub = {}
        r = Reader(f"gateways.{name}", sub, environ, problems, file)
        service = _read_one(name, r)
        r.finish()
        if service.clearing_account:
            services.append(service)
    return GatewaysSettings(services=tuple(services))


def _read_one(name: str, r: Reader) -> GatewaySettings:
    clearing = r.str("clearing_account", "")
    if len(clearing) > 10:
        r.problems.add(r.where("clearing_account"), "a Xero account code has at most 10 characters")
    fee_account = r.str("fee_account", "404")
    api = r.str("api", "none", choices=APIS.get(name, ("none",)))
    api_key = r.secret("api_key", required=api == "stripe" and bool(clearing))
    tolerance = r.decimal("fee_tolerance", "0.00")
    if tolerance < 0:
        r.problems.add(r.where("fee_tolerance"), "must not be negative")
    terms = GatewayTerms(
        name=name,
        payout_days=r.int("payout_days", DEFAULT_PAYOUT_DAYS[name], minimum=0, maximum=60),
        fees=_fees(r),
        fee_tolerance=tolerance,
    )
    return GatewaySettings(
        name=name,
        clearing_account=clearing,
        fee_account=fee_account,
        fee_contact=r.str("fee_contact", DISPLAY_NAMES[name]),
        payees=tuple(p.lower() for p in r.list("payees", DEFAULT_PAYEES[name])),
        terms=terms,
        api=api,
        api_key=api_key,
        api_base=r.str("api_base", "").rstrip("/"),
    )


def _fees(r: Reader) -> dict[str, FeeRate]:
    """`[gateways.stripe.fees] NZD = "2.7% + 0.30"`: a percentage of the gross plus a fixed amount, per currency."""
    rates: dict[str, FeeRate] = {}
    for currency, value in r.mapping("fees", {}).items():
        where = f"{r.file} [{r.section}.fees] {currency}"
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
            r.problems.add(where, "the key must be a currency code such as NZD")
            continue
        m = _RATE.fullmatch(value) if isinstance(value, str) else None
        if m is None:
            r.problems.add(where, f'write the rate as "2.7% + 0.30" (percent, then a fixed amount), not {value!r}')
            continue
        try:
            rates[currency.upper()] = FeeRate(percent=Decimal(m["percent"]), fixed=Decimal(m["fixed"] or "0"))
        except InvalidOperation:
            r.problems.add(where, f"not a rate: {value!r}")
    return rates
