"""The inbox job over FakeMailbox: every message stored once, filed where its outcome says, crashes repaired."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from config.settings import Settings
from integrations.errors import PermanentError, TransientError
from integrations.mailbox import FakeMailbox
from integrations.ports import Folder
from rules.model import NoticeReading
from tests.inbox.conftest import make_app
from tests.inbox.standin import notice, read_standin
from worker.jobs.inbox import inbox_status, mailbox_key, poll_inbox, process_inbox, watch_inbox
from worker.store.inbox_tables import inbox_messages, inbox_state
from worker.store.tables import receipts, review_items


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the job may swallow it."""


class CrashingMove(FakeMailbox):
    """A mailbox whose next move dies before (or, with `after=True`, just after) doing anything."""

    def __init__(self, *, after: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.crashes = 1
        self.after = after

    def move(self, uids: Iterable[int], folder: str) -> None:
        if self.crashes:
            self.crashes -= 1
            if self.after:
                super().move(uids, folder)
            raise Crash
        super().move(uids, folder)


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(inbox_messages).order_by(inbox_messages.c.id)))


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def run(app: Any, box: FakeMailbox, **kwargs: Any) -> dict[str, Any]:
    return process_inbox(app, box, read=kwargs.pop("read", read_standin), **kwargs)


def test_each_outcome_is_stored_then_filed(engine: Engine, settings: Settings) -> None:
    """Receipt, forwarded, rejected, ignored, review and malformed mail each land in their own folder."""
    box = FakeMailbox()
    box.deliver(notice(1))
    box.deliver(notice(2, outcome="forwarded", sender="staff@reseller.test"))
    box.deliver(notice(3, outcome="reject"))
    box.deliver(notice(4, outcome="ignore"))
    box.deliver(notice(5, outcome="review"))
    box.deliver(b"From: a@stripe.com\r\nFrom: b@stripe.com\r\nMessage-ID: <two-froms@x>\r\n\r\nhi\r\n")
    app = make_app(engine, settings, lambda: box)
    counts = run(app, box)
    assert counts["read"] == 6 and counts["moved"] == 6
    assert box.messages_in("INBOX") == []
    assert len(box.messages_in(Folder.PROCESSED)) == 2  # the receipt and the no-payment mail
    assert len(box.messages_in(Folder.REVIEW)) == 2  # forwarded receipt and the unsure one
    assert len(box.messages_in(Folder.REJECTED)) == 1
    assert len(box.messages_in(Folder.QUARANTINE)) == 1
    outcomes = {r.uid: (r.outcome, r.folder, r.moved) for r in rows(engine)}
    assert outcomes == {
        1: ("receipt", "Processed", True),
        2: ("receipt", "Review", True),
        3: ("rejected", "Rejected", True),
        4: ("ignored", "Processed", True),
        5: ("review", "Review", True),
        6: ("quarantined", "Quarantine", True),
    }
    with engine.connect() as conn:
        stored = {r.receipt_id: r for r in conn.execute(select(receipts))}
        items = {(r.kind, r.subject): r for r in conn.execute(select(review_items))}
    assert set(stored) == {"notice-1@test.local", "notice-2@test.local"}
    assert stored["notice-2@test.local"].payload["forwarded"] is True
    assert stored["notice-1@test.local"].amount == "10.00" and stored["notice-1@test.local"].status == "new"
    assert set(items) == {
        ("rejected_notice", "notice-3@test.local"),
        ("unconfirmed_notice", "notice-5@test.local"),
        ("quarantined", "two-froms@x"),
    }
    assert items[("quarantined", "two-froms@x")].reason == "not exactly one From"


def test_resent_notice_with_same_transaction_is_a_duplicate(engine: Engine, settings: Settings) -> None:
    """A notice resent with a new Message-ID but the same gateway transaction gives no second receipt."""
    box = FakeMailbox()
    box.deliver(notice(1, txn="ch_42"))
    box.deliver(notice(2, txn="ch_42"))
    box.deliver(notice(3, txn="ch_43"))
    counts = run(make_app(engine, settings, lambda: box), box)
    assert counts["receipts"] == 2 and counts["duplicates"] == 1
    assert count(engine, receipts) == 2
    dup = next(r for r in rows(engine) if r.uid == 2)
    assert dup.outcome == "duplicate" and dup.receipt_id == "notice-1@test.local" and dup.folder == "Processed"
    assert len(box.messages_in(Folder.PROCESSED)) == 3


