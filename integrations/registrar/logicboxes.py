"""`LogicBoxesRegistrar`: the ResellerClub / LogicBoxes HTTP API (form parameters in, JSON out) on `requests`.

Every call carries `auth-userid` and `api-key`, has a timeout, and maps failures to `integrations.errors`. The API
has no idempotency key and is asynchronous (a reply can mean "queued"), so registration and renewal reconcile first
(details-by-name) inside the one retry policy, a renewal sends the current expiry as `exp-date` and is never sent
while one is still queued, and every action is confirmed from the registrar's own record before it counts as done.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
import structlog

from integrations.errors import IntegrationError, PermanentError, RateLimited, TransientError
from integrations.ports import AccountBalance, Availability, DomainDetails, RegistrarResult
from integrations.registrar.terms import UpstreamPrices, add_years, tld_of
from integrations.retrying import transient_retry
from rules.money import Money

log = structlog.get_logger(__name__)

SYSTEM = "logicboxes"
# Availability has its own host on the live service ("domaincheck.httpapi.com" in LogicBoxes' current API docs, as
# used by public ResellerClub clients, e.g. the node `resellerclub` module's checkAvailability and the
# resellerclubmods WHMCS tools); the test host answers on its own URL, so tests point this at it.
DEFAULT_CHECK_URL = "https://domaincheck.httpapi.com/api"

# Order statuses (`currentstatus`): InActive, Active, Suspended, Pending Delete Restorable, QueuedForDeletion,
# Deleted, Archived (WWW-LogicBoxes Types.pm `DomainStatus`; go-resellerclub core.go `EntityStatus`). Only Active is
# ours and done; an order that is Deleted or Archived is over, so the name is not ours and blocks nothing.
GONE = frozenset({"Deleted", "Archived"})
RESTORABLE = "Pending Delete Restorable"
# `actiontype` in a details reply names an action "requested but not yet completed - their API is asynchronous and a
# successful call simply means an action has been queued for processing" (WWW-LogicBoxes Domain/Factory.pm, quoting
# a LogicBoxes engineer); RenewDomain is a renewal still waiting, e.g. for funds in the reseller account.
RENEW_ACTION = "RenewDomain"

# Registries that take no admin/tech/billing contact from the reseller: LogicBoxes KB 752 ("Register") asks for -1
# there. By the last label, as WHMCS's resellerclub module does (resellerclub_DomainTLDSpecificFields: uk, eu, nz, ru
# send admin, tech and billing -1; ca, nl, london billing -1; fr tech and billing -1); FOSSBilling's
# Registrar_Adapter_Resellerclub::_getAllContacts sends the same for uk, nz, ru and eu.
NO_CONTACTS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("uk", "eu", "nz", "ru"), ("admin-contact-id", "tech-contact-id", "billing-contact-id")),
    **dict.fromkeys(("ca", "nl", "london"), ("billing-contact-id",)),
    "fr": ("tech-contact-id", "billing-contact-id"),
}
# Endings whose registration carries the registry's terms attribute (attr-name tnc, attr-value y): WHMCS's
# resellerclub module ($tncTlds in resellerclub_DomainTLDSpecificFields), matched on the whole ending.
TNC_TLDS = frozenset(
    {
        "airforce", "army", "app", "bio", "co.nz", "degree", "dentist", "dev", "engineer", "fr", "gives", "law",
        "market", "mortgage", "navy", "nz", "page", "rehab", "scot", "software", "vet", "vote", "voto",
    }
)  # fmt: skip
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
        check_url: str = DEFAULT_CHECK_URL,
        timeout_seconds: float = 30.0,
        session: requests.Session | None = None,
        retry_attempts: int = 3,
        retry_initial_wait: float = 0.5,
        retry_max_wait: float = 10.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.check_url = check_url.rstrip("/")
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
        found = self.availability(domain)
        return found.available and not found.premium

    def availability(self, domain: str) -> Availability:
        name, tld = tld_of(domain)

        def check() -> Availability:
            body = self._request("GET", "domains/available.json", {"domain-name": name, "tlds": tld}, self.check_url)
            entry = body.get(f"{name}.{tld}") if isinstance(body, dict) else None
            if not isinstance(entry, dict) or "status" not in entry:
                raise PermanentError(f"availability answer without {name}.{tld}: {body!r}"[:300], system=SYSTEM)
            status = str(entry["status"]).lower()
            if status == "unknown":
                raise TransientError(f"availability of {domain} is unknown right now", system=SYSTEM)
            cost_hash = entry.get("costHash")
            return Availability(
                domain=domain,
                available=status == "available",
                premium=isinstance(cost_hash, dict),
                premium_price=_premium_price(cost_hash),
            )

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
                return _registered(domain, known, years, cost=self.price(domain, action="register", years=years))
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
                # Listed as required (KB 752, go-resellerclub Register); false so the registrar never renews and
                # charges by itself while the worker drives renewals from paid invoices.
                "auto-renew": "false",
            }
            params.update(registration_terms(domain))
            body = self._post("domains/register.json", params)
            order_id, queued = _action_taken(body, domain)
            after = self._details(domain)
            cost = _charged(body) or self.price(domain, action="register", years=years)
            return _registered(domain, after, years, cost=cost, order_id=order_id, queued=queued)

        return self._retry(reconcile_then_register)()

    def renew(self, domain: str, *, years: int, current_expiry: date, idempotency_key: str) -> RegistrarResult:
        target = add_years(current_expiry, years)

        def reconcile_then_renew() -> RegistrarResult:
            body = self._details_body(domain)
            if body is None:
                raise PermanentError(f"{domain} is not in this reseller account", system=SYSTEM)
            known = _details_from(domain, body)
            endtime = str(body.get("endtime", ""))
            if not known.ours:
                raise PermanentError(f"{domain} is {known.status} at the registrar: nothing to renew", system=SYSTEM)
            if known.expires is None:
                raise PermanentError(f"{domain} has no expiry at the registrar", system=SYSTEM)
            cost = self.price(domain, action="renew", years=years)
            if known.expires > current_expiry:
                # Already renewed past the expiry we were asked to renew from: a replay, do nothing.
                log.info("registrar_renew_already_done", domain=domain, key=idempotency_key)
                return _renewed(domain, known, target, cost=cost)
            if known.pending_action == RENEW_ACTION:
                # A renewal is queued there (a lost reply, a crash, funds short): another would run too, when the
                # funds arrive, and renew twice. Wait for that one.
                log.info("registrar_renew_already_queued", domain=domain, key=idempotency_key)
                return _renewed(domain, known, target, cost=cost, queued="a renewal is already queued there")
            if known.status == RESTORABLE:
                raise PermanentError(
                    f"{domain} is {RESTORABLE} at the registrar: it needs a restore, not a renewal", system=SYSTEM
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
                "auto-renew": "false",  # required in the renew call too (LogicBoxes KB 746, "Renew")
            }
            reply = self._post("domains/renew.json", params)
            _, queued = _action_taken(reply, domain)
            after = self._details(domain)
            return _renewed(domain, after, target, cost=_charged(reply) or cost, queued=queued)

        return self._retry(reconcile_then_renew)()

    def price(self, domain: str, *, action: str, years: int) -> Money | None:
        return self.prices.price(domain, action=action, years=years)

    def balance(self) -> AccountBalance | None:
        """The prepaid account's funds. LogicBoxes KB 1110 ("Getting a Sub-Reseller's Available Balance"):
        GET billing/reseller-balance.json with auth-userid, api-key and reseller-id; the reply holds
        sellingcurrencysymbol, sellingcurrencybalance and sellingcurrencylockedbalance. It is documented for a
        sub-reseller's id; public clients pass their own (the ResellerClub WHMCS add-on,
        yashodhank/whmcs-free-resellerclubmods includes/hooks/resellerclubmods_fundthreshold.php), and take the
        locked amount off the balance for what is available, as `AccountBalance.available` does: the lower reading,
        so a warning comes early rather than late. Amounts arrive as JSON numbers (go clients type them float64) or
        strings; both are read."""

        def read() -> AccountBalance:
            body = self._get("billing/reseller-balance.json", {"reseller-id": self._auth["auth-userid"]})
            if not isinstance(body, dict) or "sellingcurrencybalance" not in body:
                raise PermanentError(f"unexpected balance answer: {body!r}"[:300], system=SYSTEM)
            currency = str(body.get("sellingcurrencysymbol", "")).strip().upper()
            if len(currency) != 3 or not currency.isalpha():
                log.warning("registrar_balance_currency_unknown", symbol=currency, assumed=self.prices.currency)
                currency = self.prices.currency
            try:
                amount = Decimal(str(body["sellingcurrencybalance"]))
                locked = Decimal(str(body.get("sellingcurrencylockedbalance") or "0"))
            except InvalidOperation:
                raise PermanentError(f"unreadable balance: {body!r}"[:300], system=SYSTEM) from None
            return AccountBalance(
                balance=Money(amount=amount, currency=currency), locked=Money(amount=locked, currency=currency)
            )

        return self._retry(read)()

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

    def _request(self, method: str, path: str, params: dict[str, Any], base: str = "") -> Any:
        url = f"{base or self.api_url}/{path}"
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
    if isinstance(body, dict) and str(body.get("status", "")).lower() == "error":
        # Two shapes: {"status":"ERROR","message":...} and {"status":"error","error":...} (WWW-LogicBoxes
        # Role/Command.pm submit; FOSSBilling Registrar_Adapter_Resellerclub::_makeRequest; WHMCS resellerclub).
        text = str(body.get("message") or body.get("error") or "")
        raise _error(text or f"HTTP {status}", what)
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
    status = str(body.get("currentstatus", ""))
    return DomainDetails(
        domain=domain,
        ours=status not in GONE,
        expires=expires,
        status=status,
        registrar_order_id=str(body.get("orderid", body.get("entityid", ""))),
        pending_action=str(body.get("actiontype") or ""),
    )


def registration_terms(domain: str) -> dict[str, str]:
    """What a registration of `domain` must carry beyond the common parameters: -1 for the contacts its registry
    does not take, and the registry's terms attribute where one is required (sources at NO_CONTACTS, TNC_TLDS)."""
    _, tld = tld_of(domain)
    extra = dict.fromkeys(NO_CONTACTS.get(tld.rpartition(".")[2], ()), "-1")
    if tld in TNC_TLDS:
        extra.update({"attr-name1": "tnc", "attr-value1": "y"})
    return extra


