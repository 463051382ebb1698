"""Microsoft 365 sign-in through msal against the identity platform's documented token endpoints (`identity.py`
names the pages): device code, polling, refresh with rotation, `invalid_grant`, and a busy or unreachable endpoint."""

from __future__ import annotations

import dataclasses
import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses

from config.inbox import InboxSettings
from config.settings import Settings
from integrations.errors import PermanentError, TransientError
from integrations.mailsignin import NOT_SIGNED_IN, SIGN_IN_AGAIN, MailTokens, SignInNeeded, sign_in_state, token_store
from integrations.mailsignin.microsoft import IMAP_SCOPE, MicrosoftMailSignIn
from integrations.mailsignin.providers import connect_mailbox, mail_tokens
from tests.mailsignin.identity import DEVICE_GRANT, Clock, MicrosoftIdentityPlatform, unreachable

CLIENT = "00001111-aaaa-2222-bbbb-3333cccc4444"
USER = "billing@reseller.example"


@pytest.fixture
def platform() -> Iterator[MicrosoftIdentityPlatform]:
    """login.microsoftonline.com/organizations, through `responses` (any other request fails the test)."""
    fake = MicrosoftIdentityPlatform(client_id=CLIENT, username=USER)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        yield fake


@pytest.fixture
def inbox(settings: Settings) -> InboxSettings:
    return dataclasses.replace(
        settings.inbox, kind="imap", host="outlook.office365.com", username=USER, auth="microsoft", client_id=CLIENT
    )


def connect(inbox: InboxSettings, data_dir: Path, clock: Clock, waits: list[float], shown: list[str]) -> None:
    connect_mailbox(inbox, data_dir, show=shown.append, clock=clock, sleep=waits.append)


def test_device_code_sign_in_polls_until_the_owner_has_signed_in(
    platform: MicrosoftIdentityPlatform, inbox: InboxSettings, tmp_path: Path
) -> None:
    """Microsoft's own message is shown; `authorization_pending` is polled at the interval (5 s) until the
    tokens come; the set is stored 0600 with the account that signed in and the IMAP scope plus offline_access."""
    shown: list[str] = []
    waits: list[float] = []
    connect(inbox, tmp_path, Clock(), waits, shown)
    assert shown == [
        "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code "
        "F7H2KQ9LX to authenticate."
    ]
    asked = platform.requests[0]
    assert asked["client_id"] == CLIENT
    assert {IMAP_SCOPE, "offline_access"} <= set(asked["scope"].split())
    polls = [form for form in platform.requests if form.get("grant_type") == DEVICE_GRANT]
    assert len(polls) == 3 and waits == [5.0, 5.0]  # two authorization_pending, then the tokens
    path = tmp_path / "inbox-tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = token_store(tmp_path).load()
    assert stored is not None and stored.provider == "microsoft" and stored.account == USER
    assert stored.refresh_token == platform.grants[0].refresh_token
    assert stored.access_token not in repr(stored) and stored.refresh_token not in repr(stored)


def test_slow_down_widens_the_polling_interval(
    platform: MicrosoftIdentityPlatform, inbox: InboxSettings, tmp_path: Path
) -> None:
    """RFC 8628 §3.5: after `slow_down` the client waits 5 s longer (msal keeps the widened interval)."""
    platform.outcome = "slow_down"
    waits: list[float] = []
    connect(inbox, tmp_path, Clock(), waits, [])
    assert waits == [10.0, 10.0]


@pytest.mark.parametrize(
    ("outcome", "words"),
    [("decline", "declined"), ("expire", "expired before anyone signed in")],
)
def test_a_declined_or_expired_sign_in_stores_nothing(
    platform: MicrosoftIdentityPlatform, inbox: InboxSettings, tmp_path: Path, outcome: str, words: str
) -> None:
    """`authorization_declined` and `expired_token` stop the polling at once with a plain sentence."""
    platform.outcome = outcome
    with pytest.raises(PermanentError, match=words):
        connect(inbox, tmp_path, Clock(), [], [])
    assert token_store(tmp_path).load() is None


def test_polling_stops_when_the_code_expires_without_an_answer(
    platform: MicrosoftIdentityPlatform, inbox: InboxSettings, tmp_path: Path
) -> None:
    """Nobody signs in: after expires_in (900 s) of pending answers the command gives up by itself."""
    platform.pending_polls = 10_000
    clock = Clock()

    def wait(seconds: float) -> None:
        clock.now += timedelta(seconds=seconds)

    with pytest.raises(PermanentError, match="expired"):
        connect_mailbox(inbox, tmp_path, show=lambda _: None, clock=clock, sleep=wait)
    polls = [form for form in platform.requests if form.get("grant_type") == DEVICE_GRANT]
    assert 150 <= len(polls) <= 182  # 900 s at 5 s


