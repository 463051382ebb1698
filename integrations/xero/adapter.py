"""`XeroAccounting`: the Accounting port over xero-python, frugal with Xero's call budget and safe to retry.

Every call: a (connect, read) timeout, urllib3 retries off, at most `max_in_flight` calls at once, the one tenacity
policy on transient errors only, and an Idempotency-Key on every write derived from the caller's business key.
Polls parse raw JSON (`_preload_content=False`): an enum value the SDK does not know would crash its models.
Frugality: If-Modified-Since with overlapping windows and de-duplication by (id, UpdatedDateUTC); payments are
fetched only when some invoice changed (a payment always changes its invoice); polls are spaced to fit the daily
budget, and a day-limit 429 parks every call until Retry-After (kept in a state file across restarts).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import certifi
import structlog
import urllib3
from xero_python.accounting import AccountingApi
from xero_python.accounting.models import (
    Account,
    Contacts,
    CurrencyCode,
    HistoryRecord,
    HistoryRecords,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    Payment,
    RepeatingInvoice,
    RepeatingInvoices,
    Schedule,
)
from xero_python.accounting.models import Contact as XeroContact
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.api_client.serializer import serialize
from xero_python.exceptions import AccessTokenExpiredError, HTTPStatusException, RateLimitException
from xero_python.finance import FinanceApi

from config.xero import XeroSettings
from integrations.errors import (
    AmountExceedsDue,
    IntegrationError,
    NotConfigured,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)
from integrations.ports import (
    BillsPage,
    ContactDraft,
    ContactMatch,
    InvoiceDraft,
    InvoiceLine,
    OrdersPage,
    PaymentDraft,
    Quota,
    ReceiptsPage,
    RepeatingInvoiceDraft,
    RepeatingInvoiceInfo,
    SupplierBill,
    fit_history_note,
)
from integrations.retrying import transient_retry
from integrations.xero.clearing import XeroClearing
from integrations.xero.contacts import distinguishing_names, renamed_note, same_customer
from integrations.xero.dates import add_months, organisation_zone
from integrations.xero.mapping import bank_transaction_receipt, contact_from_json, orders_from_invoice, supplier_bill
from integrations.xero.tokens import FINANCE_SCOPE, TokenSet, XeroTokens, token_store_for_mode
from rules.model import Contact, Order, Receipt
from rules.money import Money
from rules.sources import SourceError, parse_xero_date, payment_receipt, statement_line_receipt

log = structlog.get_logger(__name__)
T = TypeVar("T")

PAGE_SIZE = 100
SYSTEM = "xero"
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
BANK_LOOKBACK = timedelta(days=14)  # statement lines arrive late; the Finance API window reaches back this far
FIRST_BANK_WINDOW = timedelta(days=60)
# Finance API bank statements: "The maximum range of the query period is 12 months. If the specified query period
# is more than 12 months the request will be rejected"; "If the end date is a future date, the request will be
# rejected" (OAS xero-finance.yaml, FromDate and ToDate).
STATEMENT_MONTHS = 12


def _utc_now() -> datetime:
    return datetime.now(UTC)


# ---- one SDK configuration per process ---------------------------------------------------------------------

_config_lock = threading.Lock()
_configuration: Configuration | None = None


def shared_configuration() -> Configuration:
    """The SDK's Configuration is a singleton in disguise (later constructions copy the first); build it once."""
    global _configuration
    with _config_lock:
        if _configuration is None:
            _configuration = Configuration(oauth2_token=OAuth2Token())
        return _configuration


def _pool(max_in_flight: int) -> urllib3.PoolManager:
    """Without retries: urllib3's default Retry(3) replays a PUT after a read timeout (one create, four invoices).
    `block=True` with `maxsize` caps the connections, a second guard on calls in flight."""
    return urllib3.PoolManager(
        num_pools=4,
        maxsize=max_in_flight,
        block=True,
        retries=False,
        cert_reqs="CERT_REQUIRED",
        ca_certs=certifi.where(),
    )


# ---- pure budget policy ------------------------------------------------------------------------------------


def poll_spacing(feed: str, daily_budget: int, day_remaining: int | None) -> timedelta:
    """How long to leave between polls of `feed` so reads use at most about half the daily budget (the rest is
    for writes and people): invoices get 40 %, bank lines 10 %. Below a fifth of the budget left, four times
    slower."""
    share = {"invoices": 0.4, "bank": 0.1}.get(feed, 0.1)
    seconds = 86400.0 / max(daily_budget * share, 1.0)
    if day_remaining is not None and day_remaining < daily_budget * 0.2:
        seconds *= 4
    return timedelta(seconds=max(seconds, 60.0 if feed == "invoices" else 300.0))


# ---- state that survives a restart -------------------------------------------------------------------------


@dataclass
class XeroState:
    """The day-limit park and the last quota, in a small JSON file under the data dir (atomic replace)."""

    path: Path | None
    parked_until: datetime | None = None

    @classmethod
    def load(cls, path: Path | None) -> XeroState:
        if path is None or not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            parked = datetime.fromisoformat(data["parked_until"]) if data.get("parked_until") else None
        except (OSError, ValueError, KeyError):
            parked = None
        return cls(path=path, parked_until=parked)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".xero-state.", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"parked_until": self.parked_until.isoformat() if self.parked_until else ""}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