def test_same_message_id_delivered_twice_is_recorded_twice_but_stored_once(engine: Engine, settings: Settings) -> None:
    """Two copies of one message: one receipt, two records, the copy marked duplicate and filed alike."""
    box = FakeMailbox()
    box.deliver(notice(1))
    box.deliver(notice(1, extra="Received: by another.relay"))
    run(make_app(engine, settings, lambda: box), box)
    assert [r.outcome for r in rows(engine)] == ["receipt", "duplicate"]
    assert count(engine, receipts) == 1
    assert len(box.messages_in(Folder.PROCESSED)) == 2


def test_second_run_reads_nothing_twice(engine: Engine, settings: Settings) -> None:
    """The watermark: a second run reads only what arrived since."""
    box = FakeMailbox()
    box.deliver(notice(1))
    app = make_app(engine, settings, lambda: box)
    assert run(app, box)["read"] == 1
    assert run(app, box).get("read", 0) == 0
    box.deliver(notice(2))
    assert run(app, box)["read"] == 1
    assert count(engine, inbox_messages) == 2
    with engine.connect() as conn:
        assert conn.execute(select(inbox_state.c.last_uid)).scalar_one() == 2


@pytest.mark.faults
def test_crash_after_storing_before_moving_is_repaired(engine: Engine, settings: Settings) -> None:
    """Stored but not moved when the process died: the next run moves them; nothing is read or stored twice."""
    box = CrashingMove()
    for n in range(1, 4):
        box.deliver(notice(n))
    app = make_app(engine, settings, lambda: box)
    with pytest.raises(Crash):
        run(app, box)
    assert [r.moved for r in rows(engine)] == [False, False, False]
    assert len(box.messages_in("INBOX")) == 3 and count(engine, receipts) == 3
    counts = run(app, box)
    assert counts["resumed_moves"] == 3 and counts.get("read", 0) == 0
    assert [r.moved for r in rows(engine)] == [True, True, True]
    assert len(box.messages_in(Folder.PROCESSED)) == 3 and box.messages_in("INBOX") == []
    assert count(engine, receipts) == 3 and count(engine, inbox_messages) == 3


@pytest.mark.faults
def test_crash_after_moving_before_recording_the_move(engine: Engine, settings: Settings) -> None:
    """Moved but the move not recorded: the repeated move finds nothing to move and the record is completed."""
    box = CrashingMove(after=True)
    box.deliver(notice(1))
    app = make_app(engine, settings, lambda: box)
    with pytest.raises(Crash):
        run(app, box)
    assert len(box.messages_in(Folder.PROCESSED)) == 1 and rows(engine)[0].moved is False
    assert run(app, box)["resumed_moves"] == 1
    assert rows(engine)[0].moved is True and len(box.messages_in(Folder.PROCESSED)) == 1


@pytest.mark.faults
def test_crash_while_reading_loses_nothing(engine: Engine, settings: Settings) -> None:
    """Dying after one message is stored and before the next is: the next run files the first, reads the second."""
    box = FakeMailbox()
    box.deliver(notice(1))
    box.deliver(notice(2))
    app = make_app(engine, settings, lambda: box)
    seen: list[bytes] = []

    def dies_on_second(raw: bytes) -> NoticeReading:
        seen.append(raw)
        if len(seen) == 2:
            raise Crash
        return read_standin(raw)

    with pytest.raises(Crash):
        run(app, box, read=dies_on_second)
    assert [r.uid for r in rows(engine)] == [1]
    counts = run(app, box)
    assert counts["resumed_moves"] == 1 and counts["read"] == 1
    assert [(r.uid, r.moved) for r in rows(engine)] == [(1, True), (2, True)]
    assert count(engine, receipts) == 2


@pytest.mark.faults
def test_uidvalidity_reset_rereads_and_recognises_what_was_stored(engine: Engine, settings: Settings) -> None:
    """After a reset with stored-but-unmoved mail, those are adopted under their new UIDs; new mail is read."""
    box = CrashingMove()
    box.deliver(notice(1))
    box.deliver(notice(2))
    app = make_app(engine, settings, lambda: box)
    with pytest.raises(Crash):
        run(app, box)
    box.deliver(notice(3))
    box.reset_uidvalidity()  # renumbered 1..3 under a new UIDVALIDITY
    counts = run(app, box)
    assert counts["uidvalidity_reset"] == 1 and counts["adopted"] == 2 and counts["receipts"] == 1
    assert box.messages_in("INBOX") == [] and len(box.messages_in(Folder.PROCESSED)) == 3
    records = rows(engine)
    assert len(records) == 3 and all(r.moved and r.uidvalidity == 2 for r in records)
    assert count(engine, receipts) == 3


