"""`XeroSandbox`: a stateful Xero on loopback that holds every request and response to Xero's own OpenAPI documents.

    with XeroSandbox() as sb:
        sb.base_url            # http://127.0.0.1:<port>; token endpoint at /connect/token
        sb.rate_limit_next("day", retry_after=3600)
        sb.fail_next(500); sb.slow_next(2.0, apply_first=True)

Contract violations (by us or by the sandbox itself) are answered with 400/500 and kept in `violations`.
Faults and seeding are also reachable over HTTP under /_sandbox/ for a demo running in another process.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import structlog
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from integrations.xero.dates import add_months
from integrations.xero.sandbox import banking, spec
from integrations.xero.sandbox.books import BookError, Books, Json, Record, parse_date, where_matches

log = structlog.get_logger(__name__)

ACCOUNTING = "/api.xro/2.0"
FINANCE = "/finance.xro/1.0"
PAGE_SIZE = 100
FINANCE_SCOPE = "finance.bankstatementsplus.read"
DEFAULT_SANDBOX_SCOPES = (
    "accounting.invoices",
    "accounting.payments",
    "accounting.banktransactions.read",
    "accounting.contacts",
    "accounting.settings.read",
    FINANCE_SCOPE,
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Fault:
    """One planned misbehaviour for the next matching call(s)."""

    kind: str  # status | rate_limit | slow
    method: str = ""  # "" matches any
    path: str = ""  # a substring of the path; "" matches any
    times: int = 1
    status: int = 500
    limit: str = "minute"
    retry_after: int = 2
    seconds: float = 0.0
    apply_first: bool = False  # slow: apply the write, then be slow (the client times out after Xero applied it)

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method.upper() == method) and self.path in path


@dataclass
class Grant:
    access_token: str
    expires_at: datetime
    scopes: tuple[str, ...]
    refresh_token: str = ""


@dataclass
class Call:
    method: str
    path: str
    status: int
    idempotency_key: str = ""


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class XeroSandbox:
    """Start with `with XeroSandbox() as sb` or `start()`/`stop()`; state lives in `books`."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utc_now,
        client_id: str = "sandbox-client",
        client_secret: str = "sandbox-secret",
        scopes: Iterable[str] = DEFAULT_SANDBOX_SCOPES,
        token_seconds: int = 1800,
        minute_limit: int = 60,
        day_limit: int = 5000,
        app_minute_limit: int = 10_000,
        validate: bool = True,
        require_tenant: bool = False,
        port: int = 0,
    ) -> None:
        self.clock = clock
        self.books = Books(clock=clock)
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = tuple(scopes)
        self.token_seconds = token_seconds
        self.minute_limit = minute_limit
        self.day_limit = day_limit
        self.app_minute_limit = app_minute_limit
        self.validate = validate
        self.require_tenant = require_tenant
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most API calls seen at once
        self.refuse_tokens = False  # answer 401 to every API call, as when the connection was revoked
        self.violations: list[str] = []
        self.grants: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, tuple[Grant, datetime | None]] = {}  # token -> grant, retired-at
        self.codes: dict[str, tuple[str, ...]] = {}
        self.token_requests: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._token_delays: list[float] = []
        self._replies: dict[str, _Reply] = {}
        self._minute: deque[float] = deque()
        self._day_used = 0
        self._lock = threading.RLock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._port = port

    @property
    def lock(self) -> threading.RLock:
        """Held while a request is served; hold it to change the books from outside (seeding a demo)."""
        return self._lock

    # ---- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> XeroSandbox:
        for name in spec.SPECS:  # load the documents before the first call, not inside a client's timeout
            spec.spec(name)
        self._server = make_server("127.0.0.1", self._port, self, threaded=True, request_handler=_QuietHandler)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="xero-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> XeroSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def tenant_id(self) -> str:
        return self.books.tenant_id

    # ---- fault controls -----------------------------------------------------------------------------------

    def fail_next(self, status: int = 500, *, method: str = "", path: str = "", times: int = 1) -> None:
        with self._lock:
            self._faults.append(Fault(kind="status", status=status, method=method, path=path, times=times))

    def rate_limit_next(
        self, limit: str = "minute", *, retry_after: int = 2, method: str = "", path: str = "", times: int = 1
    ) -> None:
        """429 with Retry-After and X-Rate-Limit-Problem `limit` (minute, day, appminute)."""
        with self._lock:
            self._faults.append(
                Fault(kind="rate_limit", limit=limit, retry_after=retry_after, method=method, path=path, times=times)
            )

    def slow_next(
        self, seconds: float, *, apply_first: bool = False, method: str = "", path: str = "", times: int = 1
    ) -> None:
        """Answer `seconds` late; with `apply_first` the write is applied (and its reply kept) before the wait."""
        with self._lock:
            self._faults.append(
                Fault(kind="slow", seconds=seconds, apply_first=apply_first, method=method, path=path, times=times)
            )

    def slow_token_next(self, seconds: float) -> None:
        """The next token request is granted, then answered `seconds` late (a lost refresh response)."""
        with self._lock:
            self._token_delays.append(seconds)

    def expire_tokens(self) -> None:
        """Every access token stops working now, as if 30 minutes had passed."""
        with self._lock:
            for grant in self.grants.values():
                grant.expires_at = self.clock() - timedelta(seconds=1)

    @contextmanager
    def spread_over_time(self) -> Iterator[None]:
        """Calls made inside stand for calls made over weeks (a demo's history): they count towards the day, but
        leave the per-minute window as it was before."""
        with self._lock:
            before = deque(self._minute)
            limit, self.minute_limit = self.minute_limit, 10**9
        try:
            yield
        finally:
            with self._lock:
                self._minute, self.minute_limit = before, limit

    def count(self, method: str = "", path: str = "") -> int:
        """Calls to the APIs (not the token endpoint or controls), optionally by method and path substring."""
        with self._lock:
            return sum(1 for c in self.calls if (not method or c.method == method.upper()) and path in c.path)

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()
            self.token_requests.clear()

    def authorize_url(self, *, redirect_uri: str, state: str, scopes: Iterable[str]) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(scopes),
                "state": state,
            }
        )
        return f"{self.base_url}/identity/connect/authorize?{query}"

    # ---- WSGI ---------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except Exception as exc:  # a sandbox bug must show as a 500 and a violation, never kill the thread
            log.exception("sandbox_error")
            self.violations.append(f"sandbox error on {request.method} {request.path}: {exc!r}")
            response = Response(json.dumps({"Message": "sandbox error"}), status=500, content_type="application/json")
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_sandbox/"):
            return self._control(request)
        if path == "/connect/token":
            return self._token(request)
        if path == "/identity/connect/authorize":
            return self._authorize(request)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._api(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    # ---- identity -----------------------------------------------------------------------------------------

    def _issue(self, scopes: tuple[str, ...], *, refresh: bool) -> Grant:
        grant = Grant(
            access_token=secrets.token_urlsafe(24),
            expires_at=self.clock() + timedelta(seconds=self.token_seconds),
            scopes=scopes,
            refresh_token=secrets.token_urlsafe(24) if refresh else "",
        )
        self.grants[grant.access_token] = grant
        if grant.refresh_token:
            self.refresh_tokens[grant.refresh_token] = (grant, None)
        return grant

    def _token(self, request: Request) -> Response:
        form = request.form
        grant_type = form.get("grant_type", "")
        self.token_requests[grant_type] += 1
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if request.authorization is not None and request.authorization.type == "basic":
            client_id = request.authorization.username or ""
            client_secret = request.authorization.password or ""
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return _json({"error": "invalid_client"}, 400)
        with self._lock:
            if grant_type == "client_credentials":
                grant = self._issue(tuple(s for s in self.scopes if s != "offline_access"), refresh=False)
            elif grant_type == "authorization_code":
                scopes = self.codes.pop(form.get("code", ""), None)
                if scopes is None:
                    return _json({"error": "invalid_grant"}, 400)
                grant = self._issue(scopes, refresh="offline_access" in scopes)
            elif grant_type == "refresh_token":
                old = self.refresh_tokens.get(form.get("refresh_token", ""))
                now = self.clock()
                # Rotation: the old token keeps working for a 30-minute grace window after its first use.
                if old is None or (old[1] is not None and now - old[1] > timedelta(minutes=30)):
                    return _json({"error": "invalid_grant"}, 400)
                prior, retired = old
                if retired is None:
                    self.refresh_tokens[form.get("refresh_token", "")] = (prior, now)
                grant = self._issue(prior.scopes, refresh=True)
            else:
                return _json({"error": "unsupported_grant_type"}, 400)
        body: Json = {
            "access_token": grant.access_token,
            "expires_in": self.token_seconds,
            "token_type": "Bearer",
            "scope": " ".join(grant.scopes),
        }
        if grant.refresh_token:
            body["refresh_token"] = grant.refresh_token
        with self._lock:
            delay = self._token_delays.pop(0) if self._token_delays else 0.0
        if delay:
            time.sleep(delay)
        return _json(body, 200)

    def _authorize(self, request: Request) -> Response:
        """The consent screen, always consenting: redirects back with a one-time code."""
        args = request.args
        if args.get("client_id") != self.client_id or not args.get("redirect_uri"):
            return _json({"error": "invalid_request"}, 400)
        code = secrets.token_urlsafe(16)
        with self._lock:
            self.codes[code] = tuple(args.get("scope", "").split())
        target = f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args.get('state', '')})}"
        return Response(status=302, headers={"Location": target})

    # ---- the APIs -----------------------------------------------------------------------------------------

    def _rate_headers(self) -> dict[str, str]:
        now = time.monotonic()
        while self._minute and now - self._minute[0] > 60:
            self._minute.popleft()
        return {
            "X-MinLimit-Remaining": str(max(self.minute_limit - len(self._minute), 0)),
            "X-DayLimit-Remaining": str(max(self.day_limit - self._day_used, 0)),
            "X-AppMinLimit-Remaining": str(max(self.app_minute_limit - len(self._minute), 0)),
        }

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _api(self, request: Request) -> Response:
        method, path = request.method.upper(), request.path
        key = request.headers.get("Idempotency-Key", "")
        name = spec.spec_for(path)
        body = request.get_data()
        spec_request = spec.make_request(
            path,
            method,
            ImmutableMultiDict(list(request.args.items(multi=True))),
            Headers(request.headers),
            request.mimetype or "",
            body,
        )
        with self._lock:
            grant = self._grant(request)
            if isinstance(grant, Response):
                self.calls.append(Call(method, path, grant.status_code, key))
                return grant
            fault = self._take_fault(method, path)
            self._minute.append(time.monotonic())
            self._day_used += 1
            limits = self._rate_headers()
            if fault is None and int(limits["X-MinLimit-Remaining"]) <= 0:
                fault = Fault(kind="rate_limit", limit="minute", retry_after=60)
            if fault is None and int(limits["X-DayLimit-Remaining"]) <= 0:
                fault = Fault(kind="rate_limit", limit="day", retry_after=3600)
            if fault is not None and fault.kind == "rate_limit":
                self.calls.append(Call(method, path, 429, key))
                return _json(
                    {"Title": "Too Many Requests", "Status": 429},
                    429,
                    {**limits, "Retry-After": str(fault.retry_after), "X-Rate-Limit-Problem": fault.limit},
                )
            if fault is not None and fault.kind == "status":
                self.calls.append(Call(method, path, fault.status, key))
                return _json({"Title": "Internal Server Error", "Status": fault.status}, fault.status, limits)
            late_and_unapplied = fault is not None and fault.kind == "slow" and not fault.apply_first
            if late_and_unapplied and method in ("PUT", "POST", "PATCH"):
                self.calls.append(Call(method, path, 504, key))
        if late_and_unapplied and fault is not None and method in ("PUT", "POST", "PATCH"):
            # Plain slow on a write: the answer is late and Xero gave up without applying anything.
            time.sleep(fault.seconds)
            return _json({"Title": "Gateway Timeout", "Status": 504}, 504, limits)
        with self._lock:
            if self.validate and name is not None:
                problem = spec.request_problem(name, spec_request)
                if problem is not None:
                    self.violations.append(f"request {method} {path}: {problem}")
                    self.calls.append(Call(method, path, 400, key))
                    return _json(_validation_error(f"request breaks Xero's contract: {problem}"), 400, limits)
            if key and key in self._replies and method in ("PUT", "POST", "PATCH"):
                reply = self._replies[key]  # a replay returns the first response, without applying again
            else:
                reply = self._route(request, method, path, grant)
                if key and method in ("PUT", "POST", "PATCH") and reply.status < 500:
                    self._replies[key] = reply
            self.calls.append(Call(method, path, reply.status, key))
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        response = _json(
            reply.body, reply.status, {**limits, **reply.headers, "Xero-Correlation-Id": str(uuid.uuid4())}
        )
        if self.validate and name is not None:
            out = spec.SpecResponse(
                status_code=response.status_code,
                headers=Headers(response.headers),
                content_type=response.mimetype or "",
                data=response.get_data(),
            )
            problem = spec.response_problem(name, spec_request, out)
            if problem is not None:
                self.violations.append(f"response {method} {path}: {problem}")
                return _json({"Message": f"sandbox response breaks Xero's contract: {problem}"}, 500, limits)
        return response

    def _grant(self, request: Request) -> Grant | Response:
        auth = request.headers.get("Authorization", "")
        grant = self.grants.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None
        if grant is None or self.refuse_tokens:
            return _json({"Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"}, 401)
        if grant.expires_at <= self.clock():
            return _json(
                {
                    "Title": "Unauthorized",
                    "Status": 401,
                    "Detail": f"TokenExpired: token expired at {grant.expires_at:%m/%d/%Y %H:%M:%S}",
                },
                401,
            )
        tenant = request.headers.get("xero-tenant-id", "")
        scoped = not request.path.lower().startswith("/connections")
        if scoped and (tenant or self.require_tenant) and tenant != self.books.tenant_id:
            return _json({"Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"}, 403)
        return grant

    def _route(self, request: Request, method: str, path: str, grant: Grant) -> _Reply:
        try:
            if path == "/Connections" and method == "GET":
                return _Reply(200, [self._connection()])
            if path.startswith(FINANCE + "/BankStatementsPlus/statements") and method == "GET":
                if FINANCE_SCOPE not in grant.scopes:
                    return _Reply(
                        403,
                        {
                            "type": "forbidden",
                            "title": "Forbidden",
                            "status": 403,
                            "detail": "missing scope finance.bankstatementsplus.read",
                        },
                    )
                return self._statements(request)
            if not path.startswith(ACCOUNTING + "/"):
                return _Reply(404, {"Title": "Not Found", "Status": 404})
            parts = path[len(ACCOUNTING) + 1 :].split("/")
            handler = getattr(self, f"_{method.lower()}_{parts[0].lower()}", None)
            if handler is None:
                return _Reply(404, {"Title": "Not Found", "Status": 404, "Detail": f"no {method} {parts[0]}"})
            result: _Reply = handler(request, parts[1:])
            return result
        except BookError as exc:
            return _Reply(400, _validation_error(str(exc)))
        except LookupError:
            return _Reply(404, {"Title": "Not Found", "Status": 404})

    def _envelope(self, key: str, items: list[Json], **extra: Any) -> Json:
        return {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": "reseller-worker sandbox",
            "DateTimeUTC": f"/Date({int(self.clock().timestamp() * 1000)})/",
            key: items,
            **extra,
        }

    def _connection(self) -> Json:
        stamp = "2026-01-01T00:00:00Z"  # Xero omits the offset; its own document demands one
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.books.tenant_id)),
            "authEventId": str(uuid.uuid4()),
            "tenantId": self.books.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": self.books.name,
            "createdDateUtc": stamp,
            "updatedDateUtc": stamp,
        }

    def _select(self, request: Request, records: Iterable[Record], id_field: str) -> tuple[list[Json], Json]:
        """If-Modified-Since, where, IDs and paging, as Xero applies them; oldest change first."""
        since = _if_modified_since(request.headers.get("If-Modified-Since", ""))
        where = request.args.get("where", "")
        ids = {i.strip().lower() for i in request.args.get("IDs", "").split(",") if i.strip()}
        chosen = [
            r
            for r in sorted(records, key=lambda r: r.updated)
            if (since is None or r.updated > since)
            and where_matches(where, r.data)
            and (not ids or str(r.data.get(id_field, "")).lower() in ids)
        ]
        statuses = {s.strip().upper() for s in request.args.get("Statuses", "").split(",") if s.strip()}
        if statuses:
            chosen = [r for r in chosen if r.data.get("Status") in statuses]
        # GET Invoices: "ContactIDs: Filter by a comma-separated list of ContactIDs" (xero_accounting.yaml)
        contacts = {c.strip().lower() for c in request.args.get("ContactIDs", "").split(",") if c.strip()}
        if contacts:
            chosen = [r for r in chosen if str((r.data.get("Contact") or {}).get("ContactID", "")).lower() in contacts]
        page = request.args.get("page", type=int)
        if page is None:
            return [r.data for r in chosen], {}
        size = min(request.args.get("pageSize", PAGE_SIZE, type=int) or PAGE_SIZE, 1000)
        items = [r.data for r in chosen[(page - 1) * size : page * size]]
        total = len(chosen)
        meta = {
            "pagination": {
                "page": page,
                "pageSize": size,
                "pageCount": max((total + size - 1) // size, 1),
                "itemCount": total,
            }
        }
        return items, meta

    # Contacts
    def _get_contacts(self, request: Request, rest: list[str]) -> _Reply:
        if rest:
            want = rest[0]
            for r in self.books.contacts.values():
                if want.lower() in (str(r.data["ContactID"]).lower(), str(r.data.get("ContactNumber", "")).lower()):
                    return _Reply(200, self._envelope("Contacts", [r.data]))
            raise LookupError(want)
        contacts: Iterable[Record] = self.books.contacts.values()
        if request.args.get("includeArchived", "").lower() != "true":
            # "includeArchived=true - Contacts with a status of ARCHIVED will be included in the response" (OAS
            # GET /Contacts): without it they are not.
            contacts = [r for r in contacts if r.data.get("ContactStatus") != "ARCHIVED"]
        items, meta = self._select(request, contacts, "ContactID")
        return _Reply(200, self._envelope("Contacts", items, **meta))

    def _put_contacts(self, request: Request, rest: list[str]) -> _Reply:
        return self._batch(request, "Contacts", self.books.add_contact)

    def _post_contacts(self, request: Request, rest: list[str]) -> _Reply:
        if rest:
            items = (request.get_json(silent=True) or {}).get("Contacts") or [{}]
            return _Reply(200, self._envelope("Contacts", [self.books.update_contact(rest[0], items[0])]))
        return self._put_contacts(request, rest)

    # Organisation
    def _get_organisation(self, request: Request, rest: list[str]) -> _Reply:
        return _Reply(200, self._envelope("Organisations", [self.books.organisation()]))

    # Accounts
    def _get_accounts(self, request: Request, rest: list[str]) -> _Reply:
        where = request.args.get("where", "")
        items = [a for a in self.books.accounts.values() if where_matches(where, a)]
        return _Reply(200, self._envelope("Accounts", items))

    # Invoices and their history
    def _get_invoices(self, request: Request, rest: list[str]) -> _Reply:
        if len(rest) == 2 and rest[1].lower() == "history":
            rec = self.books.invoices.get(rest[0])
            if rec is None:
                raise LookupError(rest[0])
            return _Reply(200, {"HistoryRecords": list(rec.history)})
        if rest:
            rec = self.books.invoices.get(rest[0]) or next(
                (r for r in self.books.invoices.values() if r.data["InvoiceNumber"] == rest[0]), None
            )
            if rec is None:
                raise LookupError(rest[0])
            return _Reply(200, self._envelope("Invoices", [rec.data]))
        items, meta = self._select(request, self.books.invoices.values(), "InvoiceID")
        return _Reply(200, self._envelope("Invoices", items, **meta))

    def _put_invoices(self, request: Request, rest: list[str]) -> _Reply:
        if len(rest) == 2 and rest[1].lower() == "history":
            records = (request.get_json(silent=True) or {}).get("HistoryRecords") or []
            notes = [self.books.add_history(rest[0], str(r.get("Details", ""))) for r in records]
            return _Reply(200, {"HistoryRecords": notes})
        return self._batch(request, "Invoices", self.books.add_invoice)

    def _post_invoices(self, request: Request, rest: list[str]) -> _Reply:
        if rest and len(rest) == 1:  # update one invoice: the sandbox supports status changes only
            rec = self.books.invoices.get(rest[0])
            if rec is None:
                raise LookupError(rest[0])
            wanted = ((request.get_json(silent=True) or {}).get("Invoices") or [{}])[0].get("Status")
            if wanted in ("VOIDED", "DELETED", "AUTHORISED"):
                self.books.set_invoice_status(rest[0], wanted)
            return _Reply(200, self._envelope("Invoices", [rec.data]))
        return self._put_invoices(request, rest)

    # Payments
    def _get_payments(self, request: Request, rest: list[str]) -> _Reply:
        if rest:
            rec = self.books.payments.get(rest[0])
            if rec is None:
                raise LookupError(rest[0])
            return _Reply(200, self._envelope("Payments", [rec.data]))
        items, meta = self._select(request, self.books.payments.values(), "PaymentID")
        return _Reply(200, self._envelope("Payments", items, **meta))

    def _post_payments(self, request: Request, rest: list[str]) -> _Reply:
        body = request.get_json(silent=True) or {}
        if "Payments" in body:
            return self._batch(request, "Payments", self.books.add_payment)
        return _Reply(200, self._envelope("Payments", [self.books.add_payment(body)]))

    def _put_payments(self, request: Request, rest: list[str]) -> _Reply:
        return self._batch(request, "Payments", self.books.add_payment)

    # Repeating invoices
    def _get_repeatinginvoices(self, request: Request, rest: list[str]) -> _Reply:
        if rest:
            rec = self.books.repeating.get(rest[0])
            if rec is None:
                raise LookupError(rest[0])
            return _Reply(200, self._envelope("RepeatingInvoices", [self.books.schedule_now(rec)]))
        where = request.args.get("where", "")
        items = [self.books.schedule_now(r) for r in self.books.repeating.values() if where_matches(where, r.data)]
        return _Reply(200, self._envelope("RepeatingInvoices", items))

    def _put_repeatinginvoices(self, request: Request, rest: list[str]) -> _Reply:
        return self._batch(request, "RepeatingInvoices", self.books.put_repeating)

    def _post_repeatinginvoices(self, request: Request, rest: list[str]) -> _Reply:
        if rest:
            if rest[0] not in self.books.repeating:
                raise LookupError(rest[0])
            items = (request.get_json(silent=True) or {}).get("RepeatingInvoices") or [{}]
            data = self.books.put_repeating(items[0], repeating_id=rest[0])
            return _Reply(200, self._envelope("RepeatingInvoices", [data]))
        return self._batch(request, "RepeatingInvoices", self.books.put_repeating)

    # Bank transactions
    def _get_banktransactions(self, request: Request, rest: list[str]) -> _Reply:
        if rest:
            rec = self.books.bank_transactions.get(rest[0])
            if rec is None:
                raise LookupError(rest[0])
            return _Reply(200, self._envelope("BankTransactions", [rec.data]))
        items, meta = self._select(request, self.books.bank_transactions.values(), "BankTransactionID")
        return _Reply(200, self._envelope("BankTransactions", items, **meta))

    def _put_banktransactions(self, request: Request, rest: list[str]) -> _Reply:
        return self._batch(request, "BankTransactions", lambda bt: banking.create_bank_transaction(self.books, bt))

    _post_banktransactions = _put_banktransactions

    # Bank transfers (no paging in Xero's document; where, order and If-Modified-Since apply)
    def _get_banktransfers(self, request: Request, rest: list[str]) -> _Reply:
        if rest:
            rec = self.books.bank_transfers.get(rest[0])
            if rec is None:
                raise LookupError(rest[0])
            return _Reply(200, self._envelope("BankTransfers", [rec.data]))
        items, _meta = self._select(request, self.books.bank_transfers.values(), "BankTransferID")
        return _Reply(200, self._envelope("BankTransfers", items))

    def _put_banktransfers(self, request: Request, rest: list[str]) -> _Reply:
        # createBankTransfer takes no summarizeErrors: a bad transfer fails the call with a 400 (the worker sends one).
        items = (request.get_json(silent=True) or {}).get("BankTransfers") or []
        if not items:
            raise BookError("At least one bank transfer must be specified.")
        made = [banking.add_bank_transfer(self.books, t) for t in items]
        return _Reply(200, self._envelope("BankTransfers", made))

    def _batch(self, request: Request, key: str, add: Callable[[Json], Json]) -> _Reply:
        """Xero's batch write: with summarizeErrors=false each failed item carries its errors and the call is 200;
        by default (summarised) the first failure makes the whole call a 400 and nothing is kept."""
        body = request.get_json(silent=True) or {}
        items = body.get(key) or []
        summarize = request.args.get("summarizeErrors", "true").lower() != "false"
        out: list[Json] = []
        for item in items:
            try:
                saved = dict(add(item))
                saved["StatusAttributeString"] = "OK"
                out.append(saved)
            except BookError as exc:
                if summarize:
                    raise
                failed = {k: v for k, v in item.items() if isinstance(v, (str, int, float, bool, dict, list))}
                failed.update(HasErrors=True, StatusAttributeString="ERROR", ValidationErrors=[{"Message": str(exc)}])
                out.append(failed)
        return _Reply(200, self._envelope(key, out))

    def _statements(self, request: Request) -> _Reply:
        account_id = request.args.get("BankAccountID", "")
        start = parse_date(request.args.get("FromDate", ""))
        end = parse_date(request.args.get("ToDate", ""))
        if account_id != self.books.statement.get("bankAccountId") or start is None or end is None:
            return _Reply(
                400,
                {
                    "type": "invalid-request",
                    "title": "InvalidRequest",
                    "status": 400,
                    "detail": "unknown bank account or bad dates",
                },
            )
        # "If the end date is a future date, the request will be rejected" and "The maximum range of the query
        # period is 12 months" (OAS xero-finance ToDate, FromDate): future by the organisation's own date.
        if end.date() > self.books.today() or start.date() < add_months(end.date(), -12):
            return _Reply(
                400,
                {
                    "type": "invalid-request",
                    "title": "InvalidRequest",
                    "status": 400,
                    "detail": "the period must end today or earlier and span at most 12 months",
                },
            )
        lines = [
            {k: v for k, v in line.items() if not k.startswith("_")}
            for line in self.books.statement_lines
            if start.date().isoformat() <= str(line.get("postedDate", "")) <= end.date().isoformat()
        ]
        imported = max((line["_imported"] for line in self.books.statement_lines), default=self.clock())
        statement: Json = {
            "statementId": str(uuid.uuid5(uuid.NAMESPACE_URL, account_id)),
            "startDate": start.date().isoformat(),
            "endDate": end.date().isoformat(),
            "importedDateTimeUtc": imported.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "importSource": "BankFeed",
            "statementLines": lines,
        }
        body = {
            k: v
            for k, v in self.books.statement.items()
            if k in ("bankAccountId", "bankAccountName", "bankAccountCurrencyCode")
        }
        body["statements"] = [statement] if lines else []
        return _Reply(200, body)

    # ---- control API (for a demo in another process) ------------------------------------------------------

    def _control(self, request: Request) -> Response:
        what = request.path.removeprefix("/_sandbox/")
        data = request.get_json(silent=True) or {}
        if what == "calls" and request.method == "GET":
            with self._lock:
                return _json(
                    {
                        "calls": len(self.calls),
                        "violations": self.violations,
                        "by_path": dict(Counter(f"{c.method} {c.path}" for c in self.calls)),
                    },
                    200,
                )
        if what == "faults" and request.method == "POST":
            with self._lock:
                self._faults.append(Fault(**data))
            return _json({"ok": True}, 200)
        if what == "seed" and request.method == "POST":
            from integrations.xero.sandbox.demo import seed_demo

            counts = seed_demo(
                self, orders=data.get("orders", []), payments=data.get("payments"), statements=data.get("statements")
            )
            return _json(counts, 200)
        return _json({"error": "unknown control"}, 404)


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the sandbox counts calls itself."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, default=_encode), status=status, headers=headers or {}, content_type="application/json"
    )


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _validation_error(message: str) -> Json:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{"ValidationErrors": [{"Message": message}]}],
    }


def _if_modified_since(value: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_date(value)
    if parsed is not None:
        return parsed
    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