@dataclass
class _Seen:
    """What a feed delivered lately, so the overlap window does not deliver it twice.

    Only what lies at or before the caller's watermark is held back: the caller stores a watermark only after
    storing the page that came with it, so an item newer than `since` was never stored and comes again (a page
    the caller lost is delivered again). Bank lines have no change stamp: they are keyed by the watermark of the
    poll that delivered them."""

    stamps: dict[str, datetime] = field(default_factory=dict)

    def deliver(self, key: str, stamp: datetime, since: datetime | None) -> bool:
        old = self.stamps.get(key)
        if since is None or stamp > since or old is None or stamp > old:
            self.stamps[key] = stamp
            return True
        return False

    def deliver_line(self, key: str, polled_at: datetime, since: datetime | None) -> bool:
        delivered_at = self.stamps.get(key)
        if delivered_at is None or since is None or delivered_at > since:
            self.stamps[key] = polled_at
            return True
        return False

    def prune(self, before: datetime) -> None:
        self.stamps = {k: v for k, v in self.stamps.items() if v >= before}


class XeroAccounting(XeroClearing):
    """The Accounting port on Xero. The worker builds it with `build_xero_accounting`."""

    def __init__(
        self,
        settings: XeroSettings,
        *,
        tokens: XeroTokens,
        clock: Callable[[], datetime] = _utc_now,
        state_path: Path | None = None,
        retry_attempts: int = 3,
        retry_seconds: float = 30.0,
        retry_max_wait: float = 10.0,
        retry_initial_wait: float = 0.5,
        request_timeout: tuple[float, float] | None = None,
        space_polls: bool = True,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.clock = clock
        self.space_polls = space_polls
        self._timeout = request_timeout or (min(5.0, settings.timeout_seconds), settings.timeout_seconds)
        self._retry = transient_retry(
            attempts=retry_attempts, max_seconds=retry_seconds, initial_wait=retry_initial_wait, max_wait=retry_max_wait
        )
        self._in_flight = threading.BoundedSemaphore(settings.max_in_flight)
        self._client = ApiClient(
            shared_configuration(), oauth2_token_getter=self._sdk_token, oauth2_token_saver=lambda _t: None
        )
        self._client.rest_client.pool_manager = _pool(settings.max_in_flight)
        api_base = settings.base_url or "https://api.xero.com"
        self._accounting = AccountingApi(self._client, base_url=f"{api_base}/api.xro/2.0")
        self._finance = FinanceApi(self._client, base_url=f"{api_base}/finance.xro/1.0")
        self._state = XeroState.load(state_path)
        self._quota = Quota(parked_until=self._state.parked_until)
        self._lock = threading.Lock()
        self._token_in_use: TokenSet | None = None
        self._contacts: dict[str, Contact] = {}
        self._supplier_ids: dict[str, str] = {}  # provider contact name -> ContactID
        self._seen: dict[str, _Seen] = {"invoices": _Seen(), "payments": _Seen(), "bank": _Seen(), "bills": _Seen()}
        self._last_poll: dict[str, datetime] = {}
        # (If-Modified-Since, newest change returned, Xero's time) of the last invoice poll: lets payments skip.
        self._invoice_window: tuple[datetime, datetime | None, datetime] | None = None
        self._dirty = True  # our own write changed the books: the next poll must look
        self._bank_account_id = settings.bank_account_id
        self._org_timezone: str | None = None  # Organisation.Timezone, read once
        self._xero_skew: timedelta | None = None  # Xero's clock (DateTimeUTC) minus ours, at the last reading
        self.calls = 0  # HTTP calls to the APIs made by this adapter (for the bench)

    # ---- plumbing -------------------------------------------------------------------------------------------

    def _sdk_token(self) -> dict[str, Any]:
        """Called by the SDK before every request. No `expires_at` and no refresh token: renewal is ours alone."""
        tokens = self._token_in_use or self.tokens.current()
        return {
            "access_token": tokens.access_token,
            "token_type": "Bearer",
            "expires_in": 1800,
            "scope": list(tokens.scopes),
        }

    @property
    def tenant_id(self) -> str:
        tokens = self._token_in_use or self.tokens.current()
        return self.settings.tenant_id or tokens.tenant_id  # "" for a Custom Connection

    def _check_parked(self) -> None:
        parked = self._state.parked_until
        if parked is not None:
            left = (parked - self.clock()).total_seconds()
            if left > 0:
                raise RateLimited(
                    f"Xero day limit: parked until {parked.isoformat()}", system=SYSTEM, retry_after=left, limit="day"
                )
            self._state.parked_until = None
            self._state.save()

    def _note_quota(self, headers: Mapping[str, str] | None) -> None:
        if not headers:
            return

        def number(name: str) -> int | None:
            value = headers.get(name)
            try:
                return int(value) if value is not None else None
            except ValueError:
                return None

        self._quota = Quota(
            minute_remaining=number("X-MinLimit-Remaining"),
            day_remaining=number("X-DayLimit-Remaining"),
            app_minute_remaining=number("X-AppMinLimit-Remaining"),
            parked_until=self._state.parked_until,
        )

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Mapping[str, str]]:
        """One API operation under the retry policy; returns (data, headers). Vendor errors become ours."""

        @self._retry
        def attempt() -> tuple[Any, Mapping[str, str]]:
            self._check_parked()
            refused_once = False
            while True:
                self._token_in_use = self.tokens.current()
                try:
                    with self._in_flight:
                        self.calls += 1
                        data, _status, headers = fn(
                            *args, _return_http_data_only=False, _request_timeout=self._timeout, **kwargs
                        )
                    self._note_quota(headers)
                    return data, headers
                except (AccessTokenExpiredError, HTTPStatusException) as exc:
                    status = getattr(getattr(exc, "http_resp", None), "status", None) or getattr(exc, "status", 0)
                    if (isinstance(exc, AccessTokenExpiredError) or status == 401) and not refused_once:
                        refused_once = True  # renew once and try again; a second 401 is a real refusal
                        self.tokens.renew_after_refusal(self._token_in_use)
                        continue
                    raise self._translate(what, exc) from exc
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    raise TransientError(f"{what}: {type(exc).__name__}: {exc}", system=SYSTEM) from exc
                finally:
                    self._token_in_use = None

        result: tuple[Any, Mapping[str, str]] = attempt()
        return result

    def _translate(self, what: str, exc: Exception) -> IntegrationError:
        resp = getattr(exc, "http_resp", None)
        status = int(getattr(resp, "status", 0) or 0)
        headers: Mapping[str, str] = getattr(resp, "headers", None) or getattr(exc, "headers", None) or {}
        correlation = headers.get("Xero-Correlation-Id", "") if headers else ""
        self._note_quota(headers)
        if isinstance(exc, RateLimitException) or status == 429:
            limit = rate_limit_problem(headers.get("X-Rate-Limit-Problem"))
            default_wait = "1" if limit == "concurrent" else "60"  # the concurrent limit clears in a moment
            try:
                retry_after = float(headers.get("Retry-After") or default_wait)
            except ValueError:
                retry_after = float(default_wait)
            if limit == "day":
                self._state.parked_until = self.clock() + timedelta(seconds=retry_after)
                self._state.save()
                self._quota = Quota(
                    minute_remaining=self._quota.minute_remaining,
                    day_remaining=0,
                    app_minute_remaining=self._quota.app_minute_remaining,
                    parked_until=self._state.parked_until,
                )
                log.warning("xero_day_limit_parked", until=self._state.parked_until.isoformat())
            return RateLimited(f"{what}: Xero {limit} rate limit", system=SYSTEM, retry_after=retry_after, limit=limit)
        if status >= 500 or status == 0:
            log.warning("xero_server_error", what=what, status=status, correlation_id=correlation)
            return TransientError(f"{what}: Xero answered {status}", system=SYSTEM)
        message = _error_message(getattr(exc, "body", None) or getattr(resp, "data", b""))
        log.warning("xero_refused", what=what, status=status, correlation_id=correlation, reason=message)
        if status in (401, 403):
            return NotConfigured(f"{what}: Xero refused access ({status}): {message}", system=SYSTEM)
        if status == 404:
            return NotFound(f"{what}: Xero has no such record", system=SYSTEM)
        return PermanentError(f"{what}: Xero answered {status}: {message}", system=SYSTEM)

    def _json(self, response: Any) -> Any:
        raw = response.data if hasattr(response, "data") else response
        return json.loads(raw or b"{}", parse_float=Decimal)

    def _body(self, model: Any) -> Any:
        """The SDK model (which checks enums client-side) as the JSON we send, without the read-only flags the SDK
        fills with false (HasAttachments, HasErrors...): Xero's document forbids writing them."""
        return _strip_read_only(serialize(model))

    def _note_xero_time(self, body: Any) -> datetime | None:
        """Xero's own clock from a response envelope (DateTimeUTC), remembered as an offset from ours."""
        try:
            stamp = parse_xero_date(body.get("DateTimeUTC")) if isinstance(body, dict) else None
        except SourceError:
            return None
        if stamp is not None:
            self._xero_skew = stamp - self.clock()
        return stamp

    def organisation_today(self) -> date:
        """The organisation's date now: in its own time zone (Organisation.Timezone, read once), by whichever clock
        is behind, ours or Xero's. A date Xero may refuse as "future" is never produced: unknown zone, the zone
        where the day ends last."""
        if self._org_timezone is None:
            try:
                response, _ = self._call(
                    "GET Organisation", self._accounting.get_organisations, self.tenant_id, _preload_content=False
                )
            except PermanentError as exc:  # e.g. a connection without accounting.settings.read
                log.warning("xero_organisation_unreadable", error=str(exc))
                self._org_timezone = ""
            else:
                body = self._json(response)
                self._note_xero_time(body)
                found = body.get("Organisations") or [{}]
                self._org_timezone = str(found[0].get("Timezone") or "")
        now = self.clock()
        if self._xero_skew is not None:
            now = min(now, now + self._xero_skew)
        return now.astimezone(organisation_zone(self._org_timezone)).date()

    def _since(self, since: datetime | None) -> datetime | None:
        return since - timedelta(seconds=self.settings.overlap_seconds) if since is not None else None

    def _due(self, feed: str) -> bool:
        """Is it time to poll `feed`? Always after our own write or on the first poll."""
        if not self.space_polls or self._dirty or feed not in self._last_poll:
            return True
        spacing = poll_spacing(feed, self.settings.daily_budget, self._quota.day_remaining)
        return self.clock() - self._last_poll[feed] >= spacing

    def _fetch(self, what: str, key: str, fn: Callable[..., Any], **kwargs: Any) -> tuple[list[Any], datetime | None]:
        """Every page of a list call, and Xero's own clock (DateTimeUTC) at the first page: the next poll's
        watermark, so the window moves on even when nothing changed."""
        page = 1
        items: list[Any] = []
        server_time: datetime | None = None
        while True:
            response, _headers = self._call(
                what, fn, self.tenant_id, page=page, page_size=PAGE_SIZE, _preload_content=False, **kwargs
            )
            body = self._json(response)
            if server_time is None:
                server_time = self._note_xero_time(body)
            batch = body.get(key) or []
            items.extend(batch)
            pagination = body.get("pagination") or {}
            pages = int(pagination.get("pageCount") or 0)
            if (pages and page >= pages) or (not pages and len(batch) < PAGE_SIZE):
                return items, server_time
            page += 1

    # ---- reads ----------------------------------------------------------------------------------------------

    def open_orders(self, *, since: datetime | None) -> OrdersPage:
        if not self._due("invoices"):
            return OrdersPage(orders=(), watermark=since)
        polled_at = self.clock()
        ims = self._since(since)
        kwargs: dict[str, Any] = {"where": 'Type=="ACCREC"'}
        if ims is not None:
            kwargs["if_modified_since"] = ims
        else:
            kwargs["statuses"] = ["AUTHORISED"]  # the first load: only what is open now
        seen = self._seen["invoices"]
        changed: list[dict[str, Any]] = []
        newest: datetime | None = None
        found, server_time = self._fetch("GET Invoices", "Invoices", self._accounting.get_invoices, **kwargs)
        for inv in found:
            try:
                stamp = parse_xero_date(inv.get("UpdatedDateUTC"))
            except SourceError:
                continue
            newest = stamp if newest is None or stamp > newest else newest
            key = str(inv.get("InvoiceID"))
            if seen.deliver(key, stamp, since):
                changed.append(inv)
        self._last_poll["invoices"] = polled_at
        self._dirty = False
        mark = _later(server_time, newest, since)
        # Every invoice change in (ims, server_time] was just returned, the newest at `newest`.
        self._invoice_window = (ims, newest, mark) if ims is not None and mark is not None else None
        if since is not None:
            seen.prune(since - timedelta(seconds=self.settings.overlap_seconds))
        self._load_contacts(
            [
                str((inv.get("Contact") or {}).get("ContactID", ""))
                for inv in changed
                if inv.get("Status") == "AUTHORISED"
            ]
        )
        orders: list[Order] = []
        closed: list[str] = []
        for inv in changed:
            status = str(inv.get("Status") or "")
            if status == "AUTHORISED" and inv.get("Type") == "ACCREC":
                contact_json = inv.get("Contact") or {}
                contact = self._contacts.get(str(contact_json.get("ContactID"))) or contact_from_json(contact_json)
                try:
                    orders.extend(orders_from_invoice(inv, contact, self.settings.item_codes))
                except (SourceError, KeyError, ValueError) as exc:
                    log.warning("xero_invoice_unreadable", invoice=inv.get("InvoiceNumber"), error=str(exc))
            elif status in ("PAID", "VOIDED", "DELETED"):
                closed.append(str(inv["InvoiceID"]))
        return OrdersPage(orders=tuple(orders), closed_invoice_ids=tuple(closed), watermark=mark)

    def _load_contacts(self, contact_ids: Sequence[str]) -> None:
        """E-mail and names for new contacts, 50 per call, cached for the process."""
        missing = sorted({c for c in contact_ids if c and c not in self._contacts})
        for start in range(0, len(missing), 50):
            chunk = missing[start : start + 50]
            response, _ = self._call(
                "GET Contacts",
                self._accounting.get_contacts,
                self.tenant_id,
                i_ds=chunk,
                summary_only=True,
                _preload_content=False,
            )
            for c in self._json(response).get("Contacts") or []:
                contact = contact_from_json(c)
                self._contacts[contact.contact_id] = contact

    def payments(self, *, since: datetime | None) -> ReceiptsPage:
        window = self._invoice_window
        if since is not None and window is not None and not self._dirty:
            window_ims, newest, seen_until = window
            if window_ims <= since and (newest is None or newest <= since):
                # No invoice changed in (since, seen_until], so no payment did: applying or deleting a payment
                # changes its invoice. The payments watermark moves on without a call.
                return ReceiptsPage(receipts=(), watermark=max(since, seen_until))
        ims = self._since(since)
        kwargs: dict[str, Any] = {"where": 'PaymentType=="ACCRECPAYMENT"'}
        if ims is not None:
            kwargs["if_modified_since"] = ims
        return self._receipt_feed(
            "payments",
            "GET Payments",
            "Payments",
            self._accounting.get_payments,
            since,
            kwargs,
            payment_receipt,
            "PaymentID",
        )

    def _receipt_feed(
        self,
        feed: str,
        what: str,
        key: str,
        fn: Callable[..., Any],
        since: datetime | None,
        kwargs: dict[str, Any],
        build: Callable[[Mapping[str, Any]], Receipt],
        id_field: str,
    ) -> ReceiptsPage:
        seen = self._seen[feed]
        receipts: list[Receipt] = []
        newest: datetime | None = None
        found, server_time = self._fetch(what, key, fn, **kwargs)
        for item in found:
            try:
                stamp = parse_xero_date(item.get("UpdatedDateUTC"))
                receipt = build(item)
            except SourceError as exc:
                log.warning("xero_record_unreadable", feed=feed, id=item.get(id_field), error=str(exc))
                continue
            newest = stamp if newest is None or stamp > newest else newest
            if seen.deliver(str(item.get(id_field)), stamp, since):
                receipts.append(receipt)
        if since is not None:
            seen.prune(since - timedelta(seconds=self.settings.overlap_seconds))
        return ReceiptsPage(receipts=tuple(receipts), watermark=_later(server_time, newest, since))

    def bank_feed(self) -> str:
        """finance (statement lines) when configured so or when the token carries the Finance scope."""
        if self.settings.bank_feed != "auto":
            return self.settings.bank_feed
        scopes = self.tokens.current().scopes
        return "finance" if FINANCE_SCOPE in scopes else "bank_transactions"

    def bank_lines(self, *, since: datetime | None) -> ReceiptsPage:
        if not self._due("bank"):
            return ReceiptsPage(receipts=(), watermark=since)
        polled_at = self.clock()
        if self.bank_feed() == "finance":
            page = self._statement_lines(since, polled_at)
        else:
            ims = self._since(since)
            kwargs: dict[str, Any] = {"where": 'Type=="RECEIVE"'}
            if ims is not None:
                kwargs["if_modified_since"] = ims
            page = self._receipt_feed(
                "bank",
                "GET BankTransactions",
                "BankTransactions",
                self._accounting.get_bank_transactions,
                since,
                kwargs,
                bank_transaction_receipt,
                "BankTransactionID",
            )
        self._last_poll["bank"] = polled_at
        return page

    def _statement_lines(self, since: datetime | None, polled_at: datetime) -> ReceiptsPage:
        """Statement lines have no change stamp: the window reaches back BANK_LOOKBACK before the watermark (the
        last poll), and lines already returned in this process are dropped; the job de-duplicates by id too."""
        account_id = self._bank_account()
        end = self.organisation_today()
        zone = organisation_zone(self._org_timezone or "")
        start = (
            ((since - BANK_LOOKBACK) if since is not None else polled_at - FIRST_BANK_WINDOW).astimezone(zone).date()
        )
        earliest = add_months(end, -STATEMENT_MONTHS) + timedelta(days=1)
        if start < earliest:
            # After a long outage the look-back would pass Xero's 12-month limit and be refused outright.
            log.warning("xero_statement_window_cut", wanted_from=start.isoformat(), reading_from=earliest.isoformat())
            start = earliest
        start = min(start, end)
        response, _ = self._call(
            "GET BankStatementsPlus",
            self._finance.get_bank_statement_accounting,
            self.tenant_id,
            account_id,
            start.isoformat(),
            end.isoformat(),
            summary_only=True,
            _preload_content=False,
        )
        body = self._json(response)
        currency = str(body.get("bankAccountCurrencyCode") or "NZD")
        seen = self._seen["bank"]
        receipts: list[Receipt] = []
        for statement in body.get("statements") or []:
            for line in statement.get("statementLines") or []:
                line_id = str(line.get("statementLineId") or "")
                if not seen.deliver_line(line_id, polled_at, since):
                    continue
                try:
                    receipts.append(statement_line_receipt(line, currency=currency))
                except SourceError as exc:
                    log.warning("xero_record_unreadable", feed="bank", id=line_id, error=str(exc))
                    continue
        seen.prune(polled_at - BANK_LOOKBACK - timedelta(days=1))
        return ReceiptsPage(receipts=tuple(receipts), watermark=polled_at)

    def _bank_account(self) -> str:
        if not self._bank_account_id:
            code = self.settings.bank_account_code
            response, _ = self._call(
                "GET Accounts",
                self._accounting.get_accounts,
                self.tenant_id,
                where=f'Code=="{code}"',
                _preload_content=False,
            )
            accounts = self._json(response).get("Accounts") or []
            if not accounts:
                raise NotConfigured(f"no Xero account with code {code!r} (xero.bank_account_code)", system=SYSTEM)
            self._bank_account_id = str(accounts[0]["AccountID"])
        return self._bank_account_id

    def payments_on_invoice(self, invoice_id: str) -> Sequence[Receipt]:
        response, _ = self._call(
            "GET Payments",
            self._accounting.get_payments,
            self.tenant_id,
            where=f'Invoice.InvoiceID==Guid("{_quote(invoice_id)}")',
            _preload_content=False,
        )
        out: list[Receipt] = []
        for item in self._json(response).get("Payments") or []:
            try:
                out.append(payment_receipt(item))
            except SourceError as exc:
                log.warning("xero_record_unreadable", feed="payments", id=item.get("PaymentID"), error=str(exc))
        return out

    def supplier_bills(self, contact: str, *, since: datetime | None) -> BillsPage:
        """Bills (ACCPAY invoices) from one supplier changed since the watermark, every status, so a bill voided or
        deleted in Xero is seen too; `contact` is its ContactID or its exact name."""
        contact_id = self._supplier_id(contact)
        kwargs: dict[str, Any] = {"where": 'Type=="ACCPAY"', "contact_i_ds": [contact_id]}
        ims = self._since(since)
        if ims is not None:
            kwargs["if_modified_since"] = ims
        found, server_time = self._fetch("GET Invoices", "Invoices", self._accounting.get_invoices, **kwargs)
        bills: list[SupplierBill] = []
        newest: datetime | None = None
        for inv in found:
            try:
                bill = supplier_bill(inv)
            except (SourceError, KeyError, ValueError) as exc:
                log.warning("xero_bill_unreadable", bill=inv.get("InvoiceNumber"), error=str(exc))
                continue
            stamp = datetime.fromisoformat(bill.updated) if bill.updated else server_time
            newest = _later(newest, stamp)
            if stamp is None or self._seen["bills"].deliver(bill.bill_id, stamp, since):
                bills.append(bill)
        if since is not None:
            self._seen["bills"].prune(since - timedelta(seconds=self.settings.overlap_seconds))
        return BillsPage(bills=tuple(bills), watermark=_later(server_time, newest, since))

    def _supplier_id(self, contact: str) -> str:
        if _GUID.fullmatch(contact.strip()):
            return contact.strip()
        known = self._supplier_ids.get(contact)
        if known is not None:
            return known
        response, _ = self._call(
            "GET Contacts",
            self._accounting.get_contacts,
            self.tenant_id,
            where=f'Name=="{_quote(contact)}"',
            summary_only=True,
            _preload_content=False,
        )
        found = [c for c in self._json(response).get("Contacts") or [] if c.get("ContactStatus") != "ARCHIVED"]
        if len(found) != 1:
            what = "no" if not found else f"{len(found)}"
            raise NotConfigured(
                f"{what} Xero contact named {contact!r} ([provider] xero_contact); give its exact name or ContactID",
                system=SYSTEM,
            )
        self._supplier_ids[contact] = str(found[0]["ContactID"])
        return self._supplier_ids[contact]

    # ---- writes ---------------------------------------------------------------------------------------------

    def _write(self, what: str, fn: Callable[..., Any], *args: Any, idempotency_key: str, **kwargs: Any) -> Any:
        """A write with its Idempotency-Key; the last positional argument is the body model."""
        key = write_key(idempotency_key)
        *lead, model = args
        response, _ = self._call(
            what, fn, self.tenant_id, *lead, self._body(model), idempotency_key=key, _preload_content=False, **kwargs
        )
        self._dirty = True
        return self._json(response)

    def record_payment(self, draft: PaymentDraft, *, idempotency_key: str) -> str:
        payment = Payment(
            invoice=Invoice(invoice_id=draft.invoice_id),
            account=self._payment_account(draft),
            amount=_amount(draft.amount.amount),
            date=draft.paid_on,
            reference=draft.reference[:255],
            # IsReconciled stays unset: Xero then proposes this payment when the bank line arrives.
        )
        try:
            body = self._write(
                "POST Payments", self._accounting.create_payment, payment, idempotency_key=idempotency_key
            )
        except PermanentError as exc:
            raise self._overpayment(draft, exc) from exc
        return str(_first(body, "Payments", "record_payment")["PaymentID"])

    def _payment_account(self, draft: PaymentDraft) -> Account:
        """By AccountID when known: not every bank account has a code (OAS Payment.Code: "note- not all accounts
        have a code value"; Xero's own example pays with Account.setAccountID, xero-php-oauth2#75)."""
        if draft.account_id:
            return Account(account_id=draft.account_id)
        code = draft.account_code or self.settings.bank_account_code
        if code == self.settings.bank_account_code and self._bank_account_id:
            return Account(account_id=self._bank_account_id)
        if not code:
            raise NotConfigured("no account code or AccountID to record the payment to", system=SYSTEM)
        return Account(code=code)

    def invoice_amount_due(self, invoice_id: str) -> Money | None:
        """GET Invoices/{InvoiceID}: its AmountDue in its CurrencyCode (OAS Invoice.AmountDue, "Amount remaining to
        be paid on invoice"); None for an invoice that takes no payment (voided, deleted, a draft) or an amount Xero
        does not state, so the payment is asked for as it is and refused for its own reason."""
        try:
            response, _ = self._call(
                "GET Invoice", self._accounting.get_invoice, self.tenant_id, invoice_id, _preload_content=False
            )
        except NotFound:
            return None
        invoices = self._json(response).get("Invoices") or [{}]
        if invoices[0].get("Status") not in ("AUTHORISED", "PAID"):
            return None
        try:
            return Money.of(str(invoices[0]["AmountDue"]), str(invoices[0].get("CurrencyCode") or ""))
        except (KeyError, InvalidOperation, ValueError, TypeError):
            return None

    def _overpayment(self, draft: PaymentDraft, exc: PermanentError) -> PermanentError:
        """A refused payment more than the invoice still owes becomes AmountExceedsDue with what is owing (read
        back, so Xero's wording does not matter): the caller records what is owed, never the same call again."""
        try:
            owing = self.invoice_amount_due(draft.invoice_id)
        except IntegrationError:
            return exc
        if owing is None:
            return exc
        due = owing.amount
        if draft.amount.amount > due:
            return AmountExceedsDue(
                f"record_payment: {draft.amount} is more than the {due} still owing on the invoice ({exc})",
                system=SYSTEM,
                amount_due=str(due),
            )
        return exc

    def create_invoice(self, draft: InvoiceDraft, *, idempotency_key: str) -> tuple[str, str]:
        if not draft.lines:
            raise PermanentError("an invoice needs at least one line", system=SYSTEM)
        try:
            currency = CurrencyCode(draft.lines[0].unit_amount.currency)
        except ValueError as exc:
            raise PermanentError(f"Xero does not know currency {draft.lines[0].unit_amount.currency}") from exc
        invoice = Invoice(
            type="ACCREC",
            contact=XeroContact(contact_id=draft.contact_id),
            date=draft.issued,
            due_date=draft.due,
            line_amount_types=LineAmountTypes.EXCLUSIVE,
            reference=draft.reference or None,
            status="AUTHORISED",
            currency_code=currency,
            line_items=[_line(line) for line in draft.lines],
        )
        body = self._write(
            "PUT Invoices",
            self._accounting.create_invoices,
            Invoices(invoices=[invoice]),
            idempotency_key=idempotency_key,
            summarize_errors=False,
            unitdp=4,
        )
        saved = _first(body, "Invoices", "create_invoice")
        return str(saved["InvoiceID"]), str(saved.get("InvoiceNumber", ""))

    def _repeating(self, draft: RepeatingInvoiceDraft) -> RepeatingInvoice:
        schedule = Schedule(
            period=draft.period_months,
            unit="MONTHLY",  # Xero knows WEEKLY and MONTHLY only; yearly is 12 months
            due_date=draft.due_day,
            due_date_type="OFFOLLOWINGMONTH",
            start_date=draft.start,
            end_date=draft.end,
        )
        return RepeatingInvoice(
            type="ACCREC",
            contact=XeroContact(contact_id=draft.contact_id),
            schedule=schedule,
            line_items=[_line(line) for line in draft.lines],
            line_amount_types=LineAmountTypes.EXCLUSIVE,
            reference=draft.reference or None,
            status="AUTHORISED",
        )

    def create_repeating_invoice(self, draft: RepeatingInvoiceDraft, *, idempotency_key: str) -> str:
        body = self._write(
            "PUT RepeatingInvoices",
            self._accounting.create_repeating_invoices,
            RepeatingInvoices(repeating_invoices=[self._repeating(draft)]),
            idempotency_key=idempotency_key,
            summarize_errors=False,
        )
        return str(_first(body, "RepeatingInvoices", "create_repeating_invoice")["RepeatingInvoiceID"])

    def repeating_invoice(self, repeating_invoice_id: str) -> RepeatingInvoiceInfo | None:
        try:
            response, _ = self._call(
                "GET RepeatingInvoice",
                self._accounting.get_repeating_invoice,
                self.tenant_id,
                repeating_invoice_id,
                _preload_content=False,
            )
        except NotFound:
            return None
        found = [_repeating_info(r) for r in self._json(response).get("RepeatingInvoices") or []]
        return found[0] if found else None

    def repeating_invoices(self, *, reference: str) -> Sequence[RepeatingInvoiceInfo]:
        response, _ = self._call(
            "GET RepeatingInvoices",
            self._accounting.get_repeating_invoices,
            self.tenant_id,
            where=f'Reference=="{_quote(reference)}"',
            _preload_content=False,
        )
        return [_repeating_info(r) for r in self._json(response).get("RepeatingInvoices") or []]

    def delete_repeating_invoice(self, repeating_invoice_id: str, *, idempotency_key: str) -> None:
        """Xero's soft delete, the only change the API makes to a template: POST with Status DELETED (OAS
        updateRepeatingInvoice "Deletes a specific repeating invoice template"; xero-python#105)."""
        model = RepeatingInvoice(repeating_invoice_id=repeating_invoice_id, status="DELETED")
        self._write(
            "POST RepeatingInvoices",
            self._accounting.update_repeating_invoice,
            repeating_invoice_id,
            RepeatingInvoices(repeating_invoices=[model]),
            idempotency_key=idempotency_key,
        )

    def add_history_note(self, invoice_id: str, note: str, *, idempotency_key: str) -> None:
        records = HistoryRecords(history_records=[HistoryRecord(details=fit_history_note(note))])
        self._write(
            "PUT Invoices/History",
            self._accounting.create_invoice_history,
            invoice_id,
            records,
            idempotency_key=idempotency_key,
        )

    def history_notes(self, invoice_id: str) -> Sequence[str]:
        """GET /Invoices/{InvoiceID}/History: the Details of each record (notes and Xero's own entries)."""
        response, _ = self._call(
            "GET Invoices/History",
            self._accounting.get_invoice_history,
            self.tenant_id,
            invoice_id,
            _preload_content=False,
        )
        return [str(r.get("Details") or "") for r in self._json(response).get("HistoryRecords") or []]

    def find_or_create_contact(self, draft: ContactDraft, *, idempotency_key: str) -> ContactMatch:
        """By ContactNumber, then e-mail, then name, archived contacts included (a customer's archived contact is
        restored, not duplicated). Names are unique among active contacts, so when the name belongs to another
        customer the new contact gets a distinguishing name, and the match says so."""
        for clause in _contact_clauses(draft):
            for found in self._contacts_where(clause):
                email, number = str(found.get("EmailAddress") or ""), str(found.get("ContactNumber") or "")
                if same_customer(email=email, number=number, draft=draft, by_name=clause.startswith("Name")):
                    return self._usable(found, draft, idempotency_key)
        name, note = draft.name.strip(), ""
        for candidate in distinguishing_names(draft):
            if not any(c.get("ContactStatus") == "ACTIVE" for c in self._contacts_where(_name_clause(candidate))):
                if candidate != name:
                    note = renamed_note(name, candidate)
                    log.warning("xero_contact_renamed", wanted=name, created=candidate)
                name = candidate
                break
        else:
            raise PermanentError(f"find_or_create_contact: every name tried for {name!r} is taken", system=SYSTEM)
        contact = XeroContact(
            name=name,
            email_address=draft.email or None,
            contact_number=draft.contact_number or None,
            first_name=draft.first_name or None,
            last_name=draft.last_name or None,
        )
        body = self._write(
            "PUT Contacts",
            self._accounting.create_contacts,
            Contacts(contacts=[contact]),
            idempotency_key=idempotency_key,
            summarize_errors=False,
        )
        saved = _first(body, "Contacts", "find_or_create_contact")
        return ContactMatch(
            contact_id=str(saved["ContactID"]), name=str(saved.get("Name", name)), created=True, note=note
        )

    def _contacts_where(self, clause: str) -> list[dict[str, Any]]:
        response, _ = self._call(
            "GET Contacts",
            self._accounting.get_contacts,
            self.tenant_id,
            where=clause,
            include_archived=True,
            summary_only=True,
            _preload_content=False,
        )
        return list(self._json(response).get("Contacts") or [])

    def _usable(self, found: dict[str, Any], draft: ContactDraft, idempotency_key: str) -> ContactMatch:
        """The customer's own contact; an archived one is restored (ContactStatus ACTIVE, the reverse of archiving
        with updateContact, xero-node#397), since Xero takes no new documents for an archived contact."""
        cid, name = str(found["ContactID"]), str(found.get("Name", ""))
        if found.get("ContactStatus") != "ARCHIVED":
            return ContactMatch(contact_id=cid, name=name)
        self._write(
            "POST Contacts",
            self._accounting.update_contact,
            cid,
            Contacts(contacts=[XeroContact(contact_id=cid, contact_status="ACTIVE")]),
            idempotency_key=f"{idempotency_key}:restore",
        )
        log.info("xero_contact_restored", contact_id=cid, name=name)
        return ContactMatch(contact_id=cid, name=name, note=f"the archived contact {name!r} was restored")

    def contact(self, contact_id: str) -> Contact | None:
        """GET /Contacts/{ContactID}: the contact, or None when Xero has none (404) or it is archived."""
        try:
            response, _ = self._call(
                "GET Contact", self._accounting.get_contact, self.tenant_id, contact_id, _preload_content=False
            )
        except NotFound:
            return None
        found = [c for c in self._json(response).get("Contacts") or [] if c.get("ContactStatus") != "ARCHIVED"]
        return contact_from_json(found[0]) if found else None

    def quota(self) -> Quota:
        return self._quota


