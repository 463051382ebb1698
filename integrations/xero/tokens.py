"""Xero access tokens: Custom Connection (client_credentials) and the OAuth2 code flow with rotating refresh tokens.

The token set, its 0600 file and the one-refresher renewal are `integrations.tokens`, shared with the payments
mailbox. A refresh whose response is lost is retried with the same old token, which Xero accepts for 30 minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
import structlog

from config.xero import XeroSettings
from integrations.errors import NotConfigured, PermanentError, TransientError
from integrations.tokens import (
    RENEW_BEFORE,
    FileTokenStore,
    MemoryTokenStore,
    RedirectReceiver,
    RenewingTokens,
    TokenSet,
    TokenStore,
)
from integrations.tokens import utc_now as _utc_now

__all__ = ["RENEW_BEFORE", "FileTokenStore", "MemoryTokenStore", "TokenSet", "TokenStore", "XeroTokens", "connect"]

log = structlog.get_logger(__name__)

XERO_TOKEN_URL = "https://identity.xero.com/connect/token"
XERO_AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
XERO_CONNECTIONS_URL = "https://api.xero.com/Connections"
FINANCE_SCOPE = "finance.bankstatementsplus.read"

SANDBOX_CLIENT = ("sandbox-client", "sandbox-secret")  # XeroSandbox's defaults, used in sandbox mode


def client_credentials(settings: XeroSettings) -> tuple[str, str]:
    if settings.mode == "sandbox" and not settings.client_id:
        return SANDBOX_CLIENT
    return settings.client_id, settings.client_secret


def token_store_for_mode(settings: XeroSettings, data_dir: Path) -> FileTokenStore | MemoryTokenStore:
    """OAuth2 token sets live in a 0600 file under the data dir (the refresh token must survive restarts);
    Custom Connection and sandbox tokens are simply fetched again, so they stay in memory."""
    if settings.mode == "oauth2":
        return FileTokenStore(data_dir / "xero-tokens.json")
    return MemoryTokenStore()


def check_xero(settings: XeroSettings, data_dir: Path) -> str:
    """For `reseller-worker check`: obtain (or renew) a token and report it in one line; raises on failure."""
    if settings.mode == "sandbox" and not settings.base_url:
        return "sandbox mode: the demo starts its own Xero sandbox"
    tokens = XeroTokens(settings=settings, store=token_store_for_mode(settings, data_dir), retry_attempts=1)
    tokens.current()
    return tokens.status()


def token_url(settings: XeroSettings) -> str:
    return f"{settings.base_url}/connect/token" if settings.base_url else XERO_TOKEN_URL


def authorize_url(settings: XeroSettings) -> str:
    return f"{settings.base_url}/identity/connect/authorize" if settings.base_url else XERO_AUTHORIZE_URL


def connections_url(settings: XeroSettings) -> str:
    return f"{settings.base_url}/Connections" if settings.base_url else XERO_CONNECTIONS_URL


class XeroTokens(RenewingTokens):
    """Hands out a valid Xero access token; renews it (once, under the lock) when it is near expiry or refused."""

    system = "xero"

    def __init__(
        self,
        *,
        settings: XeroSettings,
        store: TokenStore,
        clock: Callable[[], datetime] = _utc_now,
        retry_attempts: int = 3,
        retry_seconds: float = 20.0,
    ) -> None:
        super().__init__(store=store, clock=clock, retry_attempts=retry_attempts, retry_seconds=retry_seconds)
        self.settings = settings

    @property
    def grant(self) -> str:
        return "refresh_token" if self.settings.mode == "oauth2" else "client_credentials"

    def _obtain(self, stored: TokenSet | None) -> TokenSet:
        if self.grant == "refresh_token":
            if stored is None or not stored.refresh_token:
                raise NotConfigured("no Xero token set yet: run `reseller-worker xero connect`", system="xero")
            form = {"grant_type": "refresh_token", "refresh_token": stored.refresh_token}
        else:
            if not all(client_credentials(self.settings)):
                raise NotConfigured("Xero client id and secret are required", system="xero")
            form = {"grant_type": "client_credentials"}
        return self.retrying(lambda: self._token_set(post_token_form(self.settings, form), previous=stored))

    def _token_set(self, body: Mapping[str, Any], *, previous: TokenSet | None) -> TokenSet:
        now = self.clock()
        try:
            access = str(body["access_token"])
            lifetime = int(body.get("expires_in", 1800))
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentError("Xero's token response lacks access_token/expires_in", system="xero") from exc
        scopes = tuple(str(body.get("scope") or "").split()) or (previous.scopes if previous else ())
        return TokenSet(
            access_token=access,
            expires_at=now + timedelta(seconds=lifetime),
            scopes=scopes,
            refresh_token=str(body.get("refresh_token") or (previous.refresh_token if previous else "")),
            tenant_id=previous.tenant_id if previous else self.settings.tenant_id,
            obtained_at=now,
        )

    def status(self) -> str:
        """One line for `check`: grant, expiry, scopes; never the token."""
        try:
            tokens = self.store.load() or self._cached
        except PermanentError as exc:
            return f"token store unreadable: {exc}"
        if tokens is None:
            return f"{self.settings.mode}: no token yet" + (
                " (run: reseller-worker xero connect)" if self.grant == "refresh_token" else ""
            )
        left = tokens.expires_at - self.clock()
        state = f"expires in {round(left.total_seconds() / 60)} min" if left.total_seconds() > 0 else "expired"
        feed = "finance" if FINANCE_SCOPE in tokens.scopes else "accounting only"
        refresh = ", refresh token held" if tokens.refresh_token else ""
        tenant = f", tenant {tokens.tenant_id}" if tokens.tenant_id else ""
        expiry = f"{tokens.expires_at:%Y-%m-%d %H:%M} UTC"
        return f"{self.settings.mode}: access token {state} ({expiry}){refresh}{tenant}, {feed}"


def post_token_form(settings: XeroSettings, form: Mapping[str, str]) -> dict[str, Any]:
    """One POST to the token endpoint with HTTP Basic client authentication."""
    try:
        response = requests.post(
            token_url(settings),
            data=dict(form),
            auth=client_credentials(settings),
            headers={"Accept": "application/json"},
            timeout=(min(5.0, settings.timeout_seconds), settings.timeout_seconds),
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        # The refresh may have happened; the retry reuses the same refresh token, inside Xero's grace window.
        raise TransientError(f"token endpoint unreachable: {type(exc).__name__}", system="xero") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientError(f"token endpoint answered {response.status_code}", system="xero")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200:
        error = body.get("error", "") if isinstance(body, dict) else ""
        raise PermanentError(f"Xero refused the token request ({response.status_code} {error})", system="xero")
    if not isinstance(body, dict):
        raise PermanentError("Xero's token response is not an object", system="xero")
    return body


# ---- OAuth2 code flow: `reseller-worker xero connect` -------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Connection:
    tenant_id: str
    tenant_name: str
    tenant_type: str


def choose_tenant(connections: Sequence[Connection], wanted: str) -> Connection:
    """The configured tenant, or the only organisation; several without a setting is an error naming them."""
    orgs = [c for c in connections if c.tenant_type.upper() == "ORGANISATION"] or list(connections)
    if wanted:
        for c in orgs:
            if wanted in (c.tenant_id, c.tenant_name):
                return c
        raise NotConfigured(f"tenant {wanted!r} is not among this connection's organisations", system="xero")
    if len(orgs) == 1:
        return orgs[0]
    if not orgs:
        raise NotConfigured("the token is connected to no organisation", system="xero")
    names = ", ".join(f"{c.tenant_name} ({c.tenant_id})" for c in orgs)
    raise NotConfigured(f"several organisations; set xero.tenant_id to one of: {names}", system="xero")


def list_connections(settings: XeroSettings, access_token: str) -> list[Connection]:
    try:
        response = requests.get(
            connections_url(settings),
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=(min(5.0, settings.timeout_seconds), settings.timeout_seconds),
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"connections endpoint unreachable: {type(exc).__name__}", system="xero") from exc
    if response.status_code != 200:
        raise PermanentError(f"GET /Connections answered {response.status_code}", system="xero")
    return [
        Connection(
            tenant_id=str(c.get("tenantId", "")),
            tenant_name=str(c.get("tenantName", "")),
            tenant_type=str(c.get("tenantType", "")),
        )
        for c in response.json()
    ]


def consent_url(settings: XeroSettings, *, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_credentials(settings)[0],
            "redirect_uri": redirect_uri,
            "scope": " ".join(settings.scopes),
            "state": state,
        }
    )
    return f"{authorize_url(settings)}?{query}"


def connect(
    settings: XeroSettings,
    store: TokenStore,
    *,
    show: Callable[[str], None] = print,
    port: int | None = None,
    wait_seconds: float = 300.0,
    clock: Callable[[], datetime] = _utc_now,
) -> TokenSet:
    """Print the consent URL, receive the redirect on loopback, exchange the code, choose the tenant, store."""
    state = secrets.token_urlsafe(16)
    receiver = RedirectReceiver(
        port=settings.redirect_port if port is None else port,
        state=state,
        done_text="reseller-worker is connected to Xero; you can close this tab.",
    )
    redirect_uri = receiver.uri
    try:
        show(consent_url(settings, redirect_uri=redirect_uri, state=state))
    except BaseException:
        receiver.close()
        raise
    received = receiver.wait(seconds=wait_seconds, clock=clock).query
    if received.get("state") != state or "code" not in received:
        raise PermanentError("no valid redirect from Xero arrived (wrong state or timed out)", system="xero")
    body = post_token_form(
        settings,
        {"grant_type": "authorization_code", "code": received["code"], "redirect_uri": redirect_uri},
    )
    tokens = XeroTokens(settings=settings, store=store, clock=clock)._token_set(body, previous=None)
    tenant = choose_tenant(list_connections(settings, tokens.access_token), settings.tenant_id)
    tokens = replace(tokens, tenant_id=tenant.tenant_id)
    store.save(tokens)
    log.info("xero_connected", tenant=tenant.tenant_name, expires_at=tokens.expires_at.isoformat())
    return tokens
