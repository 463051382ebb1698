"""OAuth2 token sets the worker keeps for itself (Xero, the payments mailbox), and the one way they are renewed.

Exactly one refresher at a time (a thread lock plus a file lock), and every new token set is persisted atomically
(temp file, fsync, os.replace, mode 0600) before it is used, so a crash never loses the only valid refresh token.
A grant the provider has ended (revoked, expired) is written down too, so every part of the worker can say so
without asking the provider again. Tokens never reach a log line: `TokenSet.__repr__` hides them.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

import structlog
from filelock import FileLock

from integrations.errors import IntegrationError, PermanentError
from integrations.retrying import transient_retry

log = structlog.get_logger(__name__)

RENEW_BEFORE = timedelta(minutes=5)  # renew well before expiry (Xero: 30 min, Microsoft and Google: about an hour)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenSet:
    access_token: str = field(repr=False)
    expires_at: datetime
    scopes: tuple[str, ...] = ()
    refresh_token: str = field(default="", repr=False)
    tenant_id: str = ""
    obtained_at: datetime | None = None
    provider: str = ""  # who issued it, where one store could hold either (the mailbox: microsoft | google)
    account: str = ""  # who signed in, when the provider says
    ended: str = ""  # why the grant is over (the provider's words); empty while it lives

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
            "provider": self.provider,
            "account": self.account,
            "ended": self.ended,
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
            provider=str(data.get("provider") or ""),
            account=str(data.get("account") or ""),
            ended=str(data.get("ended") or ""),
        )


class TokenStore(Protocol):
    def load(self) -> TokenSet | None: ...
    def save(self, tokens: TokenSet) -> None: ...
    def lock(self) -> Any: ...  # a context manager held while renewing


class MemoryTokenStore:
    """For tokens simply fetched again after a restart (Custom Connections) and for tests."""

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

    def __init__(self, path: Path, *, system: str = "xero") -> None:
        self.path = path
        self.system = system
        self._file_lock = FileLock(str(path) + ".lock", timeout=60)

    def load(self) -> TokenSet | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return TokenSet.from_json(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PermanentError(
                f"token file {self.path} is unreadable: {type(exc).__name__}", system=self.system
            ) from exc

    def save(self, tokens: TokenSet) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
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


class GrantEnded(PermanentError):
    """The token endpoint says the refresh token is no good any more (`invalid_grant`): revoked, expired, or the
    password changed. Only a person signing in again helps."""


class RenewingTokens:
    """Hands out a valid access token; renews it (once, under the locks) when it is near expiry or refused.

    Subclasses say how a new token set is obtained (`_obtain`) and what a caller is told once the grant has
    ended (`_ended_error`). A new set is saved before it is returned, so a refresh token is never spent unsaved.
    """

    system = ""

    def __init__(
        self,
        *,
        store: TokenStore,
        clock: Callable[[], datetime] = utc_now,
        retry_attempts: int = 3,
        retry_seconds: float = 20.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.retry_attempts = retry_attempts
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._cached: TokenSet | None = None
        self.renewals = 0

    def current(self) -> TokenSet:
        """A token good for at least RENEW_BEFORE more."""
        tokens = self._cached
        if tokens is not None and not tokens.expiring(self.clock()):
            return tokens
        return self._renew(stale=tokens, forced=False)

    def renew_after_refusal(self, refused: TokenSet) -> TokenSet:
        """The server refused `refused`: renew unless another thread or process already has."""
        return self._renew(stale=refused, forced=True)

    def retrying(self, call: Callable[[], TokenSet]) -> TokenSet:
        """`call` under the one retry policy (transient errors only)."""
        return transient_retry(attempts=self.retry_attempts, max_seconds=self.retry_seconds)(call)()

    def _renew(self, *, stale: TokenSet | None, forced: bool) -> TokenSet:
        with self._lock, self.store.lock():
            stored = self.store.load()
            if stored is not None and stored.ended:
                self._cached = None
                raise self._ended_error(stored)
            fresh_elsewhere = stored is not None and (stale is None or stored.access_token != stale.access_token)
            if stored is not None and fresh_elsewhere and not stored.expiring(self.clock()):
                self._cached = stored
                return stored
            if not forced and stored is not None and not stored.expiring(self.clock()):
                self._cached = stored
                return stored
            try:
                new = self._obtain(stored)
            except GrantEnded as exc:
                if stored is None:
                    raise
                ended = replace(stored, ended=str(exc) or "invalid_grant")
                self.store.save(ended)  # every process, and every command, now knows without asking again
                self._cached = None
                log.warning("token_grant_ended", system=self.system, reason=ended.ended)
                raise self._ended_error(ended) from exc
            self.store.save(new)  # persisted before anyone uses it: the old refresh token may now be spent
            self._cached = new
            self.renewals += 1
            log.info("token_renewed", system=self.system, expires_at=new.expires_at.isoformat())
            return new

    def _obtain(self, stored: TokenSet | None) -> TokenSet:
        raise NotImplementedError

    def _ended_error(self, stored: TokenSet) -> IntegrationError:
        return PermanentError(f"the {self.system} grant has ended: {stored.ended}", system=self.system)


# ---- a redirect received on loopback (the OAuth2 code flow) ----------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Redirect:
    """What the provider's redirect brought: the query parameters (code, state, or error)."""

    uri: str  # the redirect_uri the provider was given
    query: Mapping[str, str]


class RedirectReceiver:
    """A one-shot HTTP listener on 127.0.0.1 for the browser's redirect after consent. Bind first (the port goes
    into the consent URL), then `wait`. The query holds the code, so nothing of it is logged."""

    def __init__(
        self, *, port: int, state: str, done_text: str, path: str = "/callback", host_name: str = "localhost"
    ) -> None:
        received: dict[str, str] = {}
        self._received = received
        done = done_text.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                if "code" in query or "error" in query:
                    received.update(query)
                ok = "code" in query and query.get("state") == state
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(done + b"\n" if ok else b"refused\n")

            def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: no access log
                return

        self._server = HTTPServer(("127.0.0.1", port), Handler)
        self._server.timeout = 1.0
        self.uri = f"http://{host_name}:{self._server.server_address[1]}{path}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def wait(self, *, seconds: float, clock: Callable[[], datetime] = utc_now) -> Redirect:
        """Serve until a redirect with a code or an error arrives, or `seconds` pass; then close."""
        deadline = clock() + timedelta(seconds=seconds)
        try:
            while not self._received and clock() < deadline:
                self._server.handle_request()
        finally:
            self._server.server_close()
        return Redirect(uri=self.uri, query=dict(self._received))

    def close(self) -> None:
        self._server.server_close()
