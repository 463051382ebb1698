"""The inbox jobs: read new payment notices, store each one (receipt, review item or quarantine) and then file it.

Order per message: read -> store its record (+ receipt or review item) in one transaction -> advance the
watermark -> move it to the folder that says what happened -> mark it moved. The next run repairs a crash between
any two steps: a UID with a record is never read again, unmoved records are moved again, and after a UIDVALIDITY
reset a stored-but-unmoved message is recognised by Message-ID + content digest. A repeat is the same content (the
digest without relays' trace fields) or the same gateway transaction; a Message-ID that comes back with other
content is kept and reviewed.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Connection, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from config.inbox import InboxSettings
from integrations.errors import PermanentError
from integrations.mailsignin import SignInNeeded
from integrations.notices.headers import content_digest
from integrations.ports import Folder, Mailbox, MailMessage
from rules.model import DecisionKind, NoticeReading, Receipt
from rules.repeats import REUSED_ACTION, REUSED_MESSAGE_ID
from worker.jobs.runner import mark_delivered
from worker.store.inbox_tables import inbox_messages, inbox_state
from worker.store.receipts import clean_text, receipt_payload
from worker.store.review_items import raise_review_item
from worker.store.tables import receipts

if TYPE_CHECKING:
    from config.settings import Settings
    from integrations.notices.trust import SenderTrust
    from rules.notice_text import NoticeFormats
    from worker.app import App

log = structlog.get_logger(__name__)

NoticeReader = Callable[[bytes], NoticeReading]

BATCH = 200  # messages fetched, stored and moved together
MAX_PER_RUN = 20_000  # a huge backlog is worked off over several runs, each one bounded
# A message whose sender could not be checked for a passing reason (DNS down) stays in the inbox and is read
# again on later runs while its Date is this recent; after that a person is asked. A Date in the future never
# defers, so a forged message cannot hold the inbox back for longer.
RETRY_LATER_FOR = timedelta(hours=6)
DEFERRED = "<deferred>"
WATCH_SLICE_SECONDS = 5.0  # how often watch_inbox looks at its stop flag while idling (IDLE is re-issued)

QUARANTINE_ACTION = (
    "Open the message in the Quarantine folder. If it is a genuine payment notice, check the payment with the "
    "gateway and record it by hand; otherwise ignore it."
)
REJECTED_ACTION = (
    "Do not act on this message: it claims to be from a payment service and failed authentication. Check the "
    "gateway's dashboard if a payment was expected."
)
REVIEW_ACTION = "Read the message in the Review folder and confirm the payment with the gateway before acting."


# Built once: the per-message path runs these thousands of times, and building a statement costs more than
# running it on SQLite.
_mine = inbox_messages.c
_SAME_UID = select(_mine.id).where(
    _mine.mailbox == bindparam("k"), _mine.uidvalidity == bindparam("v"), _mine.uid == bindparam("u")
)
_SAME_MESSAGE_ID = (
    select(_mine.id, _mine.mailbox, _mine.uidvalidity, _mine.uid, _mine.sha256, _mine.moved, _mine.folder)
    .where(_mine.message_id == bindparam("m"))
    .order_by(_mine.id)
)
_ADOPT = (
    update(inbox_messages).where(_mine.id == bindparam("row_id")).values(uidvalidity=bindparam("v"), uid=bindparam("u"))
)
_SAME_RECEIPT = select(receipts.c.receipt_id).where(
    or_(
        and_(receipts.c.gateway == bindparam("g"), receipts.c.gateway_txn_id == bindparam("t")),
        receipts.c.receipt_id == bindparam("r"),
    )
)
_SAME_RECEIPT_ID = select(receipts.c.receipt_id).where(receipts.c.receipt_id == bindparam("r"))
_INSERT_RECORD = inbox_messages.insert()
_INSERT_RECEIPT = receipts.insert()


# ---- wiring ----------------------------------------------------------------------------------------------------


def mailbox_key(inbox: InboxSettings) -> str:
    """Which mailbox a watermark belongs to: changing account or folder starts a new one."""
    if inbox.kind == "imap":
        return f"imap:{inbox.username}@{inbox.host}:{inbox.port}/{inbox.folder}"[:255]
    if inbox.kind == "maildir":
        return f"maildir:{inbox.maildir}"[:255]
    return f"{inbox.kind}:{inbox.folder}"


def notice_trust(settings: Settings) -> tuple[SenderTrust, NoticeFormats]:
    """The sender trust and notice formats the settings describe (what the inbox reads with)."""
    from integrations.notices import load_formats, trust_from_settings, zone_lookup

    keys_file = settings.matching.dkim_keys_file
    trust = trust_from_settings(
        settings.matching,
        inbox_address=settings.inbox.username,
        dns_txt=zone_lookup(json.loads(Path(keys_file).read_text(encoding="utf-8"))) if keys_file else None,
        max_bytes=settings.inbox.max_message_bytes,
        default_currency=settings.worker.home_currency,
    )
    return trust, load_formats(settings.matching.notice_formats_dir or None)


def notice_reader(settings: Settings) -> NoticeReader:
    """The real reader (integrations.notices) with the sender trust and notice formats the settings describe."""
    from integrations.notices import read_notice

    trust, formats = notice_trust(settings)

    def read(raw: bytes) -> NoticeReading:
        return read_notice(raw, trust, formats)

    return read


# ---- jobs ------------------------------------------------------------------------------------------------------


def poll_inbox(app: App) -> dict[str, int | str]:
    """Job: read everything new in the payments folder once."""
    if app.open_mailbox is None:
        return {"skipped": "no inbox configured"}
    mailbox = app.open_mailbox()
    try:
        return process_inbox(app, mailbox, read=notice_reader(app.settings))
    finally:
        mailbox.close()


def watch_inbox(
    app: App,
    *,
    seconds: float = 240.0,
    stop: Callable[[], bool] | None = None,
    read: NoticeReader | None = None,
) -> dict[str, int | str]:
    """For the daemon: catch up, then IDLE (or poll) and process new mail within seconds of its arrival.

    Returns after at most `seconds` (plus one processing pass), or soon after `stop()` turns true; the daemon
    calls it again. One connection is used throughout, so IDLE is re-issued well inside the 29-minute limit.
    """
    if app.open_mailbox is None:
        return {"skipped": "no inbox configured"}
    reader = read or notice_reader(app.settings)
    deadline = time.monotonic() + seconds
    totals: Counter[str] = Counter()
    mailbox = app.open_mailbox()
    try:
        try:
            _add(totals, process_inbox(app, mailbox, read=reader))
        except SignInNeeded:
            # Nothing can be read until the mailbox's owner signs in again. Wait out this run before failing, so
            # the daemon (which calls again at once) records one failure per run, not one every few seconds.
            while time.monotonic() < deadline and not (stop and stop()):
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            raise
        mark_delivered()  # the inbox is read: health counts that now, not when this long run ends
        while (remaining := deadline - time.monotonic()) > 0 and not (stop and stop()):
            totals["waits"] += 1
            if mailbox.wait_for_mail(min(remaining, WATCH_SLICE_SECONDS)):
                _add(totals, process_inbox(app, mailbox, read=reader))
            mark_delivered()  # an IDLE wait that ended normally: the connection is alive and watched
    finally:
        mailbox.close()
    return dict(totals)


def _add(totals: Counter[str], counts: Mapping[str, int | str]) -> None:
    for k, v in counts.items():
        if isinstance(v, int):
            totals[k] += v


# ---- one pass --------------------------------------------------------------------------------------------------


def process_inbox(
    app: App,
    mailbox: Mailbox,
    *,
    read: NoticeReader,
    batch: int = BATCH,
    max_messages: int = MAX_PER_RUN,
) -> dict[str, int | str]:
    """Read, store and file every new message in `mailbox` (at most `max_messages`); returns the counts."""
    key = mailbox_key(app.settings.inbox)
    cap = app.settings.inbox.max_message_bytes
    counts: Counter[str] = Counter()
    uidvalidity = mailbox.uidvalidity()
    last_uid = _watermark(app, key, uidvalidity, counts)
    _finish_moves(app, mailbox, key, uidvalidity, counts)
    while counts["read"] < max_messages:
        messages = mailbox.fetch_new(after_uid=last_uid, limit=min(batch, max_messages - counts["read"]))
        if not messages:
            break
        to_move: dict[str, list[int]] = {}
        for message in messages:
            if message.mailbox_id and message.mailbox_id != str(uidvalidity):
                log.warning("inbox_uidvalidity_changed_mid_run", mailbox=key)
                counts["interrupted"] += 1
                break  # the folder was rebuilt under us: the next run starts again from a fresh UIDVALIDITY
            folder = _store(app, key, uidvalidity, message, read, cap, counts)
            if folder == DEFERRED:
                counts["deferred"] += 1
                break  # the watermark stays before this message, so the next run reads it again
            if folder:
                to_move.setdefault(folder, []).append(message.uid)
            last_uid = max(last_uid, message.uid)
        _advance(app, key, last_uid)
        for folder, uids in to_move.items():
            if _move(mailbox, uids, folder, counts):
                _mark_moved(app, key, uidvalidity, uids)
                counts["moved"] += len(uids)
        if counts["interrupted"] or counts["deferred"]:
            break
    log.info("inbox_polled", mailbox=key, **counts)
    return dict(counts)


def _watermark(app: App, key: str, uidvalidity: int, counts: Counter[str]) -> int:
    now = app.clock()
    with app.engine.begin() as conn:
        row = conn.execute(select(inbox_state).where(inbox_state.c.mailbox == key)).first()
        if row is None:
            conn.execute(inbox_state.insert().values(mailbox=key, uidvalidity=uidvalidity, last_uid=0, updated_at=now))
            return 0
        if int(row.uidvalidity) != uidvalidity:
            # Every UID we knew is void: read everything again; Message-ID + sha256 recognise what we have.
            log.warning("inbox_uidvalidity_reset", mailbox=key, old=int(row.uidvalidity), new=uidvalidity)
            counts["uidvalidity_reset"] += 1
            conn.execute(
                update(inbox_state)
                .where(inbox_state.c.mailbox == key)
                .values(uidvalidity=uidvalidity, last_uid=0, updated_at=now)
            )
            return 0
        return int(row.last_uid)


def _finish_moves(app: App, mailbox: Mailbox, key: str, uidvalidity: int, counts: Counter[str]) -> None:
    """Move what a previous run stored but did not (confirm it) move: MOVE of a gone UID is a no-op."""
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(inbox_messages.c.uid, inbox_messages.c.folder).where(
                inbox_messages.c.mailbox == key,
                inbox_messages.c.uidvalidity == uidvalidity,
                inbox_messages.c.moved.is_(False),
            )
        ).all()
    by_folder: dict[str, list[int]] = {}
    for row in rows:
        by_folder.setdefault(row.folder, []).append(int(row.uid))
    for folder, uids in by_folder.items():
        if _move(mailbox, uids, folder, counts):
            _mark_moved(app, key, uidvalidity, uids)
            counts["resumed_moves"] += len(uids)


def _move(mailbox: Mailbox, uids: list[int], folder: str, counts: Counter[str]) -> bool:
    """File stored messages. A refusal (no such folder allowed, quota) leaves them stored and pending, to be
    tried again next run, without stopping the inbox; a dropped connection fails the run as usual."""
    try:
        mailbox.move(uids, folder)
    except PermanentError as exc:
        log.error("inbox_move_refused", folder=folder, messages=len(uids), error=str(exc))
        counts["move_failed"] += len(uids)
        return False
    return True


def _mark_moved(app: App, key: str, uidvalidity: int, uids: list[int]) -> None:
    now = app.clock()
    with app.engine.begin() as conn:
        for start in range(0, len(uids), 500):
            conn.execute(
                update(inbox_messages)
                .where(
                    inbox_messages.c.mailbox == key,
                    inbox_messages.c.uidvalidity == uidvalidity,
                    inbox_messages.c.uid.in_(uids[start : start + 500]),
                )
                .values(moved=True, moved_at=now)
            )


# ---- one message -----------------------------------------------------------------------------------------------


def _store(
    app: App,
    key: str,
    uidvalidity: int,
    message: MailMessage,
    read: NoticeReader,
    cap: int,
    counts: Counter[str],
) -> str | None:
    """Store what `message` is, with the watermark, in one transaction; returns the folder to move it to."""
    counts["read"] += 1
    sha = content_digest(message.raw)
    reading = _read(message, read, cap)
    if reading.retry_later and _may_wait(reading, app.clock()):
        log.warning("inbox_message_deferred", uid=message.uid, reason=reading.reason)
        return DEFERRED
    try:
        with app.engine.begin() as conn:
            return _record(app, conn, key, uidvalidity, message, sha, reading, counts)
    except IntegrityError:
        raise  # a second worker on the same mailbox: let this run fail rather than guess
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise
        # Something in this message the database refuses (not the database being down, which fails again
        # below): file it under Quarantine so it cannot block the inbox.
        log.warning("inbox_message_unstorable", uid=message.uid, error=type(exc.orig).__name__)
        fallback = NoticeReading(
            message_id=reading.message_id,
            received_at=None,
            quarantine=True,
            reason=f"could not be stored ({type(exc.orig).__name__}); kept for a person to read",
        )
        with app.engine.begin() as conn:
            return _record(app, conn, key, uidvalidity, message, sha, fallback, counts)


def _may_wait(reading: NoticeReading, now: datetime) -> bool:
    sent = reading.received_at
    return sent is not None and now - RETRY_LATER_FOR <= sent <= now + timedelta(minutes=5)


def _read(message: MailMessage, read: NoticeReader, cap: int) -> NoticeReading:
    if message.size > cap or len(message.raw) > cap:
        return NoticeReading(
            message_id=_header_message_id(message.raw),
            received_at=None,
            quarantine=True,
            reason=f"message is {max(message.size, len(message.raw))} bytes, over the {cap}-byte limit; not read",
        )
    try:
        reading = read(message.raw)
    except Exception as exc:  # read_notice promises not to raise; a bug there must not stop the inbox
        log.exception("notice_reader_failed", uid=message.uid)
        return NoticeReading(
            message_id=_header_message_id(message.raw),
            received_at=None,
            quarantine=True,
            reason=f"the notice reader failed ({type(exc).__name__}); kept for a person to read",
        )
    outcomes = (reading.receipt is not None) + (reading.verdict is not None) + bool(reading.quarantine)
    if outcomes != 1 or not reading.message_id:
        return NoticeReading(
            message_id=reading.message_id or _header_message_id(message.raw),
            received_at=reading.received_at,
            quarantine=True,
            reason=f"the notice reader gave no single outcome ({reading.reason or 'no reason'})",
        )
    return reading


def _record(
    app: App,
    conn: Connection,
    key: str,
    uidvalidity: int,
    message: MailMessage,
    sha: str,
    reading: NoticeReading,
    counts: Counter[str],
) -> str | None:
    now = app.clock()
    message_id = _id_key(reading.message_id)
    if conn.execute(_SAME_UID, {"k": key, "v": uidvalidity, "u": message.uid}).first():
        return None  # already recorded under this very UID (the watermark lagged): nothing new
    same_id = conn.execute(_SAME_MESSAGE_ID, {"m": message_id}).all()

    # After a UIDVALIDITY reset: the same bytes we stored earlier but never saw moved -> adopt the new UID.
    for earlier in same_id:
        if (
            earlier.mailbox == key
            and earlier.sha256 == sha
            and not earlier.moved
            and earlier.uidvalidity != uidvalidity
        ):
            conn.execute(_ADOPT, {"row_id": earlier.id, "v": uidvalidity, "u": message.uid})
            counts["adopted"] += 1
            return str(earlier.folder)

    row: dict[str, Any] = {
        "mailbox": key,
        "uidvalidity": uidvalidity,
        "uid": message.uid,
        "message_id": message_id,
        "sha256": sha,
        "size": max(message.size, len(message.raw)),
        "receipt_id": None,
        "gateway": clean_text(reading.gateway)[:32],
        "gateway_txn_id": clean_text(reading.gateway_txn_id)[:255],
        "created_at": now,
        "moved": False,
    }

    reused = False
    if same_id:
        # A repeat is the same bytes again (a second delivery, or a server rebuilt after we filed the first copy).
        # The same Message-ID with other content is another message: kept, and a person looks at it, since a
        # forged message sent first must not hide the genuine one that follows.
        identical = next((earlier for earlier in same_id if earlier.sha256 == sha), None)
        if identical is not None:
            counts["duplicates"] += 1
            reason = f"the very same message (identical bytes) as the one read earlier (uid {identical.uid})"
            _insert(conn, row, "duplicate", str(identical.folder), reason)
            return str(identical.folder)
        reused = True
        counts["reused_message_id"] += 1

    if reading.quarantine:
        return _quarantine(conn, row, message_id, clean_text(reading.reason) or "malformed message", now, counts)

    if reading.receipt is not None:
        receipt = reading.receipt
        if reused:
            receipt = replace(
                receipt,
                receipt_id=_second_message_key(message_id, sha),
                flags=(*receipt.flags, REUSED_MESSAGE_ID),
            )
        return _record_receipt(conn, row, message_id, reading, receipt, now, counts)

    reason = clean_text(reading.reason)
    if reading.verdict == DecisionKind.REJECT:
        counts["rejected"] += 1
        raise_review_item(
            conn,
            kind="rejected_notice",
            subject=message_id,
            reason=reason or "failed sender authentication",
            now=now,
            suggested_action=REJECTED_ACTION,
            detail=_row_detail(row),
        )
        _insert(conn, row, "rejected", Folder.REJECTED, reason)
        return Folder.REJECTED
    if reading.verdict == DecisionKind.IGNORE and not reused:
        counts["ignored"] += 1
        if reading.payout is not None:
            # A payout notice: one sign of a payout, which `match_payouts` groups with its bank line.
            from worker.jobs.payouts import add_sighting

            counts["payouts"] += add_sighting(conn, reading.payout, now)
        _insert(conn, row, "ignored", Folder.PROCESSED, reason)
        return Folder.PROCESSED
    # REVIEW (AUTO is not a reading's business; treat it as needing a person), or a second message under a
    # Message-ID already used
    counts["review"] += 1
    if reused:
        reason = f"{reason}; its Message-ID was used by an earlier, different message"
    raise_review_item(
        conn,
        kind=REUSED_MESSAGE_ID if reused else "unconfirmed_notice",
        subject=_second_message_key(message_id, sha) if reused else message_id,
        reason=reason or "the notice needs a person",
        now=now,
        suggested_action=REUSED_ACTION if reused else REVIEW_ACTION,
        detail=_row_detail(row),
    )
    _insert(conn, row, "review", Folder.REVIEW, reason)
    return Folder.REVIEW


def _second_message_key(message_id: str, sha: str) -> str:
    """The key of a message that came under a Message-ID an earlier, different message used: the Message-ID and
    the start of its own digest, so both are kept apart."""
    key = f"{message_id}#{sha[:16]}"
    return key if len(key) <= 255 else f"sha256:{sha}"


def _quarantine(
    conn: Connection, row: dict[str, Any], message_id: str, reason: str, now: datetime, counts: Counter[str]
) -> str:
    counts["quarantined"] += 1
    raise_review_item(
        conn,
        kind="quarantined",
        subject=message_id,
        reason=reason,
        now=now,
        suggested_action=QUARANTINE_ACTION,
        detail=_row_detail(row),
    )
    _insert(conn, row, "quarantined", Folder.QUARANTINE, reason)
    return Folder.QUARANTINE


def _record_receipt(
    conn: Connection,
    row: dict[str, Any],
    message_id: str,
    reading: NoticeReading,
    receipt: Receipt,
    now: datetime,
    counts: Counter[str],
) -> str:
    receipt_id = clean_text(receipt.receipt_id)
    if not receipt_id or len(receipt_id) > 255:
        # Receipts are keyed by Message-ID; a key we cannot store exactly is not one we can dedupe on.
        reason = "the notice's Message-ID is empty or over 255 characters"
        return _quarantine(conn, row, message_id, reason, now, counts)
    gateway, txn = clean_text(receipt.gateway)[:32], clean_text(receipt.gateway_txn_id)[:255]
    row["gateway"], row["gateway_txn_id"], row["receipt_id"] = gateway, txn, receipt_id[:255]
    if txn:
        same = conn.execute(_SAME_RECEIPT, {"g": gateway, "t": txn, "r": receipt_id}).first()
    else:
        same = conn.execute(_SAME_RECEIPT_ID, {"r": receipt_id}).first()
    if same is not None:
        counts["duplicates"] += 1
        row["receipt_id"] = str(same.receipt_id)
        _insert(conn, row, "duplicate", Folder.PROCESSED, f"repeats receipt {same.receipt_id} ({gateway} {txn})")
        return Folder.PROCESSED
    conn.execute(
        _INSERT_RECEIPT,
        {
            "receipt_id": receipt_id,
            "source": receipt.source.value,
            "received_at": receipt.received_at,
            "amount": str(receipt.money.amount),
            "currency": receipt.money.currency,
            "gateway": gateway,
            "gateway_txn_id": txn,
            "payload": receipt_payload(receipt, forwarded=reading.forwarded),
            "status": "new",
            "created_at": now,
        },
    )
    counts["receipts"] += 1
    folder = Folder.REVIEW if reading.forwarded else Folder.PROCESSED
    _insert(conn, row, "receipt", folder, clean_text(reading.reason))
    return folder


def _insert(conn: Connection, row: dict[str, Any], outcome: str, folder: str, reason: str) -> None:
    conn.execute(_INSERT_RECORD, {**row, "outcome": outcome, "folder": folder, "reason": clean_text(reason)})


def _advance(app: App, key: str, uid: int) -> None:
    """Move the watermark past a stored batch. Lagging behind the records is safe: a UID that already has a
    record is skipped, and its move is finished by the pending-move pass."""
    with app.engine.begin() as conn:
        conn.execute(
            update(inbox_state)
            .where(inbox_state.c.mailbox == key, inbox_state.c.last_uid < uid)
            .values(last_uid=uid, updated_at=app.clock())
        )


def _row_detail(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("mailbox", "uidvalidity", "uid", "sha256", "size")}


def _id_key(message_id: str) -> str:
    cleaned = clean_text(message_id)
    if len(cleaned) <= 255:
        return cleaned
    return "sha256:" + hashlib.sha256(cleaned.encode("utf-8")).hexdigest()


def _header_message_id(raw: bytes) -> str:
    """Message-ID from the headers alone (stdlib), or a digest of the bytes when there is none."""
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw[:65536])
        value = str(headers.get("Message-ID", "") or "").strip().strip("<>").strip()
    except Exception:  # hostile headers: fall back to the digest
        value = ""
    return value or "sha256:" + hashlib.sha256(raw).hexdigest()


# ---- status ----------------------------------------------------------------------------------------------------


def inbox_status(conn: Connection, key: str) -> dict[str, Any]:
    """Watermark, messages per folder and outcome, and moves not yet confirmed (for `inbox status`)."""
    state = conn.execute(select(inbox_state).where(inbox_state.c.mailbox == key)).first()
    mine = inbox_messages.c
    per_folder = {
        str(r.folder): int(r.n)
        for r in conn.execute(
            select(mine.folder, func.count().label("n")).where(mine.mailbox == key).group_by(mine.folder)
        )
    }
    per_outcome = {
        str(r.outcome): int(r.n)
        for r in conn.execute(
            select(mine.outcome, func.count().label("n")).where(mine.mailbox == key).group_by(mine.outcome)
        )
    }
    pending = conn.execute(select(func.count()).where(and_(mine.mailbox == key, mine.moved.is_(False)))).scalar_one()
    return {
        "mailbox": key,
        "uidvalidity": int(state.uidvalidity) if state else None,
        "last_uid": int(state.last_uid) if state else None,
        "folders": per_folder,
        "outcomes": per_outcome,
        "pending_moves": int(pending),
    }
