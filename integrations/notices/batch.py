"""Reading many notices at once (a replay, a backlog): the same read_notice, spread over forked processes when
there are enough messages and CPUs for it to pay off. Results come back in input order, as a stream, so the
caller can decide the first messages while the workers still read the later ones."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from multiprocessing.pool import Pool
from types import TracebackType

from integrations.notices.formats import builtin_formats
from integrations.notices.reading import read_notice
from integrations.notices.trust import SenderTrust
from rules.model import NoticeReading
from rules.notice_text import NoticeFormats

# Below this many messages a pool costs more than it saves.
MIN_MESSAGES_PER_WORKER = 150
# Messages handed to a worker at a time: small enough that the first readings arrive early and in order, large
# enough that passing them back is a small part of the cost.
CHUNK = 24

# Set in the parent just before forking, so workers inherit the inputs instead of receiving them pickled (the
# DKIM key lookup is a closure, which cannot be pickled anyway).
_JOB: tuple[Sequence[bytes], SenderTrust, NoticeFormats] | None = None


def _read_one(index: int) -> NoticeReading:
    assert _JOB is not None
    raws, trust, formats = _JOB
    return read_notice(raws[index], trust, formats)


def worker_count(messages: int, workers: int | None = None) -> int:
    """How many processes to read `messages` with: one per available CPU (or `workers`), none idle."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(workers if workers is not None else available, max(1, messages // MIN_MESSAGES_PER_WORKER))


class NoticeStream:
    """read_notice for each message, in input order. Forked workers start reading as soon as the stream is made;
    iterating waits only for the next reading. Use it as a context manager (or call close) to stop the workers.
    Like read_notice, never raises for a bad message."""

    def __init__(
        self,
        raws: Sequence[bytes],
        trust: SenderTrust,
        formats: NoticeFormats | None = None,
        *,
        workers: int | None = None,
    ) -> None:
        global _JOB
        self._raws = raws
        self._trust = trust
        self._formats = formats if formats is not None else builtin_formats()
        self._pool: Pool | None = None
        self._results: Iterator[NoticeReading]
        count = worker_count(len(raws), workers)
        # One pool at a time: a second stream while one is open reads in this process.
        if count <= 1 or _JOB is not None or "fork" not in multiprocessing.get_all_start_methods():
            self._results = (read_notice(raw, trust, self._formats) for raw in raws)
            return
        _JOB = (raws, trust, self._formats)
        try:
            self._pool = multiprocessing.get_context("fork").Pool(count)
        except BaseException:
            _JOB = None
            raise
        self._results = self._pool.imap(_read_one, range(len(raws)), chunksize=CHUNK)

    def __iter__(self) -> NoticeStream:
        return self

    def __next__(self) -> NoticeReading:
        return next(self._results)

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


def read_notices(
    raws: Sequence[bytes],
    trust: SenderTrust,
    formats: NoticeFormats | None = None,
    *,
    workers: int | None = None,
) -> list[NoticeReading]:
    """read_notice for each message, in order. `workers` None means one per available CPU; 1 means in-process.
    Like read_notice, never raises for a bad message."""
    with NoticeStream(raws, trust, formats, workers=workers) as stream:
        return list(stream)
