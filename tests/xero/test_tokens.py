"""Token handling against the sandbox: renewal before expiry, renewal after a 401, the OAuth2 code flow, and
single-use refresh tokens rotated by exactly one refresher, persisted atomically before use."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from integrations.errors import NotConfigured
from integrations.xero.sandbox import XeroSandbox
from integrations.xero.tokens import (
    Connection,
    FileTokenStore,
    MemoryTokenStore,
    XeroTokens,
    choose_tenant,
    connect,
)
from tests.xero.contract import an_order
from tests.xero.sandbox_books import SandboxBooks, make_adapter, sandbox_settings

pytestmark = pytest.mark.xero


class Clock:
    """A settable clock shared by the sandbox and the worker side."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    """Real time to start with, moved by hand."""
    return Clock()


@pytest.fixture
def sb(clock: Clock) -> Iterator[XeroSandbox]:
    """A sandbox on the shared clock."""
    with XeroSandbox(clock=clock) as sandbox:
        yield sandbox


def test_client_credentials_token_is_renewed_before_it_expires(sb: XeroSandbox, clock: Clock) -> None:
    """At 26 minutes the next call renews first; a fresh token is not renewed."""
    tokens = XeroTokens(settings=sandbox_settings(sb.base_url), store=MemoryTokenStore(), clock=clock)
    first = tokens.current()
    assert tokens.current() is first
    clock.advance(minutes=26)
    second = tokens.current()
    assert second.access_token != first.access_token
    assert sb.token_requests["client_credentials"] == 2
    assert "expires in 30 min" in tokens.status()
    assert first.access_token not in repr(first)


def test_a_401_renews_once_and_the_call_succeeds(sb: XeroSandbox) -> None:
    """Xero refuses the token mid-life: one renewal, then the same call goes through."""
    books = SandboxBooks(sb)
    books.seed_order(an_order(1))
    books.adapter.open_orders(since=None)
    sb.expire_tokens()
    books.adapter.payments(since=None)
    assert sb.token_requests["client_credentials"] == 2


def test_a_second_401_is_a_refusal_not_a_loop(sb: XeroSandbox) -> None:
    """When even a new token is refused, the call fails with NotConfigured after one renewal."""
    adapter = make_adapter(sb)
    sb.refuse_tokens = True
    with pytest.raises(NotConfigured):
        adapter.payments(since=None)
    assert sb.token_requests["client_credentials"] == 2


def _browser(url: str) -> None:
    threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 5}, daemon=True).start()


def test_connect_stores_a_0600_token_set_for_the_chosen_tenant(sb: XeroSandbox, tmp_path: Path) -> None:
    """The code flow: consent URL, loopback redirect, code exchange, tenant from /Connections, file mode 0600."""
    settings = sandbox_settings(sb.base_url, mode="oauth2", client_id=sb.client_id, client_secret=sb.client_secret)
    store = FileTokenStore(tmp_path / "data" / "xero-tokens.json")
    tokens = connect(settings, store, show=_browser, port=0, wait_seconds=10)
    assert tokens.tenant_id == sb.tenant_id and tokens.refresh_token
    assert stat.S_IMODE((tmp_path / "data" / "xero-tokens.json").stat().st_mode) == 0o600
    loaded = store.load()
    assert loaded is not None and loaded.refresh_token == tokens.refresh_token


def _connected(sb: XeroSandbox, tmp_path: Path, clock: Clock, **kw: object) -> tuple[FileTokenStore, object]:
    settings = sandbox_settings(
        sb.base_url, mode="oauth2", client_id=sb.client_id, client_secret=sb.client_secret, **kw
    )
    store = FileTokenStore(tmp_path / "xero-tokens.json")
    connect(settings, store, show=_browser, port=0, wait_seconds=10, clock=clock)
    return store, settings


def test_refresh_rotates_once_and_a_second_process_uses_the_stored_set(
    sb: XeroSandbox, tmp_path: Path, clock: Clock
) -> None:
    """Near expiry the first worker refreshes and stores the new set; a second one reads it and never refreshes
    with the spent token."""
    store, settings = _connected(sb, tmp_path, clock)
    original = store.load()
    assert original is not None
    one = XeroTokens(settings=settings, store=store, clock=clock)  # type: ignore[arg-type]
    two = XeroTokens(settings=settings, store=FileTokenStore(store.path), clock=clock)  # type: ignore[arg-type]
    assert two.current().access_token == original.access_token
    clock.advance(minutes=27)
    renewed = one.current()
    assert renewed.refresh_token != original.refresh_token
    stored = store.load()
    assert stored is not None and stored.refresh_token == renewed.refresh_token
    assert two.current().access_token == renewed.access_token
    assert sb.token_requests["refresh_token"] == 1


def test_a_lost_refresh_response_is_retried_with_the_old_token(sb: XeroSandbox, tmp_path: Path, clock: Clock) -> None:
    """Xero rotated but the answer never arrived: the retry with the old refresh token (grace window) works."""
    store, settings = _connected(sb, tmp_path, clock, timeout_seconds=0.4)
    old = store.load()
    assert old is not None
    tokens = XeroTokens(settings=settings, store=store, clock=clock, retry_attempts=3)  # type: ignore[arg-type]
    clock.advance(minutes=27)
    sb.slow_token_next(1.0)
    renewed = tokens.current()
    assert renewed.access_token != old.access_token
    assert sb.token_requests["refresh_token"] == 2
    response = requests.get(
        f"{sb.base_url}/Connections", headers={"Authorization": f"Bearer {renewed.access_token}"}, timeout=5
    )
    assert response.status_code == 200


def test_spent_refresh_token_outside_the_grace_window_is_refused(sb: XeroSandbox, tmp_path: Path, clock: Clock) -> None:
    """A refresh token used more than 30 minutes ago is invalid_grant: the worker asks for `xero connect`."""
    store, settings = _connected(sb, tmp_path, clock)
    old = store.load()
    assert old is not None
    XeroTokens(settings=settings, store=store, clock=clock)._renew(stale=old, forced=True)  # type: ignore[arg-type]
    clock.advance(minutes=31)
    store.save(replace(old, expires_at=clock() - timedelta(minutes=1)))  # as if the new set had been lost
    with pytest.raises(Exception, match="invalid_grant"):
        XeroTokens(settings=settings, store=store, clock=clock).current()  # type: ignore[arg-type]


def test_tenant_choice() -> None:
    """The configured tenant wins; one organisation is chosen; several without a setting is an error."""
    a = Connection(tenant_id="a", tenant_name="Alpha", tenant_type="ORGANISATION")
    b = Connection(tenant_id="b", tenant_name="Beta", tenant_type="ORGANISATION")
    practice = Connection(tenant_id="p", tenant_name="Practice", tenant_type="PRACTICEMANAGER")
    assert choose_tenant([a, practice], "") == a
    assert choose_tenant([a, b], "Beta") == b
    with pytest.raises(NotConfigured, match="Alpha"):
        choose_tenant([a, b], "")


def test_check_line_reports_expiry_and_feed(sb: XeroSandbox, tmp_path: Path) -> None:
    """`check` gets a token and reports it in one line: expiry and which bank feed the scopes allow."""
    from integrations.xero.tokens import check_xero

    line = check_xero(sandbox_settings(sb.base_url), tmp_path)
    assert "expires in 30 min" in line and "finance" in line and "\n" not in line
    assert check_xero(sandbox_settings(""), tmp_path).startswith("sandbox mode")
