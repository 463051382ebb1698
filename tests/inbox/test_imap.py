"""ImapMailbox and the inbox job against a real Dovecot: IDLE, drops, resets, no MOVE, crashes, a big backlog."""

from __future__ import annotations

import dataclasses
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from config.settings import Settings
from integrations.errors import NotConfigured, PermanentError
from integrations.mailbox import ImapMailbox, check_mailbox
from tests.conftest import require_service
from tests.inbox.conftest import make_app
from tests.inbox.dovecot import PASSWORD, Dovecot, Introspection, deliver, dovecot_available, start_dovecot
from tests.inbox.standin import notice, read_standin
from worker.jobs.inbox import process_inbox, watch_inbox
from worker.store.inbox_tables import inbox_messages
from worker.store.tables import receipts

pytestmark = pytest.mark.imap

ROOT = Path(__file__).resolve().parents[2]


class Crash(BaseException):
    """The process dying at the boundary between storing and moving."""


class CrashingImap(ImapMailbox):
    """Dies once, before its first move, as a SIGKILL would leave it."""

    crashed = False

    def move(self, uids: Iterable[int], folder: str) -> None:
        if not self.crashed:
            self.crashed = True
            raise Crash
        super().move(uids, folder)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def folder_sizes(dovecot: Dovecot, user: str, *folders: str) -> dict[str, int]:
    c = dovecot.client(user)
    try:
        return {f: int(c.folder_status(f, [b"MESSAGES"])[b"MESSAGES"]) if c.folder_exists(f) else 0 for f in folders}
    finally:
        c.logout()


def test_plaintext_is_refused_off_loopback_and_a_credential_is_required() -> None:
    """TLS is required except on loopback; a mailbox without password or token is not configured."""
    with pytest.raises(NotConfigured, match="loopback"):
        ImapMailbox(host="imap.example.com", port=143, username="u", security="none", password="p")
    with pytest.raises(NotConfigured, match="password or an OAuth2"):
        ImapMailbox(host="imap.example.com", port=993, username="u")


def test_wrong_password_is_a_permanent_error(dovecot: Dovecot) -> None:
    """A refused login is not retried and names the account, never the password."""
    # Its own server: Dovecot delays further logins from an address after a failure, which would slow the rest.
    server = start_dovecot()
    try:
        box = ImapMailbox(
            host="127.0.0.1", port=server.port, username="x@test.local", security="none", password="wrong-pw"
        )
        with pytest.raises(PermanentError) as caught:
            box.uidvalidity()
    finally:
        server.stop()
    assert "x@test.local" in str(caught.value) and "wrong-pw" not in str(caught.value)


def test_idle_sees_new_mail_within_seconds_and_is_reissued(dovecot: Dovecot) -> None:
    """Mail appended during IDLE wakes the waiter in seconds, also after IDLE was re-issued."""
    user = dovecot.new_user()
    box = dovecot.mailbox(user, idle_seconds=0.5)  # re-issued every half second here; 9 minutes in production
    box.uidvalidity()
    timer = threading.Timer(1.3, lambda: dovecot.client(user).append("INBOX", notice(1)))
    timer.start()
    started = time.monotonic()
    assert box.wait_for_mail(10) is True
    elapsed = time.monotonic() - started
    timer.join()
    assert 1.2 < elapsed < 4
    assert [m.raw for m in box.fetch_new(after_uid=0, limit=5)] == [notice(1)]
    box.close()


def test_dropped_connection_reconnects_and_loses_nothing(dovecot: Dovecot) -> None:
    """After the server kicks the session (idle or not), the next call reconnects and sees all mail."""
    user = dovecot.new_user()
    admin = dovecot.client(user)
    admin.append("INBOX", notice(1))
    box = dovecot.mailbox(user)
    assert len(box.fetch_new(after_uid=0, limit=10)) == 1
    dovecot.kick(user)
    admin = dovecot.client(user)
    admin.append("INBOX", notice(2))
    assert [m.raw for m in box.fetch_new(after_uid=0, limit=10)] == [notice(1), notice(2)]
    assert box.reconnects == 1
    # kicked while idling: the wait ends with "look now" rather than an error
    threading.Timer(0.5, lambda: dovecot.kick(user)).start()
    assert box.wait_for_mail(10) is True
    assert len(box.fetch_new(after_uid=0, limit=10)) == 2 and box.reconnects == 2
    box.close()


