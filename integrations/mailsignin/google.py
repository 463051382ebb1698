"""Google (Workspace or Gmail) mailbox sign-in: the loopback redirect once, with google-auth-oauthlib, then refresh
with google-auth.

Google's device flow does not allow the Gmail scope (its limited-input-device page lists the allowed scopes, and a
Gmail scope is answered `invalid_scope`), so the sign-in is the desktop-app flow of developers.google.com/identity/
protocols/oauth2/native-app: consent at accounts.google.com with `access_type=offline`, a redirect to a loopback
port with `code` and `state`, the code (with its PKCE verifier) exchanged at oauth2.googleapis.com/token for
access_token, expires_in, refresh_token and scope. A refresh answers a new access token (and keeps the refresh token
unless a new one comes); a revoked or expired grant is `{"error": "invalid_grant", "error_description": "Token has
been expired or revoked."}`. The scope is `https://mail.google.com/` (developers.google.com/gmail/imap/
xoauth2-protocol).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import structlog

from integrations.errors import NotConfigured, PermanentError, TransientError
from integrations.tokens import GrantEnded, RedirectReceiver, TokenSet

log = structlog.get_logger(__name__)

MAIL_SCOPE = "https://mail.google.com/"
AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
TOKEN_URI = "https://oauth2.googleapis.com/token"


class GoogleMailSignIn:
    """`MailSignIn` for Google: a "Desktop app" OAuth client, whose id and secret Google issues together."""

    provider = "google"

    def __init__(self, *, client_id: str, client_secret: str, timeout_seconds: float = 30.0) -> None:
        if not client_id or not client_secret:
            raise NotConfigured(
                "RW_INBOX_CLIENT_ID and RW_INBOX_CLIENT_SECRET (the Desktop app OAuth client) are required",
                system="imap",
            )
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout_seconds = timeout_seconds

    # ---- the unattended part ---------------------------------------------------------------------------------

    def refresh(self, previous: TokenSet, now: datetime) -> TokenSet:
        import google.auth.exceptions
        import google.auth.transport.requests
        import google.oauth2.credentials

        credentials = google.oauth2.credentials.Credentials(  # type: ignore[no-untyped-call]
            None,
            refresh_token=previous.refresh_token,
            token_uri=TOKEN_URI,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=[MAIL_SCOPE],
        )
        session = requests.Session()
        # google-auth waits up to 120 s by default; every call here has the worker's own timeout.
        request = functools.partial(google.auth.transport.requests.Request(session), timeout=self.timeout_seconds)
        try:
            credentials.refresh(request)  # type: ignore[no-untyped-call]
        except google.auth.exceptions.RefreshError as exc:
            data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], Mapping) else {}
            error = str(data.get("error") or "")
            if error == "invalid_grant":
                raise GrantEnded(f"Google: {_error(data)}", system="imap") from exc
            if getattr(exc, "retryable", False):
                raise TransientError(f"Google token endpoint: {_error(data) or exc}", system="imap") from exc
            raise PermanentError(f"Google refused the token request: {_error(data) or exc}", system="imap") from exc
        except google.auth.exceptions.TransportError as exc:
            raise TransientError(f"Google token endpoint unreachable: {type(exc).__name__}", system="imap") from exc
        finally:
            session.close()
        expiry = credentials.expiry
        expires_at = expiry.replace(tzinfo=UTC) if expiry is not None else now + timedelta(seconds=3599)
        return TokenSet(
            access_token=str(credentials.token),
            # google-auth stamps expiry from its own clock; keep the worker's clock the reference.
            expires_at=now + (expires_at - datetime.now(UTC)),
            scopes=tuple(credentials.granted_scopes or previous.scopes or (MAIL_SCOPE,)),
            refresh_token=str(credentials.refresh_token or previous.refresh_token),
            obtained_at=now,
            provider=self.provider,
            account=previous.account,
        )

    # ---- `inbox connect` ---------------------------------------------------------------------------------------

    def sign_in(
        self,
        *,
        show: Callable[[str], None],
        now: Callable[[], datetime],
        port: int,
        wait_seconds: float = 300.0,
        account: str = "",
    ) -> TokenSet:
        """Print the consent URL, receive Google's redirect on a loopback port, exchange the code."""
        from google_auth_oauthlib.flow import Flow

        state = secrets.token_urlsafe(16)
        receiver = RedirectReceiver(
            port=port,
            state=state,
            path="/",
            host_name="127.0.0.1",  # the native-app page's loopback form; only IPv4 loopback is listened on
            done_text="reseller-worker can now read the payments mailbox; you can close this tab.",
        )
        try:
            flow = Flow.from_client_config(
                {
                    "installed": {
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                        "auth_uri": AUTH_URI,
                        "token_uri": TOKEN_URI,
                    }
                },
                scopes=[MAIL_SCOPE],
                redirect_uri=receiver.uri,
                state=state,
            )
            extra = {"login_hint": account} if account else {}
            # offline: a refresh token; consent: a new one even if this client was allowed before
            url, _ = flow.authorization_url(access_type="offline", prompt="consent", **extra)
            show(url)
        except BaseException:
            receiver.close()
            raise
        redirect = receiver.wait(seconds=wait_seconds, clock=now)
        if "error" in redirect.query:
            raise PermanentError(f"Google refused the sign-in: {redirect.query['error']}", system="imap")
        if redirect.query.get("state") != state or "code" not in redirect.query:
            raise PermanentError("no valid redirect from Google arrived (wrong state or timed out)", system="imap")
        answer = _exchange(flow, redirect.query["code"], self.timeout_seconds)
        started = now()
        try:
            lifetime = int(answer.get("expires_in", 3599))
        except (TypeError, ValueError) as exc:
            raise PermanentError("Google's token answer has a bad expires_in", system="imap") from exc
        if not answer.get("refresh_token"):
            raise PermanentError("Google sent no refresh token (was access_type=offline dropped?)", system="imap")
        scope = answer.get("scope") or MAIL_SCOPE
        tokens = TokenSet(
            access_token=str(answer["access_token"]),
            expires_at=started + timedelta(seconds=lifetime),
            scopes=tuple(scope.split() if isinstance(scope, str) else scope),
            refresh_token=str(answer["refresh_token"]),
            obtained_at=started,
            provider=self.provider,
            account=account,
        )
        log.info("mail_signed_in", provider=self.provider, account=account)
        return tokens


def _exchange(flow: Any, code: str, timeout: float) -> Mapping[str, Any]:
    from oauthlib.oauth2 import OAuth2Error

    try:
        answer: Mapping[str, Any] = flow.fetch_token(code=code, timeout=timeout)
    except OAuth2Error as exc:
        raise PermanentError(f"Google refused the code: {exc.error}: {exc.description or ''}", system="imap") from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"Google token endpoint unreachable: {type(exc).__name__}", system="imap") from exc
    return answer


def _error(data: Mapping[str, Any]) -> str:
    if not data:
        return ""
    return f"{data.get('error', '')}: {data.get('error_description', '')}".rstrip(": ")