def write_key(business_key: str) -> str:
    """The Idempotency-Key for a write: the business key itself (Xero allows 128 characters), or a digest of it
    when longer, so a retry after a crash sends the same key."""
    if 0 < len(business_key) <= 128:
        return business_key
    if not business_key:
        raise PermanentError("a write needs an idempotency key", system=SYSTEM)

    return "rw-" + hashlib.sha256(business_key.encode()).hexdigest()


def _later(*stamps: datetime | None) -> datetime | None:
    """The latest of the given times, ignoring the missing ones."""
    present = [s for s in stamps if s is not None]
    return max(present) if present else None


READ_ONLY_FLAGS = frozenset({"HasAttachments", "HasErrors", "HasValidationErrors", "IsDiscounted", "HasAccount"})


def _strip_read_only(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_read_only(v) for k, v in value.items() if k not in READ_ONLY_FLAGS}
    if isinstance(value, list):
        return [_strip_read_only(v) for v in value]
    return value


def _quote(value: str) -> str:
    return value.replace("\\", "").replace('"', "")


def _amount(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))  # the SDK sends float(value); quantised first it is exact enough


def _line(line: InvoiceLine) -> LineItem:
    return LineItem(
        description=line.description,
        quantity=line.quantity,
        unit_amount=line.unit_amount.amount.quantize(Decimal("0.0001")),
        item_code=line.item_code or None,
        account_code=line.account_code or None,
    )


