"""Replay: the daemon's decision path over a corpus on disk (context, orders, bank lines, Xero payments, mail),
in time order, with no network and no side effects. Also lets a reseller dry-run the worker on an export.
"""

from __future__ import annotations

import gc
import heapq
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.model import Decision, DecisionKind, NoticeReading, Order, Receipt, ReceiptSource
from rules.policy import apply, decide, decide_reading
from rules.repeats import MessageLog
from rules.sources import SourceError, order_from_dict, payment_receipt, statement_line_receipt

log = structlog.get_logger(__name__)

# On a tie in time, Xero's own payments come first, then bank lines, then mail.
SOURCE_RANK = {ReceiptSource.XERO_PAYMENT: 0, ReceiptSource.BANK_LINE: 1, ReceiptSource.NOTICE: 2}

NoticeReader = Callable[[bytes], NoticeReading]
ISSUE_SLACK = timedelta(days=1)


@dataclass(kw_only=True)
class Item:
    """One thing to decide: a receipt, or a mail reading (which may hold a receipt, or only a verdict)."""

    key: str
    at: datetime
    rank: int
    receipt: Receipt | None = None
    reading: NoticeReading | None = None
    problem: str = ""  # an input that could not be read: decided as review, never dropped


@dataclass(kw_only=True)
class Corpus:
    context: dict[str, Any]
    orders: list[Order]
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _load_json(path: Path) -> Any:
    with path.open("rb") as fh:
        return json.load(fh)


def policy_for(context: Mapping[str, Any], base: MatchPolicy | None = None) -> MatchPolicy:
    """The matching policy for a corpus: its home currency and the reseller's own name."""
    base = base or MatchPolicy()
    reseller = str(context.get("reseller") or "")
    return replace(
        base,
        home_currency=str(context.get("home_currency") or base.home_currency).upper(),
        own_names=tuple(dict.fromkeys((*base.own_names, reseller))) if reseller else base.own_names,
    )


def _epoch() -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Mail:
    """One message file, with the time it counts from: its Date header (the first one, as the notice reader
    would take it), or, without a usable Date, the start of time, so it sorts first and is never lost."""

    name: str
    at: datetime
    source: bytes | Path  # the message, or its file (read when its turn comes)

    def raw(self) -> bytes:
        return self.source if isinstance(self.source, bytes) else self.source.read_bytes()


def mail_files(directory: Path) -> list[Path]:
    """Every `mail/*.eml`, by file name."""
    folder = directory / "mail"
    # In one folder, the paths' own order is their names' order; comparing names costs a tenth of comparing paths
    # (0.06 s for 10,000 messages, before the readers can start).
    return sorted(folder.glob("*.eml"), key=_name) if folder.is_dir() else []


def _name(path: Path) -> str:
    return path.name


def mail_on_disk(directory: Path) -> list[Mail]:
    """Every message, read, in time order (ties by file name): the order the replay decides them in, the same
    order `NoticeStream(..., by_date=True)` reads them in."""
    from integrations.notices.batch import NO_DATE, in_date_order
    from integrations.notices.headers import date_hint

    files = mail_files(directory)
    sources: list[bytes | Path] = []
    for path in files:
        try:
            sources.append(path.read_bytes())
        except OSError:
            sources.append(path)  # a dangling link or an unreadable file: its own review item when its turn comes
    dates = [date_hint(raw) if isinstance(raw, bytes) else None for raw in sources]
    return [Mail(name=files[i].name, source=sources[i], at=dates[i] or NO_DATE) for i in in_date_order(dates)]


def bank_items(body: Mapping[str, Any]) -> Iterator[Item]:
    currency = str(body.get("bankAccountCurrencyCode") or "NZD")
    for statement in body.get("statements") or ():
        for line in statement.get("statementLines") or ():
            try:
                r = statement_line_receipt(line, currency=currency)
                yield Item(key=r.receipt_id, at=r.received_at, rank=SOURCE_RANK[r.source], receipt=r)
            except SourceError as exc:
                key = str(line.get("statementLineId") or f"bank-line-{id(line)}")
                yield Item(key=key, at=_epoch(), rank=1, problem=f"bank line could not be read: {exc}")


