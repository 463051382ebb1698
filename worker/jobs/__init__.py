"""The jobs, by name, in the order one cycle runs them: gather, decide, apply, then housekeeping."""

from __future__ import annotations

from worker.jobs.runner import Job

CYCLE_ORDER: tuple[str, ...] = (
    "sync_xero",
    "poll_inbox",
    "match_receipts",
    "dispatch_outbox",
    "raise_renewals",
)


def registry() -> dict[str, Job]:
    """Name -> job function; imported lazily so nothing is built at import time."""
    jobs: dict[str, Job] = {}
    return jobs
