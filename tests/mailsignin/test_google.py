"""Google sign-in (google-auth-oauthlib's flow, our loopback listener) and refresh (google-auth) against Google's
documented token endpoint (`identity.py` names the pages): code with PKCE, refresh, `invalid_grant`, 5xx."""

from __future__ import annotations

import dataclasses
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import responses

from config.inbox import InboxSettings
from config.settings import Settings
from integrations.errors import PermanentError, TransientError
from integrations.mailsignin import SIGN_IN_AGAIN, SignInNeeded, sign_in_state, token_store
from integrations.mailsignin.google import MAIL_SCOPE
from integrations.mailsignin.providers import connect_mailbox, mail_tokens
from tests.mailsignin.identity import Clock, GoogleOAuth

CLIENT = "407408718192-abc.apps.googleusercontent.com"
SECRET = "GOCSPX-test-secret"
USER = "billing@reseller.example"


@pytest.fixture
def google() -> Iterator[GoogleOAuth]:
    fake = GoogleOAuth(client_id=CLIENT, client_secret=SECRET, username=USER)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        yield fake


@pytest.fixture
def inbox(settings: Settings) -> InboxSettings:
    return dataclasses.replace(
        settings.inbox,
        kind="imap",
        host="imap.gmail.com",
        username=USER,
        auth="google",
        client_id=CLIENT,
        client_secret=SECRET,
    )


def test_loopback_sign_in_exchanges_the_code_with_its_pkce_verifier(
    google: GoogleOAuth, inbox: InboxSettings, tmp_path: Path
) -> None:
    """The consent URL asks for the Gmail scope offline, with state and an S256 challenge; the redirect to
    127.0.0.1 is answered; the code and verifier get the refresh token, stored 0600."""
    clock = Clock()
    tokens = connect_mailbox(inbox, tmp_path, show=google.browser(), port=0, wait_seconds=10, clock=clock)
    consent = google.consents[0]
    assert consent["client_id"] == CLIENT and consent["scope"] == MAIL_SCOPE
    assert consent["access_type"] == "offline" and consent["code_challenge_method"] == "S256"
    assert consent["redirect_uri"].startswith("http://127.0.0.1:") and consent["login_hint"] == USER
    exchange = google.requests[0]
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    assert tokens.refresh_token == google.grants[0].refresh_token and tokens.provider == "google"
    assert tokens.expires_at == clock.now + timedelta(seconds=3599)
    assert stat.S_IMODE((tmp_path / "inbox-tokens.json").stat().st_mode) == 0o600


@pytest.mark.parametrize(("deny", "wrong_state"), [(True, False), (False, True)])
def test_a_denied_or_forged_redirect_stores_nothing(
    google: GoogleOAuth, inbox: InboxSettings, tmp_path: Path, deny: bool, wrong_state: bool
) -> None:
    """`error=access_denied`, or a redirect whose state is not ours, ends the sign-in; no code is exchanged."""
    with pytest.raises(PermanentError):
        connect_mailbox(inbox, tmp_path, show=google.browser(deny=deny, wrong_state=wrong_state), port=0,
                        wait_seconds=10)  # fmt: skip
    assert google.requests == [] and token_store(tmp_path).load() is None


def test_refresh_keeps_the_refresh_token_google_does_not_resend(
    google: GoogleOAuth, inbox: InboxSettings, tmp_path: Path
) -> None:
    """Google's refresh answer has no refresh_token: the stored one stays; the new access token is saved first."""
    clock = Clock()
    first = connect_mailbox(inbox, tmp_path, show=google.browser(), port=0, wait_seconds=10, clock=clock)
    clock.now += timedelta(minutes=56)
    tokens = mail_tokens(inbox, tmp_path, clock=clock)
    renewed = tokens.token()
    assert renewed != first.access_token and google.refreshes() == 1
    refresh = google.requests[-1]
    assert refresh["refresh_token"] == first.refresh_token and refresh["client_id"] == CLIENT
    stored = token_store(tmp_path).load()
    assert stored is not None and stored.access_token == renewed and stored.refresh_token == first.refresh_token
    assert stored.expires_at - clock.now > timedelta(minutes=59)


def test_invalid_grant_from_google_is_the_one_clear_sentence(
    google: GoogleOAuth, inbox: InboxSettings, tmp_path: Path
) -> None:
    """ "Token has been expired or revoked." (a Testing app's 7-day limit, a changed password, a removed app)."""
    clock = Clock()
    connect_mailbox(inbox, tmp_path, show=google.browser(), port=0, wait_seconds=10, clock=clock)
    google.revoke()
    clock.now += timedelta(hours=1)
    with pytest.raises(SignInNeeded) as raised:
        mail_tokens(inbox, tmp_path, clock=clock).token()
    assert str(raised.value) == SIGN_IN_AGAIN
    stored = token_store(tmp_path).load()
    assert stored is not None and stored.ended == "Google: invalid_grant: Token has been expired or revoked."
    assert sign_in_state(token_store(tmp_path), provider="google", now=clock()) == (False, SIGN_IN_AGAIN)


def test_a_failing_token_endpoint_is_transient(google: GoogleOAuth, inbox: InboxSettings, tmp_path: Path) -> None:
    """A 500 on every try (google-auth retries it itself, 3 times): TransientError, the grant is not ended."""
    clock = Clock()
    connect_mailbox(inbox, tmp_path, show=google.browser(), port=0, wait_seconds=10, clock=clock)
    google.refresh_failures = [500, 500, 500]
    clock.now += timedelta(hours=1)
    with pytest.raises(TransientError):
        mail_tokens(inbox, tmp_path, clock=clock, retry_attempts=1).token()
    stored = token_store(tmp_path).load()
    assert stored is not None and not stored.ended and google.refreshes() == 3


def test_google_needs_the_desktop_clients_secret(inbox: InboxSettings, tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="RW_INBOX_CLIENT_SECRET"):
        mail_tokens(dataclasses.replace(inbox, client_secret=""), tmp_path)