def test_the_worker_refreshes_before_expiry_and_keeps_the_rotated_refresh_token(
    platform: MicrosoftIdentityPlatform, inbox: InboxSettings, tmp_path: Path
) -> None:
    """Inside the last 5 minutes the next login gets a refreshed token; Microsoft's new refresh token is on disk
    before the access token is handed out; a second process then uses the stored set without refreshing."""
    clock = Clock()
    connect(inbox, tmp_path, clock, [], [])
    first = token_store(tmp_path).load()
    assert first is not None
    tokens = mail_tokens(inbox, tmp_path, clock=clock)
    assert tokens.token() == first.access_token and platform.refreshes() == 0
    clock.now += timedelta(seconds=3599 - 240)
    renewed = tokens.token()
    assert renewed != first.access_token and platform.refreshes() == 1
    refresh = next(form for form in platform.requests if form.get("grant_type") == "refresh_token")
    assert refresh["refresh_token"] == first.refresh_token and IMAP_SCOPE in refresh["scope"]
    on_disk = json.loads((tmp_path / "inbox-tokens.json").read_text())
    assert on_disk["access_token"] == renewed
    assert on_disk["refresh_token"] == platform.grants[0].refresh_token != first.refresh_token
    other_process = mail_tokens(inbox, tmp_path, clock=clock)
    assert other_process.token() == renewed and platform.refreshes() == 1


def test_a_refused_token_is_renewed_once_even_when_it_looks_fresh(
    platform: MicrosoftIdentityPlatform, inbox: InboxSettings, tmp_path: Path
) -> None:
    """The IMAP server refused a token an hour early: `refused` renews it; asking again with the new token's
    predecessor (another connection that saw the same refusal) does not renew twice."""
    clock = Clock()
    connect(inbox, tmp_path, clock, [], [])
    tokens = mail_tokens(inbox, tmp_path, clock=clock)
    old = tokens.token()
    new = tokens.refused(old)
    assert new != old and platform.refreshes() == 1
    assert tokens.refused(old) == new and platform.refreshes() == 1


def test_invalid_grant_is_the_one_clear_sentence_and_is_not_asked_again(
    platform: MicrosoftIdentityPlatform, inbox: InboxSettings, tmp_path: Path
) -> None:
    """Revoked at Microsoft: the refresh's `invalid_grant` becomes SIGN_IN_AGAIN, is written into the token file
    (so `status`, `health` and the report know without asking), and later logins fail at once, offline."""
    clock = Clock()
    connect(inbox, tmp_path, clock, [], [])
    platform.revoke()
    tokens = mail_tokens(inbox, tmp_path, clock=clock)
    with pytest.raises(SignInNeeded) as raised:
        tokens.refused(tokens.token())
    assert str(raised.value) == SIGN_IN_AGAIN
    asked = len(platform.requests)
    with pytest.raises(SignInNeeded, match="needs signing in again"):
        mail_tokens(inbox, tmp_path, clock=clock).token()
    assert len(platform.requests) == asked
    stored = token_store(tmp_path).load()
    assert stored is not None and stored.ended.startswith("Microsoft: invalid_grant: AADSTS50173")
    assert sign_in_state(token_store(tmp_path), provider="microsoft", now=clock()) == (False, SIGN_IN_AGAIN)
    connect(inbox, tmp_path, clock, [], [])  # signing in again replaces the ended set
    assert sign_in_state(token_store(tmp_path), provider="microsoft", now=clock())[0]
    assert mail_tokens(inbox, tmp_path, clock=clock).token() == platform.grants[-1].access.popitem()[0]


def test_no_sign_in_yet_says_so(inbox: InboxSettings, tmp_path: Path) -> None:
    """Before `inbox connect` there is nothing to refresh and nothing is asked."""
    with responses.RequestsMock():  # any request would fail this test
        with pytest.raises(SignInNeeded, match="not signed in yet"):
            mail_tokens(inbox, tmp_path).token()
        assert sign_in_state(token_store(tmp_path), provider="microsoft", now=datetime.now(UTC)) == (
            False,
            NOT_SIGNED_IN,
        )


def test_a_busy_token_endpoint_is_transient_and_spends_nothing(
    platform: MicrosoftIdentityPlatform, inbox: InboxSettings, tmp_path: Path
) -> None:
    """A 503 is a TransientError (msal remembers it for a while, so the retry does not hammer the endpoint); the
    stored refresh token is untouched and the grant is not marked ended."""
    clock = Clock()
    connect(inbox, tmp_path, clock, [], [])
    before = token_store(tmp_path).load()
    platform.refresh_failures = [503]
    clock.now += timedelta(hours=2)
    tokens = mail_tokens(inbox, tmp_path, clock=clock, retry_attempts=2, retry_seconds=5)
    with pytest.raises(TransientError):
        tokens.token()
    assert platform.refreshes() == 1
    assert token_store(tmp_path).load() == before


def test_an_unreachable_token_endpoint_is_transient(inbox: InboxSettings, tmp_path: Path) -> None:
    """No connection to login.microsoftonline.com: TransientError, retried by the caller's policy, nothing stored."""
    base = "https://login.microsoftonline.com/organizations"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, f"{base}/v2.0/.well-known/openid-configuration", callback=unreachable(base))
        with pytest.raises(TransientError, match="unreachable"):
            MicrosoftMailSignIn(client_id=CLIENT).start()


def test_tokens_without_a_client_id_are_a_configuration_error(inbox: InboxSettings, tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="RW_INBOX_CLIENT_ID"):
        MailTokens(signin=MicrosoftMailSignIn(client_id=""), store=token_store(tmp_path))
