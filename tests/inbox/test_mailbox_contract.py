"""One contract for the Mailbox port, run against FakeMailbox, MaildirMailbox and ImapMailbox (real Dovecot)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from integrations.mailbox import FakeMailbox, MaildirMailbox
from integrations.ports import Mailbox
from tests.inbox.dovecot import Dovecot
from tests.inbox.standin import notice

CAP = 4000
BUDGET = 3 * CAP  # bytes per fetch_new


@dataclass
class Harness:
    mailbox: Mailbox
    deliver: Callable[[bytes], None]  # what the mail server does
    count: Callable[[str], int]  # messages in a folder, as a person would see them


def _fake() -> Iterator[Harness]:
    box = FakeMailbox(max_message_bytes=CAP, fetch_bytes=BUDGET)
    yield Harness(box, lambda raw: box.deliver(raw), lambda folder: len(box.messages_in(folder)))


def _maildir(root: Path) -> Iterator[Harness]:
    box = MaildirMailbox(root, poll_seconds=0.05, max_message_bytes=CAP, fetch_bytes=BUDGET)

    def deliver(raw: bytes) -> None:
        name = f"{time.time():.6f}.{uuid.uuid4().hex}.test"
        (root / "tmp" / name).write_bytes(raw)
        os.rename(root / "tmp" / name, root / "new" / name)  # how an MTA delivers to a Maildir

    def count(folder: str) -> int:
        base = root if folder == "INBOX" else root / f".{folder}"
        return sum(len(os.listdir(base / sub)) for sub in ("new", "cur")) if base.exists() else 0

    yield Harness(box, deliver, count)
    box.close()


def _imap(server: Dovecot) -> Iterator[Harness]:
    user = server.new_user()
    admin = server.client(user)
    box = server.mailbox(user, max_message_bytes=CAP, fetch_bytes=BUDGET)

    def count(folder: str) -> int:
        if not admin.folder_exists(folder):
            return 0
        return int(admin.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"])

    yield Harness(box, lambda raw: admin.append("INBOX", raw), count)
    box.close()
    admin.logout()


@pytest.fixture(params=["fake", "maildir", pytest.param("imap", marks=pytest.mark.imap)])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "fake":
        yield from _fake()
    elif request.param == "maildir":
        yield from _maildir(tmp_path / "Maildir")
    else:
        yield from _imap(request.getfixturevalue("dovecot"))


def test_fetch_returns_new_mail_in_uid_order_with_exact_bytes(harness: Harness) -> None:
    """fetch_new gives every message after the UID, oldest first, byte for byte, at most `limit`."""
    sent = [notice(n) for n in range(5)]
    for raw in sent:
        harness.deliver(raw)
    first = harness.mailbox.fetch_new(after_uid=0, limit=3)
    assert [m.raw for m in first] == sent[:3]
    assert [m.uid for m in first] == sorted(m.uid for m in first) and len({m.uid for m in first}) == 3
    rest = harness.mailbox.fetch_new(after_uid=first[-1].uid, limit=10)
    assert [m.raw for m in rest] == sent[3:]
    assert harness.mailbox.fetch_new(after_uid=rest[-1].uid, limit=10) == []
    assert all(m.mailbox_id == str(harness.mailbox.uidvalidity()) for m in first + list(rest))


def test_move_files_mail_creates_folders_and_never_deletes(harness: Harness) -> None:
    """move puts messages in the named folder (created on first use); repeating it changes nothing."""
    for n in range(3):
        harness.deliver(notice(n))
    uids = [m.uid for m in harness.mailbox.fetch_new(after_uid=0, limit=10)]
    harness.mailbox.move(uids[:2], "Processed")
    harness.mailbox.move(uids[:2], "Processed")  # already gone from the inbox: a no-op
    harness.mailbox.move(uids[2:], "Quarantine")
    assert harness.count("Processed") == 2 and harness.count("Quarantine") == 1 and harness.count("INBOX") == 0
    assert harness.mailbox.fetch_new(after_uid=0, limit=10) == []


def test_uidvalidity_is_stable_and_uids_are_not_reused(harness: Harness) -> None:
    """Without a reset, UIDVALIDITY stays and a new message gets a higher UID than any moved one."""
    before = harness.mailbox.uidvalidity()
    harness.deliver(notice(1))
    (first,) = harness.mailbox.fetch_new(after_uid=0, limit=10)
    harness.mailbox.move([first.uid], "Processed")
    harness.deliver(notice(2))
    (second,) = harness.mailbox.fetch_new(after_uid=0, limit=10)
    assert second.uid > first.uid and harness.mailbox.uidvalidity() == before


def test_oversized_message_reports_its_size_and_only_its_start(harness: Harness) -> None:
    """Above the cap, `size` is the real size and `raw` is at most the cap."""
    big = notice(1, extra="X-Padding: " + "B" * (CAP * 2))
    harness.deliver(big)
    (message,) = harness.mailbox.fetch_new(after_uid=0, limit=10)
    assert message.size == len(big) and len(message.raw) <= CAP and big.startswith(message.raw)


def test_wait_for_mail_wakes_on_delivery_and_times_out_otherwise(harness: Harness) -> None:
    """wait_for_mail is False after the timeout when nothing came, True soon after a delivery."""
    harness.deliver(notice(0))
    harness.mailbox.fetch_new(after_uid=0, limit=10)
    assert harness.mailbox.wait_for_mail(0.3) is False
    timer = threading.Timer(0.3, lambda: harness.deliver(notice(1)))
    timer.start()
    started = time.monotonic()
    assert harness.mailbox.wait_for_mail(10) is True
    timer.join()
    assert time.monotonic() - started < 5


def test_big_messages_are_fetched_a_few_at_a_time(harness: Harness) -> None:
    """A byte budget per fetch: many big messages come over several batches, in order, none skipped."""
    sent = [notice(n, extra="X-Padding: " + "C" * (CAP - 400)) for n in range(5)]
    for raw in sent:
        harness.deliver(raw)
    batches: list[list[bytes]] = []
    after = 0
    while batch := harness.mailbox.fetch_new(after_uid=after, limit=10):
        batches.append([m.raw for m in batch])
        after = batch[-1].uid
    assert [raw for b in batches for raw in b] == sent
    assert len(batches) >= 2 and all(sum(map(len, b)) <= BUDGET for b in batches)
