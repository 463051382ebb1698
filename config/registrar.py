"""Registrar settings: the manual process by default, or the LogicBoxes (ResellerClub) HTTP API, and what the
reseller pays upstream per TLD (the cost side of the report's margin line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistrarSettings:
    kind: str  # manual | logicboxes
    api_url: str  # LogicBoxes base URL; the test host https://test.httpapi.com/api by default
    check_url: str  # LogicBoxes availability host (their docs: https://domaincheck.httpapi.com/api)
    reseller_id: str  # LogicBoxes auth-userid
    api_key: str = field(repr=False)  # secret
    timeout_seconds: float
    customer_id: str  # LogicBoxes customer the domains are registered under
    contact_id: str  # default registrant/admin/tech/billing contact id
    nameservers: tuple[str, ...]
    price_currency: str
    register_prices: dict[str, Decimal]  # TLD ("co.nz", "com") -> upstream cost per year
    renew_prices: dict[str, Decimal]
    notify_to: tuple[str, ...]  # manual registrar: addresses that get an immediate e-mail for each to-do


def _tld_prices(r: Reader, key: str) -> dict[str, Decimal]:
    return {tld.lower().lstrip("."): price for tld, price in r.amounts(key, noun="prices", allow_zero=True).items()}


def read_registrar(r: Reader) -> RegistrarSettings:
    kind = r.str("kind", "manual", choices=("manual", "logicboxes"))
    api = kind == "logicboxes"
    currency = r.str("price_currency", "NZD")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        r.problems.add(r.where("price_currency"), f"must be an ISO 4217 code like NZD, not {currency!r}")
        currency = "NZD"
    return RegistrarSettings(
        kind=kind,
        api_url=r.str("api_url", "https://test.httpapi.com/api").rstrip("/"),
        check_url=r.str("check_url", "https://domaincheck.httpapi.com/api").rstrip("/"),
        reseller_id=r.str("reseller_id", None if api else ""),
        api_key=r.secret("api_key", required=api),
        timeout_seconds=float(r.int("timeout_seconds", 30, minimum=1, maximum=300)),
        customer_id=r.str("customer_id", None if api else ""),
        contact_id=r.str("contact_id", None if api else ""),
        nameservers=r.list("nameservers", ()),
        price_currency=currency,
        register_prices=_tld_prices(r, "register_prices"),
        renew_prices=_tld_prices(r, "renew_prices"),
        notify_to=r.list("notify_to", ()),
    )