def test_without_move_and_idle_the_fallbacks_file_and_find_mail(
    legacy_dovecot: Dovecot, sqlite_engine: Engine, settings: Settings
) -> None:
    """An old server: no MOVE (COPY + UID EXPUNGE), no IDLE (polling), folders under the INBOX. namespace."""
    user = legacy_dovecot.new_user()
    admin = legacy_dovecot.client(user)
    deliver(admin, "INBOX", [notice(1), notice(2, outcome="reject")])
    box = legacy_dovecot.mailbox(user, poll_seconds=0.2)
    assert not box._run("caps", lambda c: c.has_capability("MOVE") or c.has_capability("IDLE"))
    counts = process_inbox(make_app(sqlite_engine, settings, lambda: box), box, read=read_standin)
    assert counts["moved"] == 2
    sizes = folder_sizes(legacy_dovecot, user, "INBOX", "INBOX.Processed", "INBOX.Rejected")
    assert sizes == {"INBOX": 0, "INBOX.Processed": 1, "INBOX.Rejected": 1}
    threading.Timer(0.4, lambda: legacy_dovecot.client(user).append("INBOX", notice(3))).start()
    started = time.monotonic()
    assert box.wait_for_mail(10) is True and time.monotonic() - started < 3
    box.close()


@pytest.mark.faults
def test_crash_before_move_then_uidvalidity_reset(dovecot: Dovecot, sqlite_engine: Engine, settings: Settings) -> None:
    """Stored-not-moved mail survives the folder being deleted and recreated: adopted, filed, stored once."""
    user = dovecot.new_user()
    admin = dovecot.client(user)
    admin.create_folder("Payments")
    deliver(admin, "Payments", [notice(1), notice(2)])
    app = make_app(sqlite_engine, settings, None, folder="Payments")
    box = CrashingImap(
        host="127.0.0.1",
        port=dovecot.port,
        username=user,
        security="none",
        password=PASSWORD,
        folder="Payments",
        timeout_seconds=10,
    )
    with pytest.raises(Crash):
        process_inbox(app, box, read=read_standin)
    old_validity = box.uidvalidity()
    # the folder is rebuilt: same messages plus a new one, new UIDVALIDITY
    admin.select_folder("Payments")
    kept = [d[b"BODY[]"] for _, d in sorted(admin.fetch(admin.search(["ALL"]), ["BODY.PEEK[]"]).items())]
    admin.unselect_folder()
    admin.delete_folder("Payments")
    time.sleep(1.1)  # Dovecot's UIDVALIDITY is the creation second
    admin.create_folder("Payments")
    deliver(admin, "Payments", [*kept, notice(3)])
    counts = process_inbox(app, box, read=read_standin)
    assert box.uidvalidity() != old_validity
    assert counts["uidvalidity_reset"] == 1 and counts["adopted"] == 2 and counts["receipts"] == 1
    assert folder_sizes(dovecot, user, "Payments", "Processed") == {"Payments": 0, "Processed": 3}
    assert count(sqlite_engine, receipts) == 3 and count(sqlite_engine, inbox_messages) == 3
    box.close()


@pytest.mark.faults
def test_sigkill_between_storing_and_moving(
    dovecot: Dovecot, tmp_path: Path, settings: Settings, sqlite_engine: Engine
) -> None:
    """A real process killed with SIGKILL after storing, before moving: the next run files each message once."""
    user = dovecot.new_user()
    deliver(dovecot.client(user), "INBOX", [notice(n) for n in range(3)])
    db_url = str(sqlite_engine.url)
    marker = tmp_path / "at-boundary"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.inbox.crash_child", db_url, str(dovecot.port), user, str(marker)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert child.poll() is None, child.stdout.read().decode() if child.stdout else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert count(sqlite_engine, receipts) == 3
    box = dovecot.mailbox(user)
    counts = process_inbox(make_app(sqlite_engine, settings, lambda: box), box, read=read_standin)
    assert counts["resumed_moves"] == 3 and counts.get("read", 0) == 0
    assert folder_sizes(dovecot, user, "INBOX", "Processed") == {"INBOX": 0, "Processed": 3}
    assert count(sqlite_engine, receipts) == 3 and count(sqlite_engine, inbox_messages) == 3
    box.close()


def test_a_thousand_messages_in_one_go(dovecot: Dovecot, sqlite_engine: Engine, settings: Settings) -> None:
    """A 1,000-message backlog is read, stored and filed in one run, every message exactly once."""
    user = dovecot.new_user()
    deliver(dovecot.client(user), "INBOX", [notice(n) for n in range(1000)])
    box = dovecot.mailbox(user)
    counts = process_inbox(make_app(sqlite_engine, settings, lambda: box), box, read=read_standin)
    assert counts["read"] == 1000 and counts["receipts"] == 1000 and counts["moved"] == 1000
    assert folder_sizes(dovecot, user, "INBOX", "Processed") == {"INBOX": 0, "Processed": 1000}
    assert count(sqlite_engine, receipts) == 1000
    box.close()


