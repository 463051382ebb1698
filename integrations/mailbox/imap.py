"""`ImapMailbox`: the payments folder on a real IMAP server, through imapclient.

TLS unless on loopback, password or XOAUTH2 login, IDLE (polling where the server lacks it), reconnect with the
one retry policy after a drop, a timeout on every socket operation, and MOVE (or COPY + UID EXPUNGE). Only
`integrations.errors` types leave this module.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from imapclient.imapclient import SocketTimeout

from config.network import is_loopback
from integrations.errors import IntegrationError, NotConfigured, PermanentError, TransientError
from integrations.ports import MailMessage
from integrations.retrying import transient_retry

log = structlog.get_logger(__name__)

T = TypeVar("T")

FETCH_CHUNK = 200  # UIDs per FETCH: keeps each command line and response bounded
FETCH_BYTES = 32 * 1024 * 1024  # per fetch_new: a flood of big messages is read over several batches
MOVE_CHUNK = 500  # UIDs per MOVE/COPY: servers cap the command line length (Dovecot at 64 kB)
NEW_MAIL = {b"EXISTS"}  # RECENT always comes with EXISTS; EXPUNGE alone is our own MOVEs


class ImapMailbox:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        security: str = "imaps",
        password: str = "",
        oauth2_token: Callable[[], str] | None = None,
        oauth2_refused: Callable[[str], str] | None = None,
        folder: str = "INBOX",
        timeout_seconds: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        idle_seconds: float = 540.0,
        poll_seconds: float = 30.0,
        max_message_bytes: int = 2 * 1024 * 1024,
        fetch_bytes: int = FETCH_BYTES,
        retry_attempts: int = 4,
        retry_max_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if security not in {"imaps", "starttls", "none"}:
            raise NotConfigured(f"unknown IMAP security {security!r}", system="imap")
        if security == "none" and not is_loopback(host):
            raise NotConfigured(f"IMAP without TLS is only allowed on loopback, not {host!r}", system="imap")
        if not password and oauth2_token is None:
            raise NotConfigured("IMAP needs a password or an OAuth2 token source", system="imap")
        self.host, self.port, self.username, self.folder = host, port, username, folder
        self._security = security
        self._password = password
        self._token = oauth2_token
        self._refused = oauth2_refused  # given a token the server refused, returns a renewed one (or raises)
        self._timeout = timeout_seconds
        self._ssl = ssl_context
        self._idle_seconds = idle_seconds
        self._poll_seconds = poll_seconds
        self._max = max_message_bytes
        self._fetch_bytes = fetch_bytes
        self._retry = transient_retry(attempts=retry_attempts, max_seconds=retry_max_seconds)
        self._sleep = sleep
        self._clock = clock
        self._client: IMAPClient | None = None
        self._uidvalidity = 0
        self._known_folders: set[str] = set()
        self._prefix: str | None = None  # personal namespace prefix, learnt on first move
        self.reconnects = 0  # how many times a dropped connection was replaced (for tests and the log)

    def __repr__(self) -> str:  # never shows the password
        return f"ImapMailbox({self.username}@{self.host}:{self.port}/{self.folder}, {self._security})"

    # ---- connection ---------------------------------------------------------------------------------------

    def _connect(self) -> IMAPClient:
        if self._token is None:
            return self._open(lambda client: client.login(self.username, self._password))
        token = self._token()
        try:
            return self._open(lambda client: client.oauth2_login(self.username, token))
        except LoginError:
            if self._refused is None:
                raise
        # The token was refused before its time (revoked session, clock skew): renew once, on a fresh connection.
        # A second refusal is final, so a server that refuses every token is not asked in a loop.
        renewed = self._refused(token)
        log.info("imap_token_renewed_after_refusal", username=self.username)
        return self._open(lambda client: client.oauth2_login(self.username, renewed))

    def _open(self, login: Callable[[IMAPClient], object]) -> IMAPClient:
        context = self._ssl or ssl.create_default_context()
        timeout = SocketTimeout(connect=self._timeout, read=self._timeout)
        client = IMAPClient(
            self.host, port=self.port, ssl=self._security == "imaps", ssl_context=context, timeout=timeout
        )
        try:
            if self._security == "starttls":
                client.starttls(context)
            login(client)
            info = client.select_folder(self.folder)
        except BaseException:
            _quietly_shut(client)
            raise
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        return client

    def _drop(self) -> None:
        if self._client is not None:
            _quietly_shut(self._client)
            self._client = None
            self._known_folders.clear()

    def _run(self, what: str, op: Callable[[IMAPClient], T], *, retry: bool = True) -> T:
        """One operation, retried on a dropped connection with a fresh one (the one retry policy)."""

        def attempt() -> T:
            try:
                if self._client is None:
                    had_client = self._uidvalidity != 0
                    self._client = self._connect()
                    if had_client:
                        self.reconnects += 1
                        log.info("imap_reconnected", host=self.host, folder=self.folder)
                return op(self._client)
            except LoginError as exc:
                self._drop()
                raise PermanentError(f"IMAP login refused for {self.username}: {exc}", system="imap") from exc
            except ssl.SSLCertVerificationError as exc:
                self._drop()
                raise PermanentError(f"IMAP server certificate refused for {self.host}: {exc}", system="imap") from exc
            except (IMAPClientAbortError, OSError, EOFError) as exc:
                # OSError covers refused connections, resets, TLS errors and socket timeouts
                self._drop()
                raise TransientError(f"IMAP {what} failed: {type(exc).__name__}: {exc}", system="imap") from exc
            except IMAPClientError as exc:
                self._drop()
                raise PermanentError(f"IMAP {what} refused: {exc}", system="imap") from exc
            except IntegrationError:
                raise
            except (ValueError, KeyError, TypeError) as exc:  # a reply imapclient could not parse
                self._drop()
                raise TransientError(f"IMAP {what}: unexpected reply: {exc}", system="imap") from exc

        return self._retry(attempt)() if retry else attempt()

    # ---- the Mailbox port ---------------------------------------------------------------------------------

    def uidvalidity(self) -> int:
        def op(client: IMAPClient) -> int:
            # Re-SELECT so a long-lived connection notices a rebuilt folder.
            info = client.select_folder(self.folder)
            self._uidvalidity = int(info[b"UIDVALIDITY"])
            return self._uidvalidity

        return self._run("select", op)

    def fetch_new(self, *, after_uid: int, limit: int) -> Sequence[MailMessage]:
        def op(client: IMAPClient) -> list[MailMessage]:
            client.noop()  # the server updates the selected folder's view between commands, not during one
            # `UID n:*` always matches the highest UID even below n (RFC 3501): filter client-side too.
            found = client.search(["UID", f"{after_uid + 1}:*"])
            uids = sorted(int(u) for u in found if int(u) > after_uid)[:limit]
            out: list[MailMessage] = []
            budget = self._fetch_bytes
            for start in range(0, len(uids), FETCH_CHUNK):
                chunk = uids[start : start + FETCH_CHUNK]  # explicit UID lists: imapclient 4 rejects `1:*`
                sizes = {int(u): int(d.get(b"RFC822.SIZE", 0)) for u, d in client.fetch(chunk, ["RFC822.SIZE"]).items()}
                chunk, budget = _within(chunk, sizes, self._max, budget, first=not out)
                small = [u for u in chunk if u in sizes and sizes[u] <= self._max]
                large = [u for u in chunk if u in sizes and sizes[u] > self._max]
                bodies: dict[int, bytes] = {}
                if small:
                    for u, d in client.fetch(small, ["BODY.PEEK[]"]).items():
                        bodies[int(u)] = _body(d)
                if large:
                    # Only the start of an oversized message: enough for its headers, never the whole thing.
                    for u, d in client.fetch(large, [f"BODY.PEEK[]<0.{self._max}>"]).items():
                        bodies[int(u)] = _body(d)
                out.extend(
                    MailMessage(uid=u, raw=bodies[u], mailbox_id=str(self._uidvalidity), size=sizes[u])
                    for u in chunk
                    if u in bodies  # gone between SEARCH and FETCH: someone else moved it
                )
                if budget <= 0:
                    break
            return out

        return self._run("fetch", op)

    def _folder(self, client: IMAPClient, folder: str) -> str:
        """`Processed` as this server names it: under the personal namespace prefix (`INBOX.` on Courier, Cyrus)."""
        if self._prefix is None:
            self._prefix = ""
            if client.has_capability("NAMESPACE"):
                personal = client.namespace().personal
                if personal:
                    self._prefix = str(personal[0][0] or "")
        if not self._prefix or folder.upper() == "INBOX" or folder.startswith(self._prefix):
            return folder
        return self._prefix + folder

    def move(self, uids: Iterable[int], folder: str) -> None:
        wanted = sorted(set(uids))
        for start in range(0, len(wanted), MOVE_CHUNK):
            self._move(wanted[start : start + MOVE_CHUNK], folder)

    def _move(self, wanted: list[int], name: str) -> None:
        if not wanted:
            return

        def op(client: IMAPClient) -> None:
            folder = self._folder(client, name)
            if folder not in self._known_folders:
                if not client.folder_exists(folder):
                    try:
                        client.create_folder(folder)
                    except IMAPClientError:
                        if not client.folder_exists(folder):  # lost a race with another client: fine
                            raise
                self._known_folders.add(folder)
            if client.has_capability("MOVE"):
                client.move(wanted, folder)  # atomic: in one folder or the other, never both or neither
                return
            # No MOVE: copy, flag, and expunge only these UIDs. A drop between COPY and EXPUNGE can leave a
            # second copy in the target folder; the database record stays the single truth.
            client.copy(wanted, folder)
            client.add_flags(wanted, [b"\\Seen"])
            client.delete_messages(wanted)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(wanted)
            else:
                # Plain EXPUNGE would also remove other clients' \Deleted mail: leave ours flagged instead.
                log.warning("imap_no_uidplus", folder=folder, left_flagged=len(wanted))

        self._run("move", op)

    def wait_for_mail(self, timeout_seconds: float) -> bool:
        deadline = self._clock() + timeout_seconds
        reconnects = self.reconnects
        try:
            if self._run("noop", lambda c: _has_new(c.noop()[1])) or self.reconnects != reconnects:
                return True  # new mail, or a fresh connection: mail may have come while we were away
            idle = self._run("capability", lambda c: bool(c.has_capability("IDLE")))
        except TransientError:
            return True  # reconnected (or will): IDLE is only a hint, so the caller should look anyway
        if not idle:
            return self._poll_until(deadline)
        while (remaining := deadline - self._clock()) > 0:
            slice_seconds = min(remaining, self._idle_seconds)  # re-issued long before the 29-minute limit

            def op(client: IMAPClient, seconds: float = slice_seconds) -> bool:
                client.idle()
                try:
                    responses = client.idle_check(timeout=seconds)
                finally:
                    _, after = client.idle_done()
                if _said_bye(responses) or _said_bye(after):
                    raise IMAPClientAbortError("server ended the session during IDLE")
                return _has_new(responses) or _has_new(after)

            try:
                # Not retried: after a drop the caller should fetch at once (IDLE is only a hint).
                if self._run("idle", op, retry=False):
                    return True
            except TransientError:
                return True
        return False

    def _poll_until(self, deadline: float) -> bool:
        # NOOP makes the server sync the selected folder and report new mail as EXISTS.
        while (remaining := deadline - self._clock()) > 0:
            self._sleep(min(self._poll_seconds, remaining))
            try:
                if self._run("noop", lambda c: _has_new(c.noop()[1]), retry=False):
                    return True
            except TransientError:
                return True
        return False

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # best effort: the server drops idle sessions anyway
                self._client.logout()
            self._drop()


def _within(uids: list[int], sizes: dict[int, int], cap: int, budget: int, *, first: bool) -> tuple[list[int], int]:
    """The leading UIDs whose (capped) sizes fit the byte budget; always at least one, so a batch progresses."""
    kept: list[int] = []
    for u in uids:
        cost = min(sizes.get(u, 0), cap)
        if (kept or not first) and cost > budget:
            return kept, 0
        kept.append(u)
        budget -= cost
    return kept, budget


def _body(data: dict[bytes, Any]) -> bytes:
    for key, value in data.items():
        if key.startswith(b"BODY[") and isinstance(value, bytes):
            return value
    return b""


def _has_new(responses: Any) -> bool:
    return any(isinstance(item, tuple) and len(item) >= 2 and item[1] in NEW_MAIL for item in responses or ())


def _said_bye(responses: Any) -> bool:
    return any(isinstance(item, tuple) and item and item[0] == b"BYE" for item in responses or ())


def _quietly_shut(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # the socket may already be gone
        client.shutdown()
