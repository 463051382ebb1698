"""A stateful stand-in for the LogicBoxes / ResellerClub HTTP API on `responses`: the documented request
parameters and JSON replies, so the real `LogicBoxesRegistrar` runs against it. Each behaviour names its source.

It is as permissive as the real service where the real service is: a renewal sent while another is queued for funds
is queued too and both run (charged twice) when funds arrive, so only the worker's own guards keep that from
happening, and the tests prove those guards.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
import responses

from integrations.registrar.terms import add_years

BASE = "https://test.httpapi.com/api"
# Availability lives on its own host ("domaincheck.httpapi.com" in LogicBoxes' current docs; the node
# `resellerclub` module's checkAvailability and WHMCS tools call it there); nothing answers it on BASE here.
CHECK = "https://domaincheck.httpapi.com/api"
USER, KEY = "4242", "s3cret-key"
Reply = tuple[int, dict[str, str], str]

# Endings whose registry takes no admin/tech/billing contact: KB 752 "Register" asks for -1 there (WHMCS's
# resellerclub_DomainTLDSpecificFields sends -1 for all three on uk, eu, nz, ru). Checked by the last label.
MINUS_ONE = {"uk", "eu", "nz", "ru"}
# Endings that need the terms attribute (attr-name tnc = y): WHMCS resellerclub $tncTlds includes nz and co.nz.
NEEDS_TNC = {"nz", "co.nz", "app", "dev"}


def _epoch(day: date) -> int:
    # Their endtime carries a time of day; the adapter must echo it exactly as exp-date.
    return int(datetime.combine(day, time(10, 23, 45), UTC).timestamp())


class LogicBoxesEmulator:
    def __init__(self, mock: responses.RequestsMock, *, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        # ours: name -> {"orderid", "endtime", "status", "queued": [actions waiting for funds]}
        self.domains: dict[str, dict[str, Any]] = {}
        self.taken: set[str] = set()
        self.premium: dict[str, Decimal] = {}  # name -> registry price per year (USD)
        self.applied: Counter[tuple[str, str]] = Counter()
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.lose_reply: set[tuple[str, str]] = set()
        self.faults: list[Reply | Exception] = []  # the next calls, whatever they are
        self.scripted: dict[str, list[Reply]] = {}  # path -> the next replies to calls of that path
        self.funds_short = False  # renewals are queued until add_funds()
        self.registrations_pending = False  # new orders stay InActive until activate()
        self.error_style = "ERROR"  # or "error": the two error shapes the public clients handle
        # The prepaid account (KB 1110): balance, the part locked for orders in progress, the selling currency.
        self.funds: dict[str, Any] = {"balance": Decimal("500.00"), "locked": Decimal("0.00"), "currency": "NZD"}
        self._next = 562990
        self._eaq = 9000
        for method, base, path, handler in (
            ("GET", CHECK, "domains/available.json", self._available),
            ("GET", BASE, "domains/details-by-name.json", self._details),
            ("GET", BASE, "domains/orderid.json", self._orderid),
            ("POST", BASE, "domains/register.json", self._register),
            ("POST", BASE, "domains/renew.json", self._renew),
            ("GET", BASE, "billing/reseller-balance.json", self._balance),
        ):
            mock.add_callback(method, f"{base}/{path}", callback=self._wrap(path, handler))

    # ---- seeding, like FakeRegistrar -------------------------------------------------------------------------

    def add_ours(self, domain: str, *, expires: date, order_id: str = "", status: str = "Active") -> None:
        self._next += 1
        self.domains[domain] = {
            "orderid": order_id or str(self._next),
            "endtime": _epoch(expires),
            "status": status,
            "queued": [],
        }

    def add_taken(self, domain: str) -> None:
        self.taken.add(domain)

    def add_premium(self, domain: str, price: str) -> None:
        self.premium[domain] = Decimal(price)

    def time_out_after_success(self, op: str, domain: str) -> None:
        self.lose_reply.add((op, domain))

    def applied_count(self, op: str, domain: str) -> int:
        return self.applied[(op, domain)]

    def short_of_funds(self, short: bool = True) -> None:
        self.funds_short = short

    def hold_registrations(self, hold: bool = True) -> None:
        self.registrations_pending = hold

    def calls(self, path: str) -> int:
        return sum(1 for r in self.requests if r[1] == path)

    def add_funds(self) -> None:
        """The reseller tops up: every queued action runs, in order (each one that was accepted is charged)."""
        self.funds_short = False
        for name, entry in self.domains.items():
            for action in entry.pop("queued"):
                current = datetime.fromtimestamp(entry["endtime"], UTC).date()
                entry["endtime"] = _epoch(add_years(current, action["years"]))
                self.applied[("renew", name)] += 1
            entry["queued"] = []

    def set_balance(self, balance: str, *, locked: str = "0.00", currency: str = "NZD") -> None:
        self.funds = {"balance": Decimal(balance), "locked": Decimal(locked), "currency": currency}

    def activate(self, domain: str) -> None:
        self.domains[domain]["status"] = "Active"

    def set_status(self, domain: str, status: str) -> None:
        self.domains[domain]["status"] = status

    # ---- the API ---------------------------------------------------------------------------------------------

    def _wrap(self, path: str, handler: Callable[[dict[str, list[str]]], Reply]) -> Callable[[Any], Reply]:
        def callback(request: Any) -> Reply:
            if request.method == "GET":
                params = parse_qs(urlparse(request.url).query)
            else:
                params = parse_qs(request.body if isinstance(request.body, str) else request.body.decode())
            self.requests.append((request.method, path, params))
            if self.faults:
                fault = self.faults.pop(0)
                if isinstance(fault, Exception):
                    raise fault
                return fault
            if params.get("auth-userid") != [USER] or params.get("api-key") != [KEY]:
                return self._error("Invalid auth-userid or api-key.")
            if self.scripted.get(path):
                return self.scripted[path].pop(0)
            return handler(params)

        return callback

    def _available(self, p: dict[str, list[str]]) -> Reply:
        name = f"{p['domain-name'][0]}.{p['tlds'][0]}"
        ours = name in self.domains and self.domains[name]["status"] not in ("Deleted", "Archived")
        status = "regthroughus" if ours else "regthroughothers" if name in self.taken else "available"
        entry: dict[str, Any] = {"classkey": "dotnz", "status": status}
        if name in self.premium and status == "available":
            # A premium name answers available with a cost hash (WHMCS resellerclub_CheckAvailability reads
            # costHash create/renew/transfer and sellingCurrencySymbol).
            price = str(self.premium[name])
            entry["costHash"] = {"create": price, "renew": price, "transfer": price, "sellingCurrencySymbol": "USD"}
        return _ok({name: entry})

    def _details(self, p: dict[str, list[str]]) -> Reply:
        name = p["domain-name"][0]
        entry = self.domains.get(name)
        if entry is None:
            # WWW-LogicBoxes get_domain_by_name: m/^Website doesn't exist for/ means not in this account.
            return self._error(f"Website doesn't exist for {name}")
        body = {
            "orderid": entry["orderid"],
            "domainname": name,
            "currentstatus": entry["status"],
            "endtime": str(entry["endtime"]),
            "creationtime": "1700000000",
            "customerid": "777",
            "productkey": "dotnz",
            "isprivacyprotected": "false",
        }
        if entry["queued"]:
            # An action accepted and not completed shows as `actiontype` (WWW-LogicBoxes Domain/Factory.pm:
            # "RenewDomain - a domain is being renewed").
            body.update(actiontype="RenewDomain", actiontypedesc=f"Renewal of {name}", eaqid=entry["queued"][0]["eaq"])
        return _ok(body)

    def _orderid(self, p: dict[str, list[str]]) -> Reply:
        entry = self.domains.get(p["domain-name"][0])
        if entry is None:
            return self._error(f"No Entity found for Entityid: {p['domain-name'][0]}")
        return 200, {"Content-Type": "application/json"}, entry["orderid"]

    def _register(self, p: dict[str, list[str]]) -> Reply:
        name, years = p["domain-name"][0], int(p["years"][0])
        for required in (
            "customer-id",
            "reg-contact-id",
            "admin-contact-id",
            "tech-contact-id",
            "billing-contact-id",
            "invoice-option",
            "auto-renew",  # listed as required in KB 752 "Register"
        ):
            if required not in p:
                return self._error(f"Required parameter missing: {required}")
        tld = name.partition(".")[2]
        if tld.rpartition(".")[2] in MINUS_ONE:
            for role in ("admin", "tech", "billing"):
                if p[f"{role}-contact-id"] != ["-1"]:
                    # Error text as WWW-LogicBoxes matches it for contact ids ({admincontactid=... is invalid}).
                    return self._error(f"{{{role}contactid={role}contactid is invalid}}")
        attrs = _attributes(p)
        if tld in NEEDS_TNC and attrs.get("tnc") != "y":
            return self._error(f"The registry terms (attr tnc) must be accepted to register .{tld}")
        gone = name in self.domains and self.domains[name]["status"] in ("Deleted", "Archived")
        if (name in self.domains and not gone) or name in self.taken:
            return self._error(f"Domain is not available: {name} is In use")
        price = Decimal(15)
        if name in self.premium:
            # WHMCS registers a premium name with attr premium=true; without it the order is refused.
            if attrs.get("premium") != "true":
                return self._error(f"{name} is a premium domain name")
            price = self.premium[name]
        self._next += 1
        self.domains[name] = {
            "orderid": str(self._next),
            "endtime": _epoch(add_years(self.clock().date(), years)),
            "status": "InActive" if self.registrations_pending else "Active",
            "queued": [],
        }
        self.applied[("register", name)] += 1
        self._maybe_lose("register", name)
        return _ok(
            {
                "description": name,
                "entityid": str(self._next),
                "actiontype": "AddNewDomain",
                "actiontypedesc": f"Registration of {name} for {years} years",
                "actionstatus": "Success",
                "actionstatusdesc": "Domain registration completed Successfully",
                "eaqid": "1",
                "sellingcurrencysymbol": "NZD",
                "sellingamount": f"-{price * years}",
                "unutilisedsellingamount": f"-{price * years}",
                "customerid": p["customer-id"][0],
            }
        )

    def _renew(self, p: dict[str, list[str]]) -> Reply:
        for required in ("exp-date", "auto-renew", "invoice-option"):  # KB 746 "Renew" lists them as required
            if required not in p:
                return self._error(f"Required parameter missing: {required}")
        order_id, years = p["order-id"][0], int(p["years"][0])
        name = next((d for d, e in self.domains.items() if e["orderid"] == order_id), None)
        if name is None:
            return self._error(f"No Entity found for Entityid: {order_id}")
        entry = self.domains[name]
        if int(p["exp-date"][0]) != entry["endtime"]:
            return self._error("The expiry date you have provided does not match the current expiry date of the domain")
        if self.funds_short:
            # Accepted and queued until the account has funds: the reply carries an `error` key and no actionstatus
            # (WHMCS resellerclub_RenewDomain: "Renewal order placed. ... if / when sufficient funds are available
            # in the reseller account"). A second one is queued just the same: both run, and both are charged.
            self._eaq += 1
            entry["queued"].append({"years": years, "eaq": str(self._eaq)})
            return _ok(
                {
                    "description": name,
                    "entityid": order_id,
                    "eaqid": str(self._eaq),
                    "actiontype": "RenewDomain",
                    "error": "Insufficient funds in your account. The renewal will be executed.",
                }
            )
        current = datetime.fromtimestamp(entry["endtime"], UTC).date()
        entry["endtime"] = _epoch(add_years(current, years))
        self.applied[("renew", name)] += 1
        self._maybe_lose("renew", name)
        return _ok(
            {
                "description": name,
                "entityid": order_id,
                "actiontype": "RenewDomain",
                "actionstatus": "Success",
                "actionstatusdesc": "Domain renewed successfully",
                "sellingcurrencysymbol": "NZD",
                "sellingamount": f"-{15 * years}.000",
            }
        )

    def _balance(self, p: dict[str, list[str]]) -> Reply:
        # LogicBoxes KB 1110 "Getting a Sub-Reseller's Available Balance": GET billing/reseller-balance.json,
        # reseller-id required; a hash map of sellingcurrencysymbol, sellingcurrencybalance and
        # sellingcurrencylockedbalance, or the ERROR shape. Numbers as JSON numbers, as go clients decode them.
        if p.get("reseller-id") != [USER]:
            return self._error("Invalid reseller-id")
        return _ok(
            {
                "sellingcurrencysymbol": self.funds["currency"],
                "sellingcurrencybalance": float(self.funds["balance"]),
                "sellingcurrencylockedbalance": float(self.funds["locked"]),
            }
        )

    def _maybe_lose(self, op: str, name: str) -> None:
        if (op, name) in self.lose_reply:
            self.lose_reply.discard((op, name))
            raise requests.ReadTimeout("read timed out")

    def _error(self, message: str) -> Reply:
        # Their documented error shape, {"status":"ERROR","message":...} (public fixtures show it with HTTP 500);
        # the other shape, {"status":"error","error":...}, is handled by WWW-LogicBoxes and FOSSBilling alike.
        if self.error_style == "error":
            return 500, {"Content-Type": "application/json"}, json.dumps({"status": "error", "error": message})
        return 500, {"Content-Type": "application/json"}, json.dumps({"status": "ERROR", "message": message})


def _attributes(p: dict[str, list[str]]) -> dict[str, str]:
    """attr-nameN / attr-valueN pairs (KB 752), N from 1."""
    out = {}
    for key, names in p.items():
        if key.startswith("attr-name"):
            values = p.get("attr-value" + key.removeprefix("attr-name"), [""])
            out[names[0]] = values[0]
    return out


def _ok(body: Any) -> Reply:
    return 200, {"Content-Type": "application/json"}, json.dumps(body)
