"""The payments mailbox's own OAuth2 tokens (Microsoft 365, Google): handed to IMAP's XOAUTH2 login, renewed before
they expire and when the server refuses one, through the same one-refresher, persist-before-use store as Xero's.

A grant the provider has ended becomes one sentence everywhere (`SIGN_IN_AGAIN`): in `check`, `status`, `health`
and the morning report; the rest of the worker carries on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from integrations.errors import IntegrationError, NotConfigured, PermanentError
from integrations.tokens import FileTokenStore, RenewingTokens, TokenSet, TokenStore, utc_now

SIGN_IN_AGAIN = "the payments mailbox needs signing in again: run `reseller-worker inbox connect`"
NOT_SIGNED_IN = "the payments mailbox is not signed in yet: run `reseller-worker inbox connect`"
PROVIDERS = ("microsoft", "google")
TOKEN_FILE = "inbox-tokens.json"


class SignInNeeded(NotConfigured):
    """Only the mailbox's owner signing in again (`reseller-worker inbox connect`) can help."""


class MailSignIn(Protocol):
    """One provider's token endpoint, as the worker uses it unattended."""

    provider: str

    def refresh(self, previous: TokenSet, now: datetime) -> TokenSet:
        """A new token set from `previous.refresh_token`; raises GrantEnded when the provider says
        `invalid_grant`, TransientError when it cannot be reached or is busy."""
        ...


def token_store(data_dir: Path) -> FileTokenStore:
    """Where `inbox connect` leaves the token set: a 0600 file under the data directory."""
    return FileTokenStore(data_dir / TOKEN_FILE, system="imap")


class MailTokens(RenewingTokens):
    """Access tokens for the mailbox's XOAUTH2 login: `token()` before each login, `refused(token)` after the
    server said no to one."""

    system = "imap"

    def __init__(
        self,
        *,
        signin: MailSignIn,
        store: TokenStore,
        clock: Callable[[], datetime] = utc_now,
        retry_attempts: int = 3,
        retry_seconds: float = 20.0,
    ) -> None:
        super().__init__(store=store, clock=clock, retry_attempts=retry_attempts, retry_seconds=retry_seconds)
        self.signin = signin

    def token(self) -> str:
        return self.current().access_token

    def refused(self, token: str) -> str:
        """The IMAP server refused `token` (expired early, revoked): a renewed one, unless another process
        renewed it already."""
        stale = self._cached if self._cached is not None and self._cached.access_token == token else None
        if stale is None:
            stored = self.store.load()
            stale = stored if stored is not None and stored.access_token == token else None
        if stale is None:  # neither cached nor stored: whatever is stored now is newer than the refused token
            return self.current().access_token
        return self.renew_after_refusal(stale).access_token

    def _obtain(self, stored: TokenSet | None) -> TokenSet:
        if stored is None or not stored.refresh_token:
            raise SignInNeeded(NOT_SIGNED_IN, system="imap")
        if stored.provider and stored.provider != self.signin.provider:
            raise SignInNeeded(
                f"the payments mailbox was signed in with {stored.provider}, but [inbox] auth is "
                f"{self.signin.provider}: run `reseller-worker inbox connect`",
                system="imap",
            )
        return self.retrying(lambda: self.signin.refresh(stored, self.clock()))

    def _ended_error(self, stored: TokenSet) -> IntegrationError:
        return SignInNeeded(SIGN_IN_AGAIN, system="imap")


def sign_in_state(store: TokenStore, *, provider: str, now: datetime) -> tuple[bool, str]:
    """(usable, one line) from the stored token set alone, without asking the provider: for `status`, `health`,
    the report and `inbox status`."""
    try:
        tokens = store.load()
    except PermanentError as exc:
        return False, f"{SIGN_IN_AGAIN} ({exc})"
    if tokens is None or not tokens.refresh_token:
        return False, NOT_SIGNED_IN
    if tokens.ended:
        return False, SIGN_IN_AGAIN
    if tokens.provider and tokens.provider != provider:
        return False, f"signed in with {tokens.provider}, but [inbox] auth is {provider}: {SIGN_IN_AGAIN}"
    who = f" as {tokens.account}" if tokens.account else ""
    left = int((tokens.expires_at - now).total_seconds() // 60)
    access = f"access token for {left} more min" if left > 0 else "access token expired (renewed at next login)"
    return True, f"signed in with {tokens.provider or provider}{who}; {access}; refresh token held"
