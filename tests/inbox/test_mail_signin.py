"""The payments mailbox at Microsoft 365, end to end: a real Dovecot whose oauth2 passdb checks every XOAUTH2 login
against the provider's introspection endpoint (ours, on loopback), and Microsoft's token endpoints as `responses`
fakes (tests/mailsignin/identity.py). Sign in once; the token expires early, then on time; the worker renews and
reads on; the grant is revoked and says so in one sentence everywhere, while the other jobs carry on; after signing
in again every message has been read exactly once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from sqlalchemy import Engine, func, select

from config.settings import Settings, load_settings
from integrations.mailbox import ImapMailbox, mailbox_opener
from integrations.mailer import FakeMailer
from integrations.mailsignin import SIGN_IN_AGAIN, SignInNeeded
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from tests.conftest import require_service
from tests.inbox.dovecot import Dovecot, Introspection, deliver, dovecot_available, dovecot_version, start_dovecot
from tests.inbox.standin import notice
from tests.mailsignin.identity import Clock, MicrosoftIdentityPlatform
from worker.app import App
from worker.cli import main
from worker.cycle import run_cycle
from worker.jobs.inbox import poll_inbox, watch_inbox
from worker.jobs.runner import run_job
from worker.report.sending import build_report
from worker.report.text import render_text
from worker.store.database import make_engine, upgrade
from worker.store.inbox_tables import inbox_messages
from worker.store.tables import job_runs

pytestmark = pytest.mark.imap

CLIENT = "00001111-aaaa-2222-bbbb-3333cccc4444"
FOLDERS = ("INBOX", "Processed", "Review", "Rejected", "Quarantine")


@dataclass
class World:
    server: Dovecot
    platform: MicrosoftIdentityPlatform
    user: str
    settings: Settings
    engine: Engine
    clock: Clock
    app: App

    def deliver(self, *numbers: int) -> None:
        client = self.server.client(self.user)  # the mail server delivering (PLAIN login, static passdb)
        try:
            deliver(client, "INBOX", [notice(n) for n in numbers])
        finally:
            client.logout()

    def poll(self) -> dict[str, Any] | None:
        return run_job(self.app, "poll_inbox", poll_inbox)

    def folders(self) -> dict[str, int]:
        client = self.server.client(self.user)
        try:
            return {f: int(client.folder_status(f, [b"MESSAGES"])[b"MESSAGES"]) if client.folder_exists(f) else 0
                    for f in FOLDERS}  # fmt: skip
        finally:
            client.logout()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    require_service(dovecot_available(), "dovecot not installed (apt-get install dovecot-imapd)")
    assert dovecot_version().startswith("2.3"), "tests/inbox/dovecot.py writes Dovecot 2.3's oauth2 passdb"
    user = f"billing-{uuid.uuid4().hex[:8]}@test.local"
    platform = MicrosoftIdentityPlatform(client_id=CLIENT, username=user)
    introspection = Introspection(platform.user_of)
    server = start_dovecot(oauth2_url=introspection.url)
    env = {
        "RW_WORKER_DATA_DIR": str(tmp_path / "var"),
        "RW_WORKER_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
        "RW_INBOX_KIND": "imap",
        "RW_INBOX_HOST": "127.0.0.1",
        "RW_INBOX_PORT": str(server.port),
        "RW_INBOX_SECURITY": "none",
        "RW_INBOX_USERNAME": user,
        "RW_INBOX_AUTH": "microsoft",
        "RW_INBOX_CLIENT_ID": CLIENT,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(None, env, base_dir=tmp_path)
    engine = make_engine(settings.worker.database_url)
    upgrade(engine)
    clock = Clock()
    app = App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=FakeAccounting(clock=clock),
        registrar=FakeRegistrar(clock=clock),
        mailer=FakeMailer(),
        open_mailbox=mailbox_opener(settings.inbox, settings.worker.data_dir, clock=clock, retry_attempts=1),
    )
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            platform.install(rsps)
            yield World(server, platform, user, settings, engine, clock, app)
    finally:
        server.stop()
        introspection.close()
        engine.dispose()


def connect(world: World, capsys: pytest.CaptureFixture[str]) -> str:
    world.platform.pending_polls = 0  # the person has already signed in at the first poll: no 5-second waits
    assert main(["inbox", "connect"]) == 0
    return capsys.readouterr().out


def last_error(world: World, job: str) -> str:
    with world.engine.connect() as conn:
        return str(conn.execute(select(job_runs.c.last_error).where(job_runs.c.job == job)).scalar_one())


def test_sign_in_once_then_refresh_read_on_and_a_revoked_grant_is_one_sentence(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = world.platform
    out = connect(world, capsys)
    assert "https://microsoft.com/devicelogin" in out and f"signed in with microsoft as {world.user}" in out
    assert f"imap: imap {world.user}@127.0.0.1:{world.server.port}/INBOX" in out  # the IMAP login was tried
    grant = platform.grants[0]
    assert grant.refresh_token not in out and not any(token in out for token in grant.access)

    # Signed in: the worker logs in with the token and reads.
    world.deliver(1, 2)
    assert (world.poll() or {})["read"] == 2 and platform.refreshes() == 0

    # The provider ends the token early (a revoked session, skew): Dovecot refuses it; the worker renews once
    # and reads on.
    platform.expire_access_tokens()
    world.deliver(3)
    before = len(platform.introspected)
    assert (world.poll() or {})["read"] == 1 and platform.refreshes() == 1
    refused, accepted = platform.introspected[before:]
    assert refused != accepted and platform.user_of(accepted) == world.user

    # An hour on, the worker renews before it logs in: Dovecot sees only the new token.
    world.clock.now += timedelta(minutes=57)
    world.deliver(4)
    before = len(platform.introspected)
    assert (world.poll() or {})["read"] == 1 and platform.refreshes() == 2
    assert len(platform.introspected[before:]) == 1

    # A long-lived connection (the daemon's IDLE) that the server drops after its token died reconnects renewed.
    box = world.app.open_mailbox()  # type: ignore[misc]
    assert isinstance(box, ImapMailbox)
    validity = box.uidvalidity()
    platform.expire_access_tokens()
    world.server.kick(world.user)
    assert box.uidvalidity() == validity and box.reconnects == 1 and platform.refreshes() == 3
    box.close()

    # Revoked: the poll fails with the sentence, the mail waits in the inbox, and the other jobs carry on.
    platform.revoke()
    world.deliver(5, 6)
    results = run_cycle(world.app)
    assert results["poll_inbox"] is None
    assert all(summary is not None for job, summary in results.items() if job != "poll_inbox"), results
    assert last_error(world, "poll_inbox") == f"SignInNeeded: {SIGN_IN_AGAIN}"
    assert world.folders()["INBOX"] == 2
    asked = len(platform.requests)
    assert world.poll() is None and len(platform.requests) == asked  # known ended: Microsoft is not asked again
    # The daemon's watcher (called again at once, every 5 s) waits out its run before it fails, once.
    started = time.monotonic()
    with pytest.raises(SignInNeeded):
        watch_inbox(world.app, seconds=1.5)
    assert time.monotonic() - started >= 1.4 and len(platform.requests) == asked

    capsys.readouterr()
    assert main(["check"]) != 0
    assert f"FAIL  inbox      SignInNeeded: {SIGN_IN_AGAIN}" in capsys.readouterr().out.splitlines()
    assert main(["status"]) == 0
    assert f"SIGN-IN  {SIGN_IN_AGAIN}" in capsys.readouterr().out.splitlines()
    assert main(["health"]) == 1
    assert f"SIGN-IN  {SIGN_IN_AGAIN}" in capsys.readouterr().out.splitlines()
    assert main(["inbox", "status"]) == 0
    out = capsys.readouterr().out
    assert f"sign-in       {SIGN_IN_AGAIN}" in out and "the provider said: Microsoft: invalid_grant: AADSTS50173" in out
    report = render_text(build_report(world.settings, world.engine, world.clock()))
    assert f"  payments mailbox: {SIGN_IN_AGAIN}" in report.splitlines()
    assert report.count(SIGN_IN_AGAIN) == 1  # the failing poll is not listed again for the same reason

    # Signed in again: the two waiting messages are read, and every message was read exactly once.
    connect(world, capsys)
    assert (world.poll() or {})["read"] == 2
    with world.engine.connect() as conn:
        rows = conn.execute(select(func.count(), func.count(func.distinct(inbox_messages.c.message_id)))).one()
    assert tuple(rows) == (6, 6)
    sizes = world.folders()
    assert sizes["INBOX"] == 0 and sum(sizes.values()) == 6
    assert main(["health"]) == 1  # no daemon runs in this test, but the mailbox is fine again
    assert "SIGN-IN" not in capsys.readouterr().out