def test_xoauth2_login_asks_the_token_source_at_every_connection() -> None:
    """XOAUTH2 with a token from a callable: accepted when fresh, asked again after a drop, refused when bad."""
    require_service(dovecot_available(), "dovecot not installed")
    user = f"oauth{int(time.time())}@test.local"
    http = Introspection(lambda token: user if token == "fresh-token" else None)
    server = start_dovecot(oauth2_url=http.url)
    try:
        asked: list[str] = []

        def token() -> str:
            asked.append("fresh-token")
            return "fresh-token"

        box = ImapMailbox(host="127.0.0.1", port=server.port, username=user, security="none", oauth2_token=token)
        first = box.uidvalidity()
        server.kick(user)
        assert box.uidvalidity() == first and len(asked) == 2
        box.close()
        stale = ImapMailbox(
            host="127.0.0.1", port=server.port, username=user, security="none", oauth2_token=lambda: "expired"
        )
        with pytest.raises(PermanentError):
            stale.uidvalidity()
    finally:
        server.stop()
        http.close()


def test_imaps_and_starttls_verify_the_server_certificate() -> None:
    """IMAPS and STARTTLS work with a trusted certificate; an untrusted one is refused, not retried."""
    require_service(dovecot_available(), "dovecot not installed")
    server = start_dovecot(tls=True)
    try:
        trusted = ssl.create_default_context(cafile=str(server.directory / "cert.pem"))
        user = server.new_user()
        for security, port in (("imaps", server.tls_port), ("starttls", server.port)):
            box = ImapMailbox(host="127.0.0.1", port=port, username=user, security=security, password=PASSWORD,
                              ssl_context=trusted)  # fmt: skip
            assert box.uidvalidity() > 0
            box.close()
        untrusted = ImapMailbox(
            host="127.0.0.1", port=server.tls_port, username=user, security="imaps", password=PASSWORD
        )
        with pytest.raises(PermanentError, match="certificate"):
            untrusted.uidvalidity()
    finally:
        server.stop()


def test_check_mailbox_reports_the_configured_imap_folder(dovecot: Dovecot, settings: Settings) -> None:
    """`check` support: the configured IMAP inbox is opened once and described."""
    user = dovecot.new_user()
    inbox = dataclasses.replace(
        settings.inbox, kind="imap", host="127.0.0.1", port=dovecot.port, security="none", username=user,
        password=PASSWORD,
    )  # fmt: skip
    assert check_mailbox(inbox).startswith(f"imap {user}@127.0.0.1:{dovecot.port}/INBOX, none, UIDVALIDITY ")
    assert check_mailbox(settings.inbox).startswith("not configured")


def test_watch_inbox_stores_mail_within_seconds_and_stops_when_asked(
    dovecot: Dovecot, sqlite_engine: Engine, settings: Settings
) -> None:
    """The daemon's loop: IDLE on one connection, a notice appended is stored in seconds, stop() ends it."""
    user = dovecot.new_user()
    app = make_app(sqlite_engine, settings, lambda: dovecot.mailbox(user))
    stop = threading.Event()
    result: dict[str, Any] = {}
    watcher = threading.Thread(
        target=lambda: result.update(watch_inbox(app, seconds=60, stop=stop.is_set, read=read_standin))
    )
    watcher.start()
    time.sleep(0.3)
    started = time.monotonic()
    dovecot.client(user).append("INBOX", notice(1))
    while count(sqlite_engine, receipts) == 0:
        assert time.monotonic() - started < 5, "not stored within 5 s"
        time.sleep(0.02)
    stop.set()
    dovecot.client(user).append("INBOX", notice(2))  # wakes the IDLE so the loop sees the stop flag now
    watcher.join(timeout=10)
    assert not watcher.is_alive() and result["receipts"] >= 1
    assert folder_sizes(dovecot, user, "Processed")["Processed"] == result["receipts"]


def test_a_stopped_test_server_leaves_no_folder_behind() -> None:
    """The Dovecot helper removes the directory it made (mail, state, certificate) when the server stops."""
    require_service(dovecot_available(), "dovecot not installed")
    server = start_dovecot(tls=True)
    where = server.directory
    assert (where / "cert.pem").exists()
    server.stop()
    assert not where.exists()
