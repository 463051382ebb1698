"""Microsoft 365 mailbox sign-in with msal: the device-code flow once (works on a headless server), then refresh.

Protocol, as the Microsoft identity platform documents it (learn.microsoft.com/entra/identity-platform/
v2-oauth2-device-code and v2-oauth2-auth-code-flow#refresh-the-access-token): POST /{tenant}/oauth2/v2.0/devicecode
gives device_code, user_code, verification_uri, expires_in, interval and message; the /token endpoint is polled
with the device code and answers `authorization_pending` until the user has signed in, then `authorization_declined`,
`bad_verification_code` or `expired_token` end it; a refresh answers a new refresh token the client must keep, or
`invalid_grant` once the grant is revoked or expired. The scope is Exchange Online's
`https://outlook.office.com/IMAP.AccessAsUser.All` (learn.microsoft.com/exchange/client-developer/legacy-protocols/
how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth); msal adds `offline_access openid profile` itself.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import requests
import structlog

from integrations.errors import NotConfigured, PermanentError, TransientError
from integrations.tokens import GrantEnded, TokenSet

log = structlog.get_logger(__name__)

IMAP_SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All"
AUTHORITY_HOST = "https://login.microsoftonline.com"
# RFC 8628 §3.5 and the Microsoft page above: keep polling on these, at the flow's interval.
STILL_WAITING = ("authorization_pending", "slow_down")
TRANSIENT = ("temporarily_unavailable", "server_error")
# The token endpoint's errors that only an interactive sign-in cures (the error table of v2-oauth2-auth-code-flow):
# the grant revoked or expired, or a new MFA or consent requirement.
SIGN_IN_AGAIN = ("invalid_grant", "interaction_required", "consent_required")


class MicrosoftMailSignIn:
    """`MailSignIn` for Microsoft 365 (Exchange Online), a public client: no secret."""

    provider = "microsoft"

    def __init__(self, *, client_id: str, tenant: str = "organizations", timeout_seconds: float = 30.0) -> None:
        if not client_id:
            raise NotConfigured("RW_INBOX_CLIENT_ID (the app registration's client id) is required", system="imap")
        self.client_id = client_id
        self.tenant = tenant or "organizations"
        self.timeout_seconds = timeout_seconds
        self._app: Any = None

    def _msal(self) -> Any:
        """One msal application per process: it reads the tenant's OpenID configuration once and caches it."""
        if self._app is None:
            import msal  # only a Microsoft mailbox needs it

            try:
                self._app = msal.PublicClientApplication(
                    self.client_id,
                    authority=f"{AUTHORITY_HOST}/{self.tenant}",
                    timeout=self.timeout_seconds,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise TransientError(f"Microsoft sign-in unreachable: {type(exc).__name__}", system="imap") from exc
            except ValueError as exc:  # a 4xx from the tenant's discovery document: no such tenant
                raise NotConfigured(f"Microsoft does not know tenant {self.tenant!r}: {exc}", system="imap") from exc
            except Exception as exc:  # a 5xx there: msal raises requests' HTTPError or its own
                raise TransientError(f"Microsoft sign-in unavailable: {type(exc).__name__}", system="imap") from exc
        return self._app

    # ---- the unattended part ---------------------------------------------------------------------------------

    def refresh(self, previous: TokenSet, now: datetime) -> TokenSet:
        app = self._msal()
        answer = _call(lambda: app.acquire_token_by_refresh_token(previous.refresh_token, scopes=[IMAP_SCOPE]))
        return self._token_set(answer, now=now, previous=previous)

    # ---- `inbox connect` ---------------------------------------------------------------------------------------

    def start(self) -> Mapping[str, Any]:
        """Ask for a device code; the flow's `message` tells the person where to go and what to type."""
        app = self._msal()
        flow: dict[str, Any] = _call(lambda: app.initiate_device_flow(scopes=[IMAP_SCOPE]))
        if "user_code" not in flow:
            raise PermanentError(f"Microsoft refused the sign-in: {_error(flow)}", system="imap")
        return flow

    def finish(
        self,
        flow: Mapping[str, Any],
        *,
        now: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
    ) -> TokenSet:
        """Poll the token endpoint at the flow's interval until the person has signed in, declined, or the code
        expired (15 minutes by default)."""
        app = self._msal()
        state = dict(flow)  # msal keeps its polling state in the flow
        deadline = now() + timedelta(seconds=int(state.get("expires_in", 900)))
        while True:
            with warnings.catch_warnings():
                # msal warns when polled sooner than `interval` by its own clock; this loop waits the interval.
                warnings.filterwarnings("ignore", message="Attempted too soon")
                answer = _call(lambda: app.acquire_token_by_device_flow(state, exit_condition=lambda flow: True))
            error = str(answer.get("error") or "")
            if "access_token" in answer:
                tokens = self._token_set(answer, now=now(), previous=None)
                log.info("mail_signed_in", provider=self.provider, account=tokens.account)
                return tokens
            if error not in STILL_WAITING:
                raise PermanentError(_refusal(error, answer), system="imap")
            if now() >= deadline:
                raise PermanentError("the sign-in code expired before anyone signed in", system="imap")
            sleep(float(state.get("interval", 5)))  # msal adds 5 s to it after a slow_down

    # ---- answers -------------------------------------------------------------------------------------------

    def _token_set(self, answer: Mapping[str, Any], *, now: datetime, previous: TokenSet | None) -> TokenSet:
        error = str(answer.get("error") or "")
        if error in SIGN_IN_AGAIN:
            raise GrantEnded(f"Microsoft: {_error(answer)}", system="imap")
        if error in TRANSIENT:
            raise TransientError(f"Microsoft token endpoint: {_error(answer)}", system="imap")
        if error or "access_token" not in answer:
            raise PermanentError(f"Microsoft refused the token request: {_error(answer)}", system="imap")
        claims = answer.get("id_token_claims") or {}
        account = str(claims.get("preferred_username") or (previous.account if previous else ""))
        try:
            lifetime = int(answer.get("expires_in", 3599))
        except (TypeError, ValueError) as exc:
            raise PermanentError("Microsoft's token answer has a bad expires_in", system="imap") from exc
        return TokenSet(
            access_token=str(answer["access_token"]),
            expires_at=now + timedelta(seconds=lifetime),
            scopes=tuple(str(answer.get("scope") or IMAP_SCOPE).split()),
            # The documentation says to replace the old refresh token with the new one whenever one comes.
            refresh_token=str(answer.get("refresh_token") or (previous.refresh_token if previous else "")),
            obtained_at=now,
            provider=self.provider,
            account=account,
            tenant_id=str(claims.get("tid") or ""),
        )


def _call(fetch: Callable[[], Any]) -> Any:
    """One msal call, its transport failures translated: unreachable or a 5xx is transient."""
    try:
        return fetch()
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"Microsoft token endpoint unreachable: {type(exc).__name__}", system="imap") from exc
    except requests.HTTPError as exc:
        raise TransientError(f"Microsoft token endpoint failed: {exc}", system="imap") from exc
    except Exception as exc:
        from msal.exceptions import MsalServiceError  # a 5xx through msal's throttling client

        if isinstance(exc, MsalServiceError):
            raise TransientError(f"Microsoft token endpoint failed: {exc}", system="imap") from exc
        raise


def _error(answer: Mapping[str, Any]) -> str:
    description = str(answer.get("error_description") or "").split("\r\n")[0].split("\n")[0]
    return f"{answer.get('error', 'no error code')}: {description}".rstrip(": ")


def _refusal(error: str, answer: Mapping[str, Any]) -> str:
    if error == "authorization_declined":
        return "the sign-in was declined at Microsoft: nothing was stored"
    if error == "expired_token":
        return "the sign-in code expired before anyone signed in: run `reseller-worker inbox connect` again"
    if error == "bad_verification_code":
        return "Microsoft did not recognise the sign-in code: run `reseller-worker inbox connect` again"
    return f"Microsoft refused the sign-in: {_error(answer)}"