def test_filed_mail_put_back_after_a_reset_is_a_duplicate(engine: Engine, settings: Settings) -> None:
    """Mail restored into the inbox after a rebuild is recognised by Message-ID: no second receipt."""
    box = FakeMailbox()
    box.deliver(notice(1))
    app = make_app(engine, settings, lambda: box)
    run(app, box)
    box.deliver(box.messages_in(Folder.PROCESSED)[0])
    box.reset_uidvalidity()
    counts = run(app, box)
    assert counts["duplicates"] == 1 and count(engine, receipts) == 1
    assert [r.outcome for r in rows(engine)] == ["receipt", "duplicate"]


def test_oversized_message_is_quarantined_unread(engine: Engine, settings: Settings) -> None:
    """A message over the size cap never reaches the reader and is quarantined with its size as the reason."""
    box = FakeMailbox(max_message_bytes=2000)
    box.deliver(notice(1, extra="X-Padding: " + "A" * 5000))
    called: list[bytes] = []

    def reader(raw: bytes) -> NoticeReading:
        called.append(raw)
        return read_standin(raw)

    run(make_app(engine, settings, lambda: box, max_message_bytes=2000), box, read=reader)
    assert called == []
    record = rows(engine)[0]
    assert record.outcome == "quarantined" and record.message_id == "notice-1@test.local"
    assert "over the 2000-byte limit" in record.reason
    assert len(box.messages_in(Folder.QUARANTINE)) == 1


def test_a_reader_that_raises_or_breaks_the_contract_quarantines(engine: Engine, settings: Settings) -> None:
    """read_notice promises never to raise; if it does, or returns no single outcome, the mail is quarantined."""
    box = FakeMailbox()
    box.deliver(notice(1))
    box.deliver(notice(2))

    def broken(raw: bytes) -> NoticeReading:
        if b"notice-1" in raw:
            raise ValueError("bug")
        return NoticeReading(message_id="notice-2@test.local", received_at=None)

    run(make_app(engine, settings, lambda: box), box, read=broken)
    assert [r.outcome for r in rows(engine)] == ["quarantined", "quarantined"]
    assert "notice reader failed (ValueError)" in rows(engine)[0].reason
    assert "no single outcome" in rows(engine)[1].reason


def test_hostile_text_is_stored_on_both_databases(engine: Engine, settings: Settings) -> None:
    """NUL bytes and lone surrogates in what the reader returns do not stop the inbox."""
    box = FakeMailbox()
    box.deliver(notice(1))

    def hostile(raw: bytes) -> NoticeReading:
        return NoticeReading(
            message_id="evil\x00id\udcff@x", received_at=None, quarantine=True, reason="bad \x00 reason \udc80"
        )

    run(make_app(engine, settings, lambda: box), box, read=hostile)
    record = rows(engine)[0]
    assert record.outcome == "quarantined" and "\x00" not in record.message_id and record.moved


def test_large_backlog_is_worked_in_bounded_runs(engine: Engine, settings: Settings) -> None:
    """max_messages bounds one run; the next run carries on where it stopped."""
    box = FakeMailbox()
    for n in range(25):
        box.deliver(notice(n))
    app = make_app(engine, settings, lambda: box)
    assert run(app, box, batch=7, max_messages=10)["read"] == 10
    assert run(app, box, batch=7)["read"] == 15
    assert count(engine, receipts) == 25 and box.messages_in("INBOX") == []


def test_dropped_connection_fails_the_run_and_the_next_run_recovers(engine: Engine, settings: Settings) -> None:
    """A transient failure surfaces (the job runner records it); nothing is lost for the next run."""
    box = FakeMailbox()
    box.deliver(notice(1))
    app = make_app(engine, settings, lambda: box)
    box.drop_next = 1
    with pytest.raises(TransientError):
        run(app, box)
    assert run(app, box)["receipts"] == 1


def test_poll_inbox_without_an_inbox_skips(engine: Engine, settings: Settings) -> None:
    """No inbox configured: the job says so and touches nothing."""
    assert poll_inbox(make_app(engine, settings, None)) == {"skipped": "no inbox configured"}


def test_watch_inbox_processes_mail_that_arrives_while_waiting(sqlite_engine: Engine, settings: Settings) -> None:
    """watch_inbox catches up, waits, and stores mail delivered during the wait within its time budget."""
    box = FakeMailbox()
    box.deliver(notice(1))
    app = make_app(sqlite_engine, settings, lambda: box)
    timer = threading.Timer(0.3, lambda: box.deliver(notice(2)))
    timer.start()
    counts = watch_inbox(app, seconds=1.0, read=read_standin)
    timer.join()
    assert counts["receipts"] == 2 and box.closes == 1
    assert len(box.messages_in(Folder.PROCESSED)) == 2


