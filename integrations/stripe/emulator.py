"""`StripeEmulator`: a stateful Stripe for the part of its API the worker reads, on loopback or behind `responses`.

It keeps charges, refunds, balance transactions and payouts, and answers GET /v1/payouts, GET /v1/payouts/{id} and
GET /v1/balance_transactions (with `payout=`) in Stripe's documented shapes. Sources, beside each behaviour:
- objects: docs.stripe.com/api/payouts/object, /api/balance_transactions/object, /api/charges/object;
- lists: newest first, `limit` 1..100 (default 10), `starting_after`, `has_more` (docs.stripe.com/api/pagination);
- `expand[]=data.source` replaces each `source` id with its object (docs.stripe.com/api/expanding_objects);
- `payout=` returns only transactions paid out in that automatic payout, the payout's own transaction included
  (docs.stripe.com/payouts/reconciliation; /api/balance_transactions/list);
- amounts in the currency's smallest unit, currency codes in lower case (docs.stripe.com/currencies);
- errors as {"error": {"type", "message", "code", "param"}}; 401 for a bad key, 404 resource_missing, 429 rate_limit
  (docs.stripe.com/api/errors, /rate-limits).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from rules.money import Money

Json = dict[str, Any]
# Currencies without minor units (docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)


def to_minor(money: Money) -> int:
    """Money in Stripe's integer amount: cents, or whole units for a zero-decimal currency."""
    places = 0 if money.currency.lower() in ZERO_DECIMAL else 2
    return int((money.amount * (10**places)).to_integral_value())


def from_minor(amount: int, currency: str) -> Money:
    places = 0 if currency.lower() in ZERO_DECIMAL else 2
    return Money(amount=Decimal(amount).scaleb(-places), currency=currency.upper())


def _stamp(day: date | datetime) -> int:
    if not isinstance(day, datetime):
        day = datetime.combine(day, time(), UTC)
    return int(day.timestamp())


