"""Reading many notices at once (a replay, a backlog): the same read_notice, spread over forked processes when
there are enough messages and CPUs for it to pay off. Results come back in input order."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence

from integrations.notices.formats import builtin_formats
from integrations.notices.reading import read_notice
from integrations.notices.trust import SenderTrust
from rules.model import NoticeReading
from rules.notice_text import NoticeFormats

# Below this many messages a pool costs more than it saves.
MIN_MESSAGES_PER_WORKER = 150

# Set in the parent just before forking, so workers inherit the inputs instead of receiving them pickled (the
# DKIM key lookup is a closure, which cannot be pickled anyway).
_JOB: tuple[Sequence[bytes], SenderTrust, NoticeFormats] | None = None


def _read_one(index: int) -> NoticeReading:
    assert _JOB is not None
    raws, trust, formats = _JOB
    return read_notice(raws[index], trust, formats)


def read_notices(
    raws: Sequence[bytes],
    trust: SenderTrust,
    formats: NoticeFormats | None = None,
    *,
    workers: int | None = None,
) -> list[NoticeReading]:
    """read_notice for each message, in order. `workers` None means one per available CPU; 1 means in-process.
    Like read_notice, never raises for a bad message."""
    global _JOB
    formats = formats if formats is not None else builtin_formats()
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    count = min(workers if workers is not None else available, max(1, len(raws) // MIN_MESSAGES_PER_WORKER))
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [read_notice(raw, trust, formats) for raw in raws]
    _JOB = (raws, trust, formats)
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            return pool.map(_read_one, range(len(raws)), chunksize=max(1, len(raws) // (count * 8)))
    finally:
        _JOB = None