def _action_taken(body: Any, domain: str) -> tuple[str, str]:
    """(order id, queued) from a register/renew reply. {"status": "Failed"} or actionstatus Failed is a refusal
    (FOSSBilling _makeRequest; WHMCS resellerclub). A reply with an `error` key is an order placed that runs only
    when the reseller account has funds (WHMCS resellerclub_RenewDomain: "Renewal order placed. ... if / when
    sufficient funds are available"): `queued` carries its words. Neither is a success to record."""
    if not isinstance(body, dict):
        raise PermanentError(f"unexpected reply for {domain}: {body!r}"[:300], system=SYSTEM)
    if "failed" in (str(body.get("status", "")).lower(), str(body.get("actionstatus", "")).lower()):
        why = body.get("actionstatusdesc") or body.get("message") or "Failed"
        raise PermanentError(f"{domain}: refused: {why}"[:500], system=SYSTEM)
    queued = str(body.get("error") or "").strip()
    return str(body.get("entityid", "")), queued


def _registered(
    domain: str, after: DomainDetails, years: int, *, cost: Money | None, order_id: str = "", queued: str = ""
) -> RegistrarResult:
    """A registration as the registrar's record shows it: done only when the order is Active with an expiry."""
    pending = ""
    if queued:
        pending = f"the registrar queued the registration ({queued})"
    elif not (after.active and after.expires is not None):
        pending = f"the registrar shows {domain} as {after.status or 'unknown'}, not Active yet"
    return RegistrarResult(
        domain=domain,
        registrar_order_id=order_id or after.registrar_order_id,
        expires=after.expires,
        cost=cost,
        pending=pending,
    )


