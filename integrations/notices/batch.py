"""Reading many notices at once (a replay, a backlog): the same read_notice, spread over forked processes when
there are enough messages and CPUs for it to pay off. Results come back in input order, as a stream, so the
caller can decide the first messages while the workers still read the later ones."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from multiprocessing.pool import Pool
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from integrations.notices.headers import date_hint
from integrations.notices.trust import SenderTrust
from rules.model import NoticeReading

if TYPE_CHECKING:
    from rules.notice_text import NoticeFormats

# Below this many messages a pool costs more than it saves.
MIN_MESSAGES_PER_WORKER = 150
# Messages handed to a worker at a time: small enough that the first readings arrive early and in order, large
# enough that passing them back is a small part of the cost.
CHUNK = 64
DATE_CHUNK = 200

Message = bytes | Path  # a raw message, or the file to read it from

# Set in the parent just before forking, so workers inherit the inputs instead of receiving them pickled (the
# DKIM key lookup is a closure, which cannot be pickled anyway).
_JOB: tuple[Sequence[Message], SenderTrust, NoticeFormats | None] | None = None


def _raw(message: Message) -> bytes:
    return message if isinstance(message, bytes) else message.read_bytes()


def _date_of(message: Message) -> datetime | None:
    try:
        return date_hint(_raw(message))
    except OSError:  # the reading will say so
        return None


def _read(message: Message, trust: SenderTrust, formats: NoticeFormats | None) -> NoticeReading | OSError:
    """read_notice, or the OSError of a file that cannot be read (returned, not raised: a pool's chunk of
    results would be lost with it)."""
    # Imported here, in the reading process: the process that only hands out messages never loads the DKIM and
    # MIME libraries.
    from integrations.notices.reading import read_notice

    try:
        raw = _raw(message)
    except OSError as exc:
        return exc
    return read_notice(raw, trust, formats)


def _date_one(index: int) -> datetime | None:
    assert _JOB is not None
    return _date_of(_JOB[0][index])


def _read_one(index: int) -> NoticeReading | OSError:
    assert _JOB is not None
    messages, trust, formats = _JOB
    return _read(messages[index], trust, formats)


def worker_count(messages: int, workers: int | None = None) -> int:
    """How many processes to read `messages` with: one per available CPU (or `workers`), none idle."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(workers if workers is not None else available, max(1, messages // MIN_MESSAGES_PER_WORKER))


class NoticeStream:
    """read_notice for each message, handed back in input order, or with `by_date` in the order of the messages'
    Date headers (`order` and `dates` say which). Forked workers start at once, reading files themselves when
    given paths; iterating waits only for the next reading. Use it as a context manager (or call close) to stop
    the workers. Like read_notice, never raises for a bad message; a file that cannot be read raises OSError
    when its turn comes, and iterating can go on past it."""

    def __init__(
        self,
        messages: Sequence[Message],
        trust: SenderTrust,
        formats: NoticeFormats | None = None,
        *,
        workers: int | None = None,
        by_date: bool = False,
    ) -> None:
        global _JOB
        self._pool: Pool | None = None
        self._results: Iterator[NoticeReading | OSError]
        self.dates: list[datetime | None] = []  # per message, with `by_date`: its Date header, if readable
        self.order: list[int] = list(range(len(messages)))  # the message each reading is for, in turn
        count = worker_count(len(messages), workers)
        # One pool at a time: a second stream while one is open reads in this process.
        if count <= 1 or _JOB is not None or "fork" not in multiprocessing.get_all_start_methods():
            if by_date:
                self.dates = [_date_of(m) for m in messages]
                self.order = in_date_order(self.dates)
            self._results = (_read(messages[i], trust, formats) for i in self.order)
            return
        # Without `formats`, each worker compiles the built-in set itself, after the fork, in parallel.
        _JOB = (messages, trust, formats)
        try:
            self._pool = multiprocessing.get_context("fork").Pool(count)
            if by_date:
                # Dates are read by the workers too, so that reading starts before the order is known.
                self.dates = self._pool.map(_date_one, range(len(messages)), chunksize=DATE_CHUNK)
                self.order = in_date_order(self.dates)
        except BaseException:
            self.close()
            _JOB = None
            raise
        self._results = self._pool.imap(_read_one, self.order, chunksize=CHUNK)

    def __iter__(self) -> NoticeStream:
        return self

    def __next__(self) -> NoticeReading:
        reading = next(self._results)
        if isinstance(reading, OSError):
            raise reading
        return reading

    def close(self) -> None:
        global _JOB
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
            _JOB = None

    def __enter__(self) -> NoticeStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


# A message without a usable date counts from the start of time: it sorts first and is never lost.
NO_DATE = datetime(1970, 1, 1, tzinfo=UTC)


def in_date_order(dates: Sequence[datetime | None]) -> list[int]:
    """Indexes by date (a missing one as NO_DATE), ties in input order."""
    return sorted(range(len(dates)), key=lambda i: dates[i] or NO_DATE)


def read_notices(
    raws: Sequence[Message],
    trust: SenderTrust,
    formats: NoticeFormats | None = None,
    *,
    workers: int | None = None,
) -> list[NoticeReading]:
    """read_notice for each message, in order. `workers` None means one per available CPU; 1 means in-process.
    Like read_notice, never raises for a bad message."""
    with NoticeStream(raws, trust, formats, workers=workers) as stream:
        return list(stream)