@dataclass
class StripeEmulator:
    """Seed with `charge`, `refund` and `pay_out`; read through the official `stripe` package pointed at `serve()`'s
    URL, or register it on a `responses.RequestsMock` with `mount`."""

    api_key: str = "sk_test_emulator"
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    objects: dict[str, Json] = field(default_factory=dict)  # id -> charge, refund or payout
    transactions: list[Json] = field(default_factory=list)  # balance transactions, oldest first
    requests: list[str] = field(default_factory=list)  # "GET /v1/payouts?..." as received
    rate_limit_next: int = 0  # answer this many requests with 429
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- seeding --------------------------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}{secrets.token_hex(6)}"

    def charge(self, gross: Money, fee: Money, *, at: datetime, payment_intent: str = "", description: str = "") -> str:
        """A succeeded card charge and its balance transaction (type charge, fee as Stripe's processing fee)."""
        with self._lock:
            charge_id = self._id("ch")
            txn_id = self._id("txn")
            currency = gross.currency.lower()
            self.objects[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": to_minor(gross),
                "amount_captured": to_minor(gross),
                "amount_refunded": 0,
                "balance_transaction": txn_id,
                "captured": True,
                "created": _stamp(at),
                "currency": currency,
                "description": description or None,
                "livemode": False,
                "paid": True,
                "payment_intent": payment_intent or None,
                "refunded": False,
                "status": "succeeded",
            }
            self._transaction(txn_id, "charge", "charge", charge_id, gross, fee, at, description or "Payment")
            return charge_id

    def refund(self, charge_id: str, amount: Money, *, at: datetime) -> str:
        """A refund of (part of) a charge: a negative balance transaction (type refund) with no fee."""
        with self._lock:
            refund_id = self._id("re")
            txn_id = self._id("txn")
            self.objects[refund_id] = {
                "id": refund_id,
                "object": "refund",
                "amount": to_minor(amount),
                "balance_transaction": txn_id,
                "charge": charge_id,
                "created": _stamp(at),
                "currency": amount.currency.lower(),
                "status": "succeeded",
            }
            zero = Money.zero(amount.currency)
            self._transaction(txn_id, "refund", "refund", refund_id, -amount, zero, at, "REFUND FOR CHARGE")
            return refund_id

    def _transaction(
        self, txn_id: str, kind: str, category: str, source: str, gross: Money, fee: Money, at: datetime, text: str
    ) -> Json:
        currency = gross.currency.lower()
        txn: Json = {
            "id": txn_id,
            "object": "balance_transaction",
            "amount": to_minor(gross),
            "available_on": _stamp(at),
            "created": _stamp(at),
            "currency": currency,
            "description": text,
            "exchange_rate": None,
            "fee": to_minor(fee),
            "fee_details": (
                [
                    {
                        "amount": to_minor(fee),
                        "application": None,
                        "currency": currency,
                        "description": "Stripe processing fees",
                        "type": "stripe_fee",
                    }
                ]
                if fee.amount
                else []
            ),
            "net": to_minor(gross - fee),
            "reporting_category": category,
            "source": source,
            "status": "available",
            "type": kind,
            "_payout": None,  # which payout carried it (the emulator's own bookkeeping; never sent)
        }
        self.transactions.append(txn)
        return txn

    def pay_out(
        self, *, arrival: date, only: list[str] | None = None, status: str = "paid", automatic: bool = True
    ) -> str:
        """An automatic payout of every available transaction not paid out yet (or of the charges/refunds in `only`),
        with the payout's own negative transaction (type payout)."""
        with self._lock:
            chosen = [
                t
                for t in self.transactions
                if t["_payout"] is None and t["type"] != "payout" and (only is None or t["source"] in only)
            ]
            if not chosen:
                raise ValueError("nothing to pay out")
            currency = chosen[0]["currency"]
            net = sum(int(t["net"]) for t in chosen)
            payout_id = self._id("po")
            own = self._transaction(
                self._id("txn"),
                "payout",
                "payout",
                payout_id,
                from_minor(-net, currency),
                Money.zero(currency.upper()),
                self.clock(),
                "STRIPE PAYOUT",
            )
            for t in (*chosen, own):
                t["_payout"] = payout_id
            self.objects[payout_id] = {
                "id": payout_id,
                "object": "payout",
                "amount": net,
                "arrival_date": _stamp(arrival),
                "automatic": automatic,
                "balance_transaction": own["id"],
                "created": _stamp(self.clock()),
                "currency": currency,
                "description": "STRIPE PAYOUT",
                "destination": "ba_emulated",
                "failure_balance_transaction": None,
                "failure_code": None,
                "failure_message": None,
                "livemode": False,
                "metadata": {},
                "method": "standard",
                "original_payout": None,
                "reversed_by": None,
                "source_type": "card",
                "statement_descriptor": None,
                "status": status,
                "type": "bank_account",
            }
            return payout_id

    # ---- the HTTP side ----------------------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: dict[str, str]) -> tuple[int, Json]:
        """One request as Stripe would answer it: (status, JSON body)."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        with self._lock:
            self.requests.append(f"{method} {parts.path}?{parts.query}")
            if headers.get("Authorization", "") != f"Bearer {self.api_key}":
                return 401, _error("invalid_request_error", "Invalid API Key provided", code="api_key_invalid")
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return 429, _error("invalid_request_error", "Request rate limit exceeded.", code="rate_limit")
            if method != "GET":
                return 405, _error("invalid_request_error", f"Unrecognized request URL ({method}: {parts.path}).")
            args: dict[str, list[str]] = {}
            for key, value in query:
                args.setdefault(re.sub(r"\[\d+\]$", "[]", key), []).append(value)
            if parts.path == "/v1/balance_transactions":
                return self._balance_transactions(args)
            if parts.path == "/v1/payouts":
                return self._payouts(args)
            found = re.fullmatch(r"/v1/payouts/([A-Za-z0-9_]+)", parts.path)
            if found:
                payout = self.objects.get(found.group(1))
                if payout is None or payout["object"] != "payout":
                    return 404, _error(
                        "invalid_request_error",
                        f"No such payout: '{found.group(1)}'",
                        code="resource_missing",
                        param="id",
                    )
                return 200, dict(payout)
            return 404, _error("invalid_request_error", f"Unrecognized request URL (GET: {parts.path}).")

    def _page(self, path: str, items: list[Json], args: dict[str, list[str]]) -> tuple[int, Json]:
        try:
            limit = int(args.get("limit", ["10"])[0])
        except ValueError:
            return 400, _error("invalid_request_error", "Invalid integer: limit", param="limit")
        if not 1 <= limit <= 100:
            return 400, _error("invalid_request_error", "This value must be between 1 and 100.", param="limit")
        newest_first = list(reversed(items))
        after = args.get("starting_after", [""])[0]
        if after:
            ids = [i["id"] for i in newest_first]
            if after not in ids:
                return 404, _error("invalid_request_error", f"No such object: '{after}'", code="resource_missing")
            newest_first = newest_first[ids.index(after) + 1 :]
        page = newest_first[:limit]
        return 200, {"object": "list", "url": path, "has_more": len(newest_first) > limit, "data": page}

    def _balance_transactions(self, args: dict[str, list[str]]) -> tuple[int, Json]:
        payout = args.get("payout", [""])[0]
        chosen = self.transactions
        if payout:
            target = self.objects.get(payout)
            if target is None or target["object"] != "payout":
                return 404, _error(
                    "invalid_request_error", f"No such payout: '{payout}'", code="resource_missing", param="payout"
                )
            if not target["automatic"]:
                return 400, _error(
                    "invalid_request_error",
                    "Balance transaction history can only be filtered on automatic transfers, not manual.",
                    param="payout",
                )
            chosen = [t for t in self.transactions if t["_payout"] == payout]
        expand = "data.source" in args.get("expand[]", [])
        out = []
        for t in chosen:
            shown = {k: v for k, v in t.items() if not k.startswith("_")}
            if expand and isinstance(shown["source"], str) and shown["source"] in self.objects:
                shown["source"] = dict(self.objects[shown["source"]])
            out.append(shown)
        return self._page("/v1/balance_transactions", out, args)

    def _payouts(self, args: dict[str, list[str]]) -> tuple[int, Json]:
        payouts = [o for o in self.objects.values() if o["object"] == "payout"]
        payouts.sort(key=lambda p: (p["created"], p["id"]))
        since = args.get("arrival_date[gte]", [""])[0]
        if since:
            payouts = [p for p in payouts if p["arrival_date"] >= int(since)]
        status = args.get("status", [""])[0]
        if status:
            payouts = [p for p in payouts if p["status"] == status]
        return self._page("/v1/payouts", [dict(p) for p in payouts], args)

    # ---- serving ---------------------------------------------------------------------------------------------

    def mount(self, rsps: Any, base: str = "https://api.stripe.com") -> None:
        """Answer Stripe's API host on a `responses.RequestsMock` from this emulator's state."""

        def reply(request: Any) -> tuple[int, dict[str, str], str]:
            status, body = self.handle(request.method, request.url, dict(request.headers))
            return status, {"Request-Id": f"req_{secrets.token_hex(7)}"}, json.dumps(body)

        rsps.add_callback(
            "GET", re.compile(re.escape(base) + r"/v1/.*"), callback=reply, content_type="application/json"
        )

    @contextmanager
    def serve(self) -> Iterator[str]:
        """A loopback HTTP server for this emulator (the demo's Stripe); yields its base URL."""
        from werkzeug.serving import WSGIRequestHandler, make_server
        from werkzeug.wrappers import Request, Response

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            request = Request(environ)
            status, body = self.handle(request.method, request.url, dict(request.headers))
            return Response(json.dumps(body), status=status, content_type="application/json")(environ, start_response)

        class Quiet(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                return  # the emulator keeps `requests` itself

        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)


def _error(kind: str, message: str, *, code: str = "", param: str = "") -> Json:
    error: Json = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}
