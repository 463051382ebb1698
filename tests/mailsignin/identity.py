"""Stateful stand-ins for the two providers' token endpoints, served through `responses` in the formats they document,
and the token introspection a mail server (Dovecot's oauth2 passdb) asks about the access tokens they issued.

Microsoft identity platform (learn.microsoft.com/entra/identity-platform/):
- v2-protocols-oidc: GET /{tenant}/v2.0/.well-known/openid-configuration names the token and devicecode endpoints.
- v2-oauth2-device-code: POST /{tenant}/oauth2/v2.0/devicecode answers device_code, user_code, verification_uri,
  expires_in (900), interval (5) and message; polling /token with grant_type
  urn:ietf:params:oauth:grant-type:device_code answers 400 `authorization_pending` until the user signs in, or
  `authorization_declined`, `bad_verification_code`, `expired_token`; success is token_type, scope, expires_in (3599),
  access_token, refresh_token (with offline_access) and id_token (with openid).
- v2-oauth2-auth-code-flow#refresh-the-access-token: grant_type=refresh_token answers a new refresh token to keep;
  errors are 400 with error, error_description ("AADSTS...: ...\\r\\nTrace ID: ..."), error_codes, timestamp, trace_id,
  correlation_id; `invalid_grant` when the grant is revoked or expired.
Google (developers.google.com/identity/protocols/oauth2/native-app):
- consent at accounts.google.com with client_id, redirect_uri (loopback), response_type=code, scope, state,
  code_challenge (S256), access_type=offline; the redirect carries code and state;
- POST oauth2.googleapis.com/token with the code, code_verifier, client_id, client_secret, redirect_uri and
  grant_type=authorization_code answers access_token, expires_in, refresh_token, scope, token_type;
- a refresh answers access_token, expires_in, scope, token_type (no new refresh token);
- a revoked or expired grant: 400 {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
  (google-auth's RefreshError carries exactly this body; googleworkspace/python-samples#1644).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlparse

import requests
import responses

MS_HOST = "https://login.microsoftonline.com"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"

Reply = tuple[int, dict[str, str], str]


class Clock:
    """The worker's clock, moved by hand (the providers' own expiry runs on real time)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _json(status: int, body: Mapping[str, Any]) -> Reply:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body)


def _form(request: Any) -> dict[str, str]:
    body = request.body or ""
    if isinstance(body, bytes):
        body = body.decode()
    return {k: v[0] for k, v in parse_qs(body).items()}


@dataclass
class Grant:
    """One user's consent: its current refresh token and the access tokens issued from it."""

    username: str
    refresh_token: str
    revoked: bool = False
    access: dict[str, float] = field(default_factory=dict)  # token -> expiry (time.time())


class IdentityProvider:
    """What both providers share: grants, access tokens that expire or are revoked, and the introspection answer."""

    lifetime = 3599

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.grants: list[Grant] = []
        self.requests: list[dict[str, str]] = []  # every token-endpoint form, in order
        self.refresh_failures: list[int] = []  # statuses to answer the next refreshes with (5xx, for the retry)
        self.introspected: list[str] = []

    def _issue(self, grant: Grant) -> str:
        token = "at-" + secrets.token_urlsafe(12)
        grant.access[token] = time.time() + self.lifetime
        return token

    def _grant_by_refresh(self, refresh_token: str) -> Grant | None:
        return next((g for g in self.grants if g.refresh_token == refresh_token and not g.revoked), None)

    def user_of(self, access_token: str) -> str | None:
        """Who this access token signs in, if it is live (for introspection)."""
        with self.lock:
            self.introspected.append(access_token)
            for grant in self.grants:
                expiry = grant.access.get(access_token)
                if expiry is not None and expiry > time.time() and not grant.revoked:
                    return grant.username
        return None

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working now (as an hour passing would)."""
        with self.lock:
            for grant in self.grants:
                for token in grant.access:
                    grant.access[token] = 0.0

    def revoke(self) -> None:
        """The user or an admin revoked the app's access: refresh tokens and access tokens die."""
        with self.lock:
            for grant in self.grants:
                grant.revoked = True

    def refreshes(self) -> int:
        return sum(1 for form in self.requests if form.get("grant_type") == "refresh_token")


