"""Xero access tokens: Custom Connection (client_credentials) and the OAuth2 code flow with rotating refresh tokens.

Exactly one refresher (a thread lock plus a file lock), and every new token set is persisted atomically (temp
file, fsync, os.replace, mode 0600) before it is used, so a crash never loses the only valid refresh token. A
refresh whose response is lost is retried with the same old token, which Xero accepts for 30 minutes.
Tokens never reach a log line: `TokenSet.__repr__` hides them.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlparse

import requests
import structlog
from filelock import FileLock

from config.xero import XeroSettings
from integrations.errors import NotConfigured, PermanentError, TransientError
from integrations.retrying import transient_retry

log = structlog.get_logger(__name__)

XERO_TOKEN_URL = "https://identity.xero.com/connect/token"
XERO_AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
XERO_CONNECTIONS_URL = "https://api.xero.com/Connections"
FINANCE_SCOPE = "finance.bankstatementsplus.read"
RENEW_BEFORE = timedelta(minutes=5)  # the SDK renews nothing; we renew well before the 30-minute expiry


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenSet:
    access_token: str = field(repr=False)
    expires_at: datetime
    scopes: tuple[str, ...] = ()
    refresh_token: str = field(default="", repr=False)
    tenant_id: str = ""
    obtained_at: datetime | None = None

    def expiring(self, now: datetime, within: timedelta = RENEW_BEFORE) -> bool:
        return self.expires_at - within <= now

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat(),
            "scopes": list(self.scopes),
            "refresh_token": self.refresh_token,
            "tenant_id": self.tenant_id,
            "obtained_at": self.obtained_at.isoformat() if self.obtained_at else "",
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenSet:
        return cls(
            access_token=str(data["access_token"]),
            expires_at=datetime.fromisoformat(str(data["expires_at"])),
            scopes=tuple(data.get("scopes") or ()),
            refresh_token=str(data.get("refresh_token") or ""),
            tenant_id=str(data.get("tenant_id") or ""),
            obtained_at=datetime.fromisoformat(data["obtained_at"]) if data.get("obtained_at") else None,
        )


class TokenStore(Protocol):
    def load(self) -> TokenSet | None: ...
    def save(self, tokens: TokenSet) -> None: ...
    def lock(self) -> Any: ...  # a context manager held while renewing


class MemoryTokenStore:
    """For Custom Connections in tests: nothing to keep across restarts."""

    def __init__(self, tokens: TokenSet | None = None) -> None:
        self.tokens = tokens
        self._lock = threading.RLock()

    def load(self) -> TokenSet | None:
        return self.tokens

    def save(self, tokens: TokenSet) -> None:
        self.tokens = tokens

    def lock(self) -> Any:
        return self._lock


class FileTokenStore:
    """A JSON file readable only by the worker; replaced atomically; a sibling lock file serialises renewals
    across processes (the daemon and a CLI command)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file_lock = FileLock(str(path) + ".lock", timeout=60)

    def load(self) -> TokenSet | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise PermanentError(f"token file {self.path} is unreadable: {type(exc).__name__}", system="xero") from exc
        return TokenSet.from_json(data)

    def save(self, tokens: TokenSet) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".xero-tokens.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(tokens.to_json(), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)

    def lock(self) -> Any:
        return self._file_lock


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


class XeroTokens:
    """Hands out a valid access token; renews it (once, under the lock) when it is near expiry or refused."""

    def __init__(
        self,
        *,
        settings: XeroSettings,
        store: TokenStore,
        clock: Callable[[], datetime] = _utc_now,
        retry_attempts: int = 3,
        retry_seconds: float = 20.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: TokenSet | None = None
        self._post = transient_retry(attempts=retry_attempts, max_seconds=retry_seconds)(self._post_once)
        self.renewals = 0

    @property
    def grant(self) -> str:
        return "refresh_token" if self.settings.mode == "oauth2" else "client_credentials"

    def current(self) -> TokenSet:
        """A token good for at least RENEW_BEFORE more."""
        tokens = self._cached
        if tokens is not None and not tokens.expiring(self.clock()):
            return tokens
        return self._renew(stale=tokens, forced=False)

    def renew_after_refusal(self, refused: TokenSet) -> TokenSet:
        """Xero said 401 to `refused`: renew unless another thread or process already has."""
        return self._renew(stale=refused, forced=True)

    def _renew(self, *, stale: TokenSet | None, forced: bool) -> TokenSet:
        with self._lock, self.store.lock():
            stored = self.store.load()
            fresh_elsewhere = stored is not None and (stale is None or stored.access_token != stale.access_token)
            if stored is not None and fresh_elsewhere and not stored.expiring(self.clock()):
                self._cached = stored
                return stored
            if not forced and stored is not None and not stored.expiring(self.clock()):
                self._cached = stored
                return stored
            if self.grant == "refresh_token":
                if stored is None or not stored.refresh_token:
                    raise NotConfigured("no Xero token set yet: run `reseller-worker xero connect`", system="xero")
                body = self._post({"grant_type": "refresh_token", "refresh_token": stored.refresh_token})
                new = self._token_set(body, previous=stored)
            else:
                if not all(client_credentials(self.settings)):
                    raise NotConfigured("Xero client id and secret are required", system="xero")
                body = self._post({"grant_type": "client_credentials"})
                new = self._token_set(body, previous=stored)
            self.store.save(new)  # persisted before anyone uses it: the old refresh token is now spent
            self._cached = new
            self.renewals += 1
            log.info("xero_token_renewed", grant=self.grant, expires_at=new.expires_at.isoformat())
            return new

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

    def _post_once(self, form: Mapping[str, str]) -> dict[str, Any]:
        return post_token_form(self.settings, form)

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
    received: dict[str, str] = {}

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            received.update(query)
            ok = query.get("state") == state and "code" in query
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"reseller-worker is connected to Xero; you can close this tab.\n" if ok else b"refused\n")

        def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: no access log
            return

    server = HTTPServer(("127.0.0.1", settings.redirect_port if port is None else port), Redirect)
    server.timeout = 1.0
    redirect_uri = f"http://localhost:{server.server_address[1]}/callback"
    deadline = clock() + timedelta(seconds=wait_seconds)
    try:
        show(consent_url(settings, redirect_uri=redirect_uri, state=state))
        while "code" not in received and clock() < deadline:
            server.handle_request()
    finally:
        server.server_close()
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