def test_inbox_status_reports_watermark_and_folders(engine: Engine, settings: Settings) -> None:
    """The status view counts messages per folder and shows the watermark."""
    box = FakeMailbox(uidvalidity=77)
    box.deliver(notice(1))
    box.deliver(notice(2, outcome="reject"))
    app = make_app(engine, settings, lambda: box)
    run(app, box)
    with engine.connect() as conn:
        status = inbox_status(conn, mailbox_key(settings.inbox))
    assert status["uidvalidity"] == 77 and status["last_uid"] == 2 and status["pending_moves"] == 0
    assert status["folders"] == {"Processed": 1, "Rejected": 1}


class RefusesReview(FakeMailbox):
    """A server that will not let us file into Review (a quota, a forbidden folder name)."""

    refusing = True

    def move(self, uids: Iterable[int], folder: str) -> None:
        if folder == Folder.REVIEW and self.refusing:
            raise PermanentError("NO [OVERQUOTA] quota exceeded", system="mailbox")
        super().move(uids, folder)


def test_a_refused_move_leaves_the_message_stored_and_pending(engine: Engine, settings: Settings) -> None:
    """The refusal does not stop the rest of the inbox; the message stays recorded and is filed once allowed."""
    box = RefusesReview()
    box.deliver(notice(1, outcome="review"))
    box.deliver(notice(2))
    app = make_app(engine, settings, lambda: box)
    counts = run(app, box)
    assert counts["move_failed"] == 1 and counts["moved"] == 1
    assert len(box.messages_in("INBOX")) == 1 and len(box.messages_in(Folder.PROCESSED)) == 1
    box.refusing = False  # the quota was raised
    assert run(app, box)["resumed_moves"] == 1
    assert [(r.uid, r.moved) for r in rows(engine)] == [(1, True), (2, True)]


def _dns_down_for(message_id: str, sent: Any) -> Any:
    """A reader for which the DKIM key of one message cannot be fetched (DNS failing), sent at `sent`."""
    from rules.model import DecisionKind

    def read(raw: bytes) -> NoticeReading:
        reading = read_standin(raw)
        if reading.message_id != message_id:
            return reading
        return NoticeReading(
            message_id=message_id,
            received_at=sent,
            verdict=DecisionKind.REVIEW,
            reason="DKIM key for d=stripe.com could not be fetched; read it again later",
            retry_later=True,
        )

    return read


def test_a_notice_whose_key_cannot_be_fetched_waits_in_the_inbox(engine: Engine, settings: Settings) -> None:
    """While DNS fails the notice is neither stored nor moved, and reading stops there; once DNS answers the
    next run reads it and everything after it, each exactly once."""
    from datetime import UTC, datetime

    box = FakeMailbox()
    for n in (1, 2, 3):
        box.deliver(notice(n))
    app = make_app(engine, settings, lambda: box)
    msg_id = read_standin(box.messages_in("INBOX")[1]).message_id
    counts = run(app, box, read=_dns_down_for(msg_id, datetime.now(UTC)))
    assert counts["deferred"] == 1
    assert len(box.messages_in("INBOX")) == 2 and len(box.messages_in(Folder.PROCESSED)) == 1
    assert [r.uid for r in rows(engine)] == [1]
    counts = run(app, box)
    assert counts.get("deferred", 0) == 0
    assert box.messages_in("INBOX") == [] and len(box.messages_in(Folder.PROCESSED)) == 3
    assert sorted(r.uid for r in rows(engine)) == [1, 2, 3]
    assert count(engine, receipts) == 3


@pytest.mark.parametrize("hours", [-7, 24])
def test_a_notice_still_unverifiable_after_hours_goes_to_a_person(
    engine: Engine, settings: Settings, hours: int
) -> None:
    """An old (or future-dated) notice is not deferred: it is filed for review with the reason."""
    from datetime import UTC, datetime, timedelta

    box = FakeMailbox()
    box.deliver(notice(1))
    app = make_app(engine, settings, lambda: box)
    msg_id = read_standin(box.messages_in("INBOX")[0]).message_id
    counts = run(app, box, read=_dns_down_for(msg_id, datetime.now(UTC) + timedelta(hours=hours)))
    assert counts.get("deferred", 0) == 0
    assert len(box.messages_in(Folder.REVIEW)) == 1