def _first(body: Any, key: str, what: str) -> dict[str, Any]:
    """The one record a write returned; per-item validation errors (summarize_errors=False) become ours."""
    items = (body or {}).get(key) or []
    if not items:
        raise PermanentError(f"{what}: Xero returned no {key}", system=SYSTEM)
    item: dict[str, Any] = items[0]
    errors = item.get("ValidationErrors") or []
    if item.get("HasErrors") or errors:
        text = "; ".join(str(e.get("Message", e)) for e in errors) or "validation failed"
        raise PermanentError(f"{what}: {text}", system=SYSTEM)
    return item


def _error_message(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body) if isinstance(body, str) else body
    except ValueError:
        return str(body)[:300]
    if isinstance(data, dict):
        for element in data.get("Elements") or []:
            for err in element.get("ValidationErrors") or []:
                return str(err.get("Message", ""))[:300]
        return str(data.get("Message") or data.get("Detail") or data.get("detail") or data.get("error") or "")[:300]
    return str(data)[:300]


def rate_limit_problem(value: str | None) -> str:
    """X-Rate-Limit-Problem as one of day, minute, appminute, concurrent, whatever its case or wording: Xero's own
    words are "minute" and "day" (xero-node#634, xero-python#74), others have seen "Daily" and "Minute"
    (calcinai/xero-php#352)."""
    text = (value or "").strip().lower()
    if "day" in text or "dai" in text:
        return "day"
    if "app" in text:
        return "appminute"
    if "concurren" in text:
        return "concurrent"
    return "minute"