def _renewed(
    domain: str, after: DomainDetails, target: date, *, cost: Money | None, queued: str = ""
) -> RegistrarResult:
    """A renewal as the registrar's record shows it: done only when the order is Active, nothing is still queued,
    and the expiry has moved by the years paid."""
    pending = ""
    if queued:
        pending = f"the registrar has not renewed {domain} yet: {queued}"
    elif not after.active or after.pending_action or after.expires != target:
        pending = (
            f"the registrar shows {domain} {after.status or 'unknown'} expiring {after.expires}"
            f"{', ' + after.pending_action + ' still queued' if after.pending_action else ''}; expected {target}"
        )
    return RegistrarResult(
        domain=domain, registrar_order_id=after.registrar_order_id, expires=after.expires, cost=cost, pending=pending
    )


def _premium_price(cost_hash: Any) -> Money | None:
    """A premium name's registration price for a year from the availability reply's costHash ({"create": ...,
    "renew": ..., "transfer": ..., "sellingCurrencySymbol": ...}, as WHMCS's resellerclub_CheckAvailability reads
    it); None when there is none or it cannot be read."""
    if not isinstance(cost_hash, dict):
        return None
    currency = str(cost_hash.get("sellingCurrencySymbol") or "").upper()
    try:
        return Money.of(str(cost_hash.get("create")), currency)
    except (ValueError, TypeError):
        return None


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
