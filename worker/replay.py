"""Replay: the daemon's decision path over a corpus on disk (context, orders, bank lines, Xero payments, mail),
in time order, with no network and no side effects. Also lets a reseller dry-run the worker on an export.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.model import Decision, DecisionKind, NoticeReading, Order, Receipt, ReceiptSource
from rules.policy import apply, decide, decide_reading
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


def reading_time(reading: NoticeReading) -> datetime:
    """A message counts from its Date; one without a usable Date sorts first, never lost."""
    return reading.received_at or (reading.receipt.received_at if reading.receipt else None) or _epoch()


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


def mail_items(paths: Iterable[Path], read: NoticeReader) -> Iterator[Item]:
    for path in paths:
        raw = path.read_bytes()
        try:
            reading = read(raw)
        except Exception as exc:  # a reader bug must cost one review item, never the whole replay
            log.exception("notice_reader_failed", file=path.name)
            yield Item(
                key=path.name,
                at=_epoch(),
                rank=SOURCE_RANK[ReceiptSource.NOTICE],
                problem=f"message {path.name} could not be read ({type(exc).__name__})",
            )
            continue
        yield Item(
            key=reading.message_id, at=reading_time(reading), rank=SOURCE_RANK[ReceiptSource.NOTICE], reading=reading
        )


BatchReader = Callable[[Sequence[bytes]], list[NoticeReading]]


def batch_reader_for(context: Mapping[str, Any]) -> BatchReader:
    """`integrations.notices.read_notices` (every message once, spread over the CPUs) bound to the corpus's
    trust settings: DKIM keys from context.json, no network."""
    from integrations.notices import read_notices, trust_from_context

    trust = trust_from_context(context)

    def read(raws: Sequence[bytes]) -> list[NoticeReading]:
        return list(read_notices(raws, trust))

    return read


def batch_mail_items(paths: Sequence[Path], read: BatchReader) -> Iterator[Item]:
    """Items for every message, read in one batch; should the batch fail, message by message instead."""
    raws = [path.read_bytes() for path in paths]
    try:
        readings = read(raws)
    except Exception:  # fall back to one at a time, where a failure costs only its own message
        log.exception("notice_batch_failed", messages=len(raws))
        single = notice_reader_for_batch(read)
        yield from mail_items(paths, single)
        return
    for reading in readings:
        yield Item(
            key=reading.message_id, at=reading_time(reading), rank=SOURCE_RANK[ReceiptSource.NOTICE], reading=reading
        )


def notice_reader_for_batch(read: BatchReader) -> NoticeReader:
    return lambda raw: read([raw])[0]


def load_corpus(directory: Path, *, read: NoticeReader | None = None) -> Corpus:
    """Read every input of a corpus once; labels.json is never read."""
    context = _load_json(directory / "context.json")
    corpus = Corpus(context=context, orders=[])
    for data in _load_json(directory / "orders.json"):
        try:
            corpus.orders.append(order_from_dict(data))
        except SourceError as exc:
            corpus.problems.append(f"order skipped: {exc}")
    bank = directory / "bank" / "statements.json"
    if bank.exists():
        corpus.items.extend(bank_items(_load_json(bank)))
    payments = directory / "xero" / "payments.json"
    if payments.exists():
        corpus.items.extend(payment_items(_load_json(payments)))
    mail = sorted((directory / "mail").glob("*.eml")) if (directory / "mail").is_dir() else []
    if read is not None:
        corpus.items.extend(mail_items(mail, read))
    elif mail:
        corpus.items.extend(batch_mail_items(mail, batch_reader_for(context)))
    return corpus


def decide_items(items: list[Item], orders: Iterable[Order], policy: MatchPolicy) -> list[Decision]:
    """Take every item in time order through the same decision code the daemon runs."""
    ordered = sorted(items, key=lambda i: (i.at, i.rank))
    # Orders join the book on the day they were issued: the daemon never saw an invoice before it existed.
    # A day of slack covers New Zealand's date running ahead of UTC.
    upcoming = sorted(orders, key=lambda o: o.issued, reverse=True)
    book = OrderBook((), patterns=policy.patterns)
    record = PaymentRecord(
        i.receipt for i in items if i.receipt is not None and i.receipt.source is ReceiptSource.XERO_PAYMENT
    )
    out: list[Decision] = []
    for item in ordered:
        while upcoming and upcoming[-1].issued <= item.at.date() + ISSUE_SLACK:
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
            decision = decide_reading(item.reading, book, record, policy)
            if item.reading.receipt is not None:
                apply(book, replace(item.reading.receipt, receipt_id=item.key), decision)
        else:
            assert item.receipt is not None
            decision = decide(item.receipt, book, record, policy)
            apply(book, item.receipt, decision)
        out.append(decision)
    return out


def replay(directory: Path, *, policy: MatchPolicy | None = None, read: NoticeReader | None = None) -> list[Decision]:
    corpus = load_corpus(directory, read=read)
    for problem in corpus.problems:
        log.warning("replay_input_skipped", problem=problem)
    return decide_items(corpus.items, corpus.orders, policy_for(corpus.context, policy))


def decision_line(d: Decision) -> str:
    return json.dumps(
        {"receipt": d.receipt_id, "decision": d.kind.value, "orders": list(d.orders), "reason": d.reason},
        ensure_ascii=False,
    )


def write_decisions(decisions: Iterable[Decision], out: Path) -> int:
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for d in decisions:
            fh.write(decision_line(d) + "\n")
            n += 1
    return n