def _repeating_info(r: dict[str, Any]) -> RepeatingInvoiceInfo:
    sched = r.get("Schedule") or {}
    try:
        nxt = parse_xero_date(sched.get("NextScheduledDate"))
    except SourceError:
        nxt = None
    try:
        sub_total: Decimal | None = Decimal(str(r["SubTotal"])) if r.get("SubTotal") is not None else None
    except InvalidOperation:
        sub_total = None
    return RepeatingInvoiceInfo(
        repeating_invoice_id=str(r.get("RepeatingInvoiceID", "")),
        status=str(r.get("Status", "")),
        contact_id=str((r.get("Contact") or {}).get("ContactID", "")),
        reference=str(r.get("Reference", "")),
        next_scheduled=nxt.date() if nxt is not None else None,
        sub_total=sub_total,
    )


def _name_clause(name: str) -> str:
    return f'Name=="{_quote(name)}"'


def _contact_clauses(draft: ContactDraft) -> list[str]:
    clauses = []
    if draft.contact_number:
        clauses.append(f'ContactNumber=="{_quote(draft.contact_number)}"')
    if draft.email:
        clauses.append(f'EmailAddress=="{_quote(draft.email)}"')
    if draft.name.strip():
        clauses.append(_name_clause(draft.name.strip()))
    return clauses


def build_xero_accounting(
    settings: XeroSettings, *, data_dir: Path, clock: Callable[[], datetime] = _utc_now
) -> XeroAccounting:
    """The adapter as the worker runs it: tokens per mode, parked state in `data_dir/xero-state.json`. Polls are
    spaced to the daily budget against Xero; against the sandbox (demo) every cycle looks, since there is no
    budget to save and a demo must see the payments it just applied."""
    tokens = XeroTokens(settings=settings, store=token_store_for_mode(settings, data_dir), clock=clock)
    return XeroAccounting(
        settings,
        tokens=tokens,
        clock=clock,
        state_path=data_dir / "xero-state.json",
        space_polls=settings.mode != "sandbox",
    )