class MicrosoftIdentityPlatform(IdentityProvider):
    """login.microsoftonline.com for one tenant alias (`organizations` by default) and one public client."""

    def __init__(self, *, client_id: str, username: str, tenant: str = "organizations") -> None:
        super().__init__()
        self.client_id = client_id
        self.username = username
        self.tenant = tenant
        self.base = f"{MS_HOST}/{tenant}"
        self.pending_polls = 2  # how many polls answer authorization_pending before the user has signed in
        self.outcome = "approve"  # approve | decline | expire | slow_down
        self.devices: dict[str, int] = {}  # device_code -> polls so far

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.GET, f"{self.base}/v2.0/.well-known/openid-configuration", callback=self._discovery)
        rsps.add_callback(responses.POST, f"{self.base}/oauth2/v2.0/devicecode", callback=self._devicecode)
        rsps.add_callback(responses.POST, f"{self.base}/oauth2/v2.0/token", callback=self._token)

    def _discovery(self, request: Any) -> Reply:
        # The fields msal reads, as the tenant-independent document publishes them (issuer keeps {tenantid}).
        return _json(
            200,
            {
                "authorization_endpoint": f"{self.base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{self.base}/oauth2/v2.0/devicecode",
                "issuer": f"{MS_HOST}/{{tenantid}}/v2.0",
                "jwks_uri": f"{self.base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "tenant_region_scope": None,
                "cloud_instance_name": "microsoftonline.com",
            },
        )

    def _devicecode(self, request: Any) -> Reply:
        form = _form(request)
        with self.lock:
            self.requests.append(form)
        if form.get("client_id") != self.client_id:
            return self._error("unauthorized_client", 700016, "Application with identifier was not found.")
        code = "DAQABAAEAAAD" + secrets.token_urlsafe(24)
        self.devices[code] = 0
        user_code = "F7H2KQ9LX"
        return _json(
            200,
            {
                "user_code": user_code,
                "device_code": code,
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 5,
                "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
                f"and enter the code {user_code} to authenticate.",
            },
        )

    def _token(self, request: Any) -> Reply:
        form = _form(request)
        with self.lock:
            self.requests.append(form)
            if form.get("client_id") != self.client_id:
                return self._error("unauthorized_client", 700016, "Application with identifier was not found.")
            if form.get("grant_type") == DEVICE_GRANT:
                return self._poll(form)
            if form.get("grant_type") == "refresh_token":
                if self.refresh_failures:
                    status = self.refresh_failures.pop(0)
                    return _json(status, {"error": "temporarily_unavailable", "error_description": "AADSTS90033"})
                grant = self._grant_by_refresh(form.get("refresh_token", ""))
                if grant is None:
                    return self._error(
                        "invalid_grant",
                        50173,
                        "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
                    )
                grant.refresh_token = "rt-" + secrets.token_urlsafe(16)  # rotated: the client must keep the new one
                return self._tokens(grant, form)
            return self._error("unsupported_grant_type", 70003, "The app requested an unsupported grant type.")

    def _poll(self, form: Mapping[str, str]) -> Reply:
        code = form.get("device_code", "")
        if code not in self.devices:
            return self._error("bad_verification_code", 70019, "Verification code expired or not recognised.")
        self.devices[code] += 1
        if self.outcome == "decline":
            return self._error("authorization_declined", 70000, "The end user denied the authorization request.")
        if self.outcome == "expire":
            return self._error("expired_token", 70019, "Verification code expired.")
        if self.devices[code] <= self.pending_polls:
            if self.outcome == "slow_down" and self.devices[code] == 1:
                return self._error("slow_down", 70016, "The client is polling too quickly.")
            return self._error(
                "authorization_pending", 70016, "The provided request has not yet been authorized by the user."
            )
        del self.devices[code]
        grant = Grant(username=self.username, refresh_token="rt-" + secrets.token_urlsafe(16))
        self.grants.append(grant)
        return self._tokens(grant, form)

    def _tokens(self, grant: Grant, form: Mapping[str, str]) -> Reply:
        now = int(time.time())
        claims = {
            "aud": self.client_id,
            "iss": f"{MS_HOST}/{TENANT_ID}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": "Billing",
            "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "preferred_username": grant.username,
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "tid": TENANT_ID,
            "ver": "2.0",
        }
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": "https://outlook.office.com/IMAP.AccessAsUser.All",
            "expires_in": self.lifetime,
            "ext_expires_in": self.lifetime,
            "access_token": self._issue(grant),
            "refresh_token": grant.refresh_token,
            "id_token": _unsigned_jwt(claims),
        }
        return _json(200, body)

    def _error(self, error: str, code: int, text: str) -> Reply:
        return _json(
            400,
            {
                "error": error,
                "error_description": f"AADSTS{code}: {text}\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\n"
                "Correlation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2026-01-09 02:02:12Z",
                "error_codes": [code],
                "timestamp": "2026-01-09 02:02:12Z",
                "trace_id": "0000aaaa-11bb-cccc-dd22-eeeeee333333",
                "correlation_id": "aaaa0000-bb11-2222-33cc-444444dddddd",
            },
        )


