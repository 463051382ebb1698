"""`LogicBoxesRegistrar`: the ResellerClub / LogicBoxes HTTP API (form parameters in, JSON out) on `requests`.

Every call carries `auth-userid` and `api-key`, has a timeout, and maps failures to `integrations.errors`. The API
has no idempotency key, so registration and renewal reconcile first (details-by-name) inside the one retry policy,
and a renewal always sends the current expiry as `exp-date`, so a replay cannot renew twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
import structlog

from integrations.errors import IntegrationError, PermanentError, RateLimited, TransientError
from integrations.ports import DomainDetails, RegistrarResult
from integrations.registrar.terms import UpstreamPrices, tld_of
from integrations.retrying import transient_retry
from rules.money import Money

log = structlog.get_logger(__name__)

SYSTEM = "logicboxes"
# Words in their error messages that mean "not in this reseller account", not a failure.
_NOT_OURS = ("doesn't exist", "does not exist", "no entity found", "not found", "is not registered")
# Words that mean "try later" inside an otherwise permanent-looking {"status":"ERROR"} body.
_TEMPORARY = ("try again", "temporar", "timed out", "timeout", "unavailable", "maintenance")


class LogicBoxesRegistrar:
    def __init__(
        self,
        *,
        api_url: str,
        auth_userid: str,
        api_key: str,
        customer_id: str,
        contact_id: str,
        nameservers: tuple[str, ...],
        prices: UpstreamPrices,
        timeout_seconds: float = 30.0,
        session: requests.Session | None = None,
        retry_attempts: int = 3,
        retry_initial_wait: float = 0.5,
        retry_max_wait: float = 10.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._auth = {"auth-userid": auth_userid, "api-key": api_key}
        self.customer_id = customer_id
        self.contact_id = contact_id
        self.nameservers = nameservers
        self.prices = prices
        self.timeout = timeout_seconds
        self.session = session or requests.Session()
        self._retry = transient_retry(
            attempts=retry_attempts,
            max_seconds=max(timeout_seconds * retry_attempts, 1.0),
            initial_wait=retry_initial_wait,
            max_wait=retry_max_wait,
        )

    # ---- the port --------------------------------------------------------------------------------------------

    def is_available(self, domain: str) -> bool:
        name, tld = tld_of(domain)

        def check() -> bool:
            body = self._get("domains/available.json", {"domain-name": name, "tlds": tld})
            entry = body.get(f"{name}.{tld}") if isinstance(body, dict) else None
            if not isinstance(entry, dict) or "status" not in entry:
                raise PermanentError(f"availability answer without {name}.{tld}: {body!r}"[:300], system=SYSTEM)
            status = str(entry["status"]).lower()
            if status == "unknown":
                raise TransientError(f"availability of {domain} is unknown right now", system=SYSTEM)
            return status == "available"

        return self._retry(check)()

    def details(self, domain: str) -> DomainDetails:
        return self._retry(self._details)(domain)

    def order_id(self, domain: str) -> str | None:
        """The LogicBoxes order id for `domain`, or None when it is not in this reseller account."""

        def lookup() -> str | None:
            try:
                body = self._get("domains/orderid.json", {"domain-name": domain})
            except PermanentError as exc:
                if _means_not_ours(str(exc)):
                    return None
                raise
            return str(body)

        return self._retry(lookup)()

    def register(self, domain: str, *, years: int, contact_ref: str, idempotency_key: str) -> RegistrarResult:
        contact = contact_ref if contact_ref.isdigit() else self.contact_id

        def reconcile_then_register() -> RegistrarResult:
            known = self._details(domain)
            if known.ours:
                # An earlier attempt went through (its reply was lost): report it, never buy twice.
                log.info("registrar_register_already_done", domain=domain, key=idempotency_key)
                return RegistrarResult(
                    domain=domain,
                    registrar_order_id=known.registrar_order_id,
                    expires=known.expires,
                    cost=self.price(domain, action="register", years=years),
                )
            params: dict[str, Any] = {
                "domain-name": domain,
                "years": str(years),
                "ns": list(self.nameservers),
                "customer-id": self.customer_id,
                "reg-contact-id": contact,
                "admin-contact-id": contact,
                "tech-contact-id": contact,
                "billing-contact-id": contact,
                "invoice-option": "NoInvoice",
                "protect-privacy": "false",
            }
            body = self._post("domains/register.json", params)
            order_id = _action_succeeded(body, domain)
            after = self._details(domain)
            return RegistrarResult(
                domain=domain,
                registrar_order_id=order_id or after.registrar_order_id,
                expires=after.expires,
                cost=_charged(body) or self.price(domain, action="register", years=years),
            )

        return self._retry(reconcile_then_register)()

    def renew(self, domain: str, *, years: int, current_expiry: date, idempotency_key: str) -> RegistrarResult:
        def reconcile_then_renew() -> RegistrarResult:
            body = self._details_body(domain)
            if body is None:
                raise PermanentError(f"{domain} is not in this reseller account", system=SYSTEM)
            known = _details_from(domain, body)
            endtime = str(body.get("endtime", ""))
            if known.expires is None:
                raise PermanentError(f"{domain} has no expiry at the registrar", system=SYSTEM)
            if known.expires > current_expiry:
                # Already renewed past the expiry we were asked to renew from: a replay, do nothing.
                log.info("registrar_renew_already_done", domain=domain, key=idempotency_key)
                return RegistrarResult(
                    domain=domain,
                    registrar_order_id=known.registrar_order_id,
                    expires=known.expires,
                    cost=self.price(domain, action="renew", years=years),
                )
            if known.expires < current_expiry:
                raise PermanentError(
                    f"{domain} expires {known.expires} at the registrar, not {current_expiry}", system=SYSTEM
                )
            params = {
                "order-id": known.registrar_order_id,
                "years": str(years),
                "exp-date": endtime,  # their exact epoch, so the guard compares like with like
                "invoice-option": "NoInvoice",
            }
            reply = self._post("domains/renew.json", params)
            _action_succeeded(reply, domain)
            after = self._details(domain)
            return RegistrarResult(
                domain=domain,
                registrar_order_id=known.registrar_order_id,
                expires=after.expires,
                cost=_charged(reply) or self.price(domain, action="renew", years=years),
            )

        return self._retry(reconcile_then_renew)()

    def price(self, domain: str, *, action: str, years: int) -> Money | None:
        return self.prices.price(domain, action=action, years=years)

    # ---- internals -------------------------------------------------------------------------------------------

    def _details(self, domain: str) -> DomainDetails:
        body = self._details_body(domain)
        return DomainDetails(domain=domain, ours=False) if body is None else _details_from(domain, body)

    def _details_body(self, domain: str) -> dict[str, Any] | None:
        try:
            body = self._get("domains/details-by-name.json", {"domain-name": domain, "options": "OrderDetails"})
        except PermanentError as exc:
            if _means_not_ours(str(exc)):
                return None
            raise
        if not isinstance(body, dict):
            raise PermanentError(f"unexpected details answer for {domain}: {body!r}"[:300], system=SYSTEM)
        return body

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        return self._request("GET", path, params)

    def _post(self, path: str, params: dict[str, Any]) -> Any:
        return self._request("POST", path, params)

    def _request(self, method: str, path: str, params: dict[str, Any]) -> Any:
        url = f"{self.api_url}/{path}"
        query = {**self._auth, **params}
        try:
            if method == "GET":
                response = self.session.get(url, params=query, timeout=self.timeout)
            else:
                response = self.session.post(url, data=query, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientError(f"{method} {path}: {type(exc).__name__}", system=SYSTEM) from None
        except requests.RequestException as exc:
            raise PermanentError(f"{method} {path}: {type(exc).__name__}", system=SYSTEM) from None
        log.debug("registrar_call", method=method, path=path, status=response.status_code)  # never the api-key
        return _read_reply(response, f"{method} {path}")


def _read_reply(response: requests.Response, what: str) -> Any:
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if status == 429:
        retry_after = response.headers.get("Retry-After", "60")
        raise RateLimited(
            f"{what}: rate limited", system=SYSTEM, retry_after=float(retry_after) if retry_after.isdigit() else 60.0
        )
    if isinstance(body, dict) and str(body.get("status", "")).upper() == "ERROR":
        raise _error(str(body.get("message", "")) or f"HTTP {status}", what)
    if status >= 500:
        raise TransientError(f"{what}: HTTP {status}", system=SYSTEM)
    if status in (401, 403):
        raise PermanentError(f"{what}: HTTP {status}: check reseller id, api key and the IP allow-list", system=SYSTEM)
    if status >= 400:
        raise PermanentError(f"{what}: HTTP {status}: {response.text[:200]}", system=SYSTEM)
    if body is None:
        raise TransientError(f"{what}: not JSON: {response.text[:120]!r}", system=SYSTEM)
    return body


def _error(message: str, what: str) -> IntegrationError:
    text = f"{what}: {message}"[:500]
    if any(word in message.lower() for word in _TEMPORARY):
        return TransientError(text, system=SYSTEM)
    return PermanentError(text, system=SYSTEM)


def _means_not_ours(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _NOT_OURS)


def _details_from(domain: str, body: dict[str, Any]) -> DomainDetails:
    endtime = str(body.get("endtime", "")).strip()
    expires = datetime.fromtimestamp(int(endtime), UTC).date() if endtime.isdigit() else None
    return DomainDetails(
        domain=domain,
        ours=True,
        expires=expires,
        status=str(body.get("currentstatus", "")),
        registrar_order_id=str(body.get("orderid", body.get("entityid", ""))),
    )


def _action_succeeded(body: Any, domain: str) -> str:
    """The order id from a register/renew reply; a reply whose actionstatus is not Success is a refusal."""
    if not isinstance(body, dict):
        raise PermanentError(f"unexpected reply for {domain}: {body!r}"[:300], system=SYSTEM)
    status = str(body.get("actionstatus", "Success"))
    if status.lower() not in ("success", "pending"):
        raise PermanentError(f"{domain}: {status}: {body.get('actionstatusdesc', '')}"[:500], system=SYSTEM)
    return str(body.get("entityid", ""))


def _charged(body: Any) -> Money | None:
    """What the action cost, when the reply says so (`sellingamount` is negative: a debit on the account)."""
    if not isinstance(body, dict):
        return None
    amount, currency = body.get("sellingamount"), str(body.get("sellingcurrencysymbol", ""))
    if amount is None or len(currency) != 3 or not currency.isalpha():
        return None
    try:
        return Money(amount=abs(Decimal(str(amount))), currency=currency.upper())
    except (InvalidOperation, ValueError):
        return None