def payment_items(body: Mapping[str, Any]) -> Iterator[Item]:
    for payment in body.get("Payments") or ():
        try:
            r = payment_receipt(payment)
            yield Item(key=r.receipt_id, at=r.received_at, rank=SOURCE_RANK[r.source], receipt=r)
        except SourceError as exc:
            key = str(payment.get("PaymentID") or f"payment-{id(payment)}")
            yield Item(key=key, at=_epoch(), rank=0, problem=f"Xero payment could not be read: {exc}")


def _mail_item(mail: Mail, reading: NoticeReading) -> Item:
    return Item(key=reading.message_id, at=mail.at, rank=SOURCE_RANK[ReceiptSource.NOTICE], reading=reading)


def mail_items(mails: Iterable[Mail], read: NoticeReader) -> Iterator[Item]:
    """Items for messages read one at a time, where a failing read costs a review item for that message only."""
    for mail in mails:
        try:
            reading = read(mail.raw())
        except Exception as exc:  # a reader bug or a lost file must cost one review item, never the whole replay
            log.exception("notice_reader_failed", file=file_key(mail.name))
            yield _unreadable(mail, exc)
            continue
        yield _mail_item(mail, reading)


def file_key(name: str) -> str:
    """A file name as text that can always be written: bytes that are not UTF-8 (kept by the file system as
    surrogates) are shown as escapes, so a name is never a key that must already be text."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def _unreadable(mail: Mail, exc: Exception) -> Item:
    name = file_key(mail.name)
    return Item(
        key=name,
        at=mail.at,
        rank=SOURCE_RANK[ReceiptSource.NOTICE],
        problem=f"message file {name} could not be read ({type(exc).__name__}): look at it by hand",
    )


def streamed_mail_items(mails: Sequence[Mail], readings: Iterable[NoticeReading], read: NoticeReader) -> Iterator[Item]:
    """Items for messages read in a batch (`readings`, in the same order). A file that cannot be read costs its
    own review item; should the batch itself fail or come up short, the rest are read one at a time."""
    stream = iter(readings)
    for done, mail in enumerate(mails):
        try:
            reading = next(stream)
        except OSError as exc:
            log.warning("notice_file_unreadable", file=file_key(mail.name), error=type(exc).__name__)
            yield _unreadable(mail, exc)
            continue
        except Exception:  # StopIteration included: fall back to one at a time for the rest
            log.exception("notice_batch_failed", messages=len(mails), read=done)
            yield from mail_items(mails[done:], read)
            return
        yield _mail_item(mail, reading)


@dataclass(kw_only=True)
class Inputs:
    """Everything but the mail: orders, and bank lines and Xero payments in time order."""

    orders: list[Order] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def other_inputs(directory: Path) -> Inputs:
    """Read orders.json, bank/statements.json and xero/payments.json; labels.json is never read."""
    inputs = Inputs()
    for data in _load_json(directory / "orders.json"):
        try:
            inputs.orders.append(order_from_dict(data))
        except SourceError as exc:
            inputs.problems.append(f"order skipped: {exc}")
    bank = directory / "bank" / "statements.json"
    if bank.exists():
        inputs.items.extend(bank_items(_load_json(bank)))
    payments = directory / "xero" / "payments.json"
    if payments.exists():
        inputs.items.extend(payment_items(_load_json(payments)))
    inputs.items.sort(key=_in_time)
    return inputs


def _in_time(item: Item) -> tuple[datetime, int]:
    return (item.at, item.rank)


@contextmanager
def mail_readings(directory: Path, context: Mapping[str, Any], read: NoticeReader | None) -> Iterator[Iterator[Item]]:
    """The messages as items, in time order. With no `read`, `integrations.notices.NoticeStream` reads every
    message once, spread over the CPUs, starting now: the caller loads the other inputs and decides the first
    messages while the later ones are still being read."""
    if read is not None:
        yield mail_items(mail_on_disk(directory), read)
        return
    from integrations.notices.batch import NO_DATE, NoticeStream
    from integrations.notices.trust import trust_from_context

    trust = trust_from_context(context)

    def read_one(raw: bytes) -> NoticeReading:
        from integrations.notices.reading import read_notice

        return read_notice(raw, trust)

    files = mail_files(directory)
    from integrations.notices.formats import builtin_formats

    with NoticeStream(files, trust, builtin_formats(), by_date=True) as stream:
        mails = [Mail(name=files[i].name, source=files[i], at=stream.dates[i] or NO_DATE) for i in stream.order]
        yield streamed_mail_items(mails, stream, read_one)


def load_corpus(directory: Path, *, read: NoticeReader | None = None) -> Corpus:
    """Every input of a corpus, read once and held in memory (for tests and profiling; `replay` streams)."""
    context = _load_json(directory / "context.json")
    with mail_readings(directory, context, read) as mail:
        inputs = other_inputs(directory)
        items = [*inputs.items, *mail]
    return Corpus(context=context, orders=inputs.orders, items=items, problems=inputs.problems)


def decide_items(items: list[Item], orders: Iterable[Order], policy: MatchPolicy) -> list[Decision]:
    """Take every item in time order through the same decision code the daemon runs."""
    return decide_in_order(sorted(items, key=_in_time), orders, policy, _payment_record(items))


def _payment_record(items: Iterable[Item]) -> PaymentRecord:
    return PaymentRecord(
        i.receipt for i in items if i.receipt is not None and i.receipt.source is ReceiptSource.XERO_PAYMENT
    )


def decide_in_order(
    ordered: Iterable[Item], orders: Iterable[Order], policy: MatchPolicy, record: PaymentRecord
) -> list[Decision]:
    """Decide items already in time order, one at a time, as they come."""
    # Orders join the book on the day they were issued: the daemon never saw an invoice before it existed.
    # A day of slack covers New Zealand's date running ahead of UTC.
    upcoming = sorted(orders, key=lambda o: o.issued, reverse=True)
    book = OrderBook((), patterns=policy.patterns)
    messages = MessageLog()
    out: list[Decision] = []
    for item in ordered:
        seen_until = item.at.date() + ISSUE_SLACK if item.at.date() < date.max - ISSUE_SLACK else date.max
        while upcoming and upcoming[-1].issued <= seen_until:
            book.add(upcoming.pop())
        if item.problem:
            decision = Decision(
                receipt_id=item.key,
                kind=DecisionKind.REVIEW,
                reason=item.problem,
                strategy="unreadable",
                review_kind="unreadable",
            )
        elif item.reading is not None:
            decision = decide_reading(item.reading, book, record, policy, messages)
            receipt = item.reading.receipt
            if receipt is not None:
                apply(
                    book, receipt if receipt.receipt_id == item.key else replace(receipt, receipt_id=item.key), decision
                )
        else:
            assert item.receipt is not None
            decision = decide(item.receipt, book, record, policy)
            apply(book, item.receipt, decision)
        out.append(decision)
    return out


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collection paused for the body, then as it was. The replay builds one large heap that lives
    until it ends (orders, their indexes, every reading and decision) and makes next to no reference cycles, and
    the collector walks that whole heap again each time it grows by a quarter: about a tenth of the deciding process's
    time at 20,000 customers, for nothing. Reference counting still frees everything else as it goes."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def replay(directory: Path, *, policy: MatchPolicy | None = None, read: NoticeReader | None = None) -> list[Decision]:
    """Decide a corpus: the mail is read in the background while the other inputs load, and each item is decided
    as soon as everything before it in time is known."""
    context = _load_json(directory / "context.json")
    # Collection is paused only once the readers are started: they collect as usual.
    with mail_readings(directory, context, read) as mail, cycle_collection_paused():
        inputs = other_inputs(directory)
        for problem in inputs.problems:
            log.warning("replay_input_skipped", problem=problem)
        # The mail comes in time order, as do the other items, so a merge keeps the whole in time order
        # without waiting for the last message to be read.
        ordered = heapq.merge(inputs.items, mail, key=_in_time)
        return decide_in_order(ordered, inputs.orders, policy_for(context, policy), _payment_record(inputs.items))


def decision_line(d: Decision) -> str:
    return json.dumps(
        {"receipt": d.receipt_id, "decision": d.kind.value, "orders": list(d.orders), "reason": d.reason},
        ensure_ascii=False,
    )


def write_decisions(decisions: Iterable[Decision], out: Path) -> int:
    n = 0
    # A reason quotes what a message said; text no encoder accepts is written as escapes, never a crash.
    with out.open("w", encoding="utf-8", errors="backslashreplace") as fh:
        for d in decisions:
            fh.write(decision_line(d) + "\n")
            n += 1
    return n