class GoogleOAuth(IdentityProvider):
    """accounts.google.com consent (played by `browser`) and oauth2.googleapis.com/token for one Desktop client."""

    def __init__(self, *, client_id: str, client_secret: str, username: str) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (code_challenge, redirect_uri)
        self.consents: list[dict[str, str]] = []

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.POST, GOOGLE_TOKEN, callback=self._token)

    def browser(self, *, deny: bool = False, wrong_state: bool = False) -> Callable[[str], None]:
        """The person at the browser: reads the consent URL, agrees (or not), and follows the redirect."""

        def follow(url: str) -> None:
            query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
            self.consents.append(query)
            state = "forged" if wrong_state else query["state"]
            if deny:
                target = query["redirect_uri"] + "?" + urlencode({"error": "access_denied", "state": state})
            else:
                code = "4/0A" + secrets.token_urlsafe(20)
                self.codes[code] = (query.get("code_challenge", ""), query["redirect_uri"])
                answer = {"state": state, "code": code, "scope": query["scope"]}
                target = query["redirect_uri"] + "?" + urlencode(answer)

            def visit() -> None:
                # A real browser, not `requests`: `responses` intercepts requests, and this goes to our own loopback.
                import urllib.error
                import urllib.request

                with contextlib.suppress(urllib.error.HTTPError):  # the listener answers 400 to a refused redirect
                    urllib.request.urlopen(target, timeout=5).read()

            threading.Thread(target=visit, daemon=True).start()

        return follow

    def _token(self, request: Any) -> Reply:
        form = _form(request)
        with self.lock:
            self.requests.append(form)
            # Google's discovery document lists client_secret_post and client_secret_basic: either will do.
            basic = str(request.headers.get("Authorization", ""))
            if basic.startswith("Basic "):
                user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
                form.setdefault("client_id", unquote_plus(user))
                form.setdefault("client_secret", unquote_plus(password))
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return _json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            if form.get("grant_type") == "authorization_code":
                issued = self.codes.pop(form.get("code", ""), None)
                if issued is None or issued[1] != form.get("redirect_uri"):
                    return _json(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if issued[0] and challenge != issued[0]:
                    return _json(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
                grant = Grant(username=self.username, refresh_token="1//0g" + secrets.token_urlsafe(20))
                self.grants.append(grant)
                return _json(
                    200,
                    {
                        "access_token": self._issue(grant),
                        "expires_in": self.lifetime,
                        "refresh_token": grant.refresh_token,
                        "scope": "https://mail.google.com/",
                        "token_type": "Bearer",
                    },
                )
            if form.get("grant_type") == "refresh_token":
                if self.refresh_failures:
                    return _json(self.refresh_failures.pop(0), {"error": "internal_failure"})
                grant = self._grant_by_refresh(form.get("refresh_token", ""))
                if grant is None:
                    return _json(
                        400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                    )
                return _json(
                    200,
                    {
                        "access_token": self._issue(grant),
                        "expires_in": self.lifetime,
                        "scope": "https://mail.google.com/",
                        "token_type": "Bearer",
                    },
                )
            return _json(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "})


def _unsigned_jwt(claims: Mapping[str, Any]) -> str:
    def part(value: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256', 'kid': 'test'})}.{part(claims)}.c2lnbmF0dXJl"


def unreachable(url: str) -> Callable[[Any], Reply]:
    """A callback for a token endpoint that cannot be reached (the connection fails)."""

    def fail(request: Any) -> Reply:
        raise requests.ConnectionError(f"connection to {url} refused")

    return fail
