"""A stateful stand-in for the LogicBoxes / ResellerClub HTTP API on `responses`: the documented request
parameters and JSON replies (including `{"status":"ERROR","message":...}` bodies with HTTP 500), so the real
`LogicBoxesRegistrar` runs against it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
import responses

from integrations.registrar.terms import add_years

BASE = "https://test.httpapi.com/api"
USER, KEY = "4242", "s3cret-key"
Reply = tuple[int, dict[str, str], str]


def _epoch(day: date) -> int:
    # Their endtime carries a time of day; the adapter must echo it exactly as exp-date.
    return int(datetime.combine(day, time(10, 23, 45), UTC).timestamp())


class LogicBoxesEmulator:
    def __init__(self, mock: responses.RequestsMock, *, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.domains: dict[str, dict[str, Any]] = {}  # ours: name -> {"orderid", "endtime"}
        self.taken: set[str] = set()
        self.applied: Counter[tuple[str, str]] = Counter()
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.lose_reply: set[tuple[str, str]] = set()
        self.faults: list[Reply | Exception] = []
        self._next = 562990
        for method, path, handler in (
            ("GET", "domains/available.json", self._available),
            ("GET", "domains/details-by-name.json", self._details),
            ("GET", "domains/orderid.json", self._orderid),
            ("POST", "domains/register.json", self._register),
            ("POST", "domains/renew.json", self._renew),
        ):
            mock.add_callback(method, f"{BASE}/{path}", callback=self._wrap(path, handler))

    # ---- seeding, like FakeRegistrar -------------------------------------------------------------------------

    def add_ours(self, domain: str, *, expires: date, order_id: str = "") -> None:
        self._next += 1
        self.domains[domain] = {"orderid": order_id or str(self._next), "endtime": _epoch(expires)}

    def add_taken(self, domain: str) -> None:
        self.taken.add(domain)

    def time_out_after_success(self, op: str, domain: str) -> None:
        self.lose_reply.add((op, domain))

    def applied_count(self, op: str, domain: str) -> int:
        return self.applied[(op, domain)]

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
                return _error("Invalid auth-userid or api-key.")
            return handler(params)

        return callback

    def _available(self, p: dict[str, list[str]]) -> Reply:
        name = f"{p['domain-name'][0]}.{p['tlds'][0]}"
        status = "regthroughus" if name in self.domains else "regthroughothers" if name in self.taken else "available"
        return _ok({name: {"classkey": "dotnz", "status": status}})

    def _details(self, p: dict[str, list[str]]) -> Reply:
        name = p["domain-name"][0]
        entry = self.domains.get(name)
        if entry is None:
            return _error(f"Website doesn't exist for {name}")
        return _ok(
            {
                "orderid": entry["orderid"],
                "domainname": name,
                "currentstatus": "Active",
                "endtime": str(entry["endtime"]),
                "creationtime": "1700000000",
                "customerid": "777",
                "productkey": "dotnz",
                "isprivacyprotected": "false",
            }
        )

    def _orderid(self, p: dict[str, list[str]]) -> Reply:
        entry = self.domains.get(p["domain-name"][0])
        if entry is None:
            return _error(f"No Entity found for Entityid: {p['domain-name'][0]}")
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
        ):
            if required not in p:
                return _error(f"Required parameter missing: {required}")
        if name in self.domains or name in self.taken:
            return _error(f"Domain is not available: {name} is In use")
        self._next += 1
        self.domains[name] = {"orderid": str(self._next), "endtime": _epoch(add_years(self.clock().date(), years))}
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
                "sellingamount": f"-{15 * years}.000",
                "unutilisedsellingamount": f"-{15 * years}.000",
                "customerid": p["customer-id"][0],
            }
        )

    def _renew(self, p: dict[str, list[str]]) -> Reply:
        if "exp-date" not in p:
            return _error("Required parameter missing: exp-date")
        order_id, years = p["order-id"][0], int(p["years"][0])
        name = next((d for d, e in self.domains.items() if e["orderid"] == order_id), None)
        if name is None:
            return _error(f"No Entity found for Entityid: {order_id}")
        entry = self.domains[name]
        if int(p["exp-date"][0]) != entry["endtime"]:
            return _error("The expiry date you have provided does not match the current expiry date of the domain")
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

    def _maybe_lose(self, op: str, name: str) -> None:
        if (op, name) in self.lose_reply:
            self.lose_reply.discard((op, name))
            raise requests.ReadTimeout("read timed out")


def _ok(body: Any) -> Reply:
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


def _error(message: str) -> Reply:
    # Their documented error shape; public fixtures show it with HTTP 500.
    return 500, {"Content-Type": "application/json"}, json.dumps({"status": "ERROR", "message": message})
