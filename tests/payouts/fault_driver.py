"""Runs the payout jobs (match_payouts, then the outbox) against a Xero sandbox in its own process and, when told,
SIGKILLs itself at a named boundary, as the outbox crash tests do.

Environment: RW_CRASH_DB (database URL), RW_CRASH_SEARCH_PATH (PostgreSQL schema, optional), RW_CRASH_STATE (the
worker's data directory), RW_CRASH_XERO (the sandbox's base URL), RW_CRASH_AT (boundary, empty for none),
RW_CRASH_NTH (crash at the n-th time it is reached, default 1). Prints the dispatch counts as JSON.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from integrations.xero.adapter import XeroAccounting
from integrations.xero.tokens import MemoryTokenStore, XeroTokens
from tests.payouts.conftest import gateway_settings, make_app
from tests.xero.sandbox_books import sandbox_settings
from worker.jobs.dispatch import dispatch
from worker.jobs.payouts import match_payouts
from worker.outbox import OutboxPolicy
from worker.store.database import make_engine


def main() -> int:
    crash_at = os.environ.get("RW_CRASH_AT", "")
    nth = int(os.environ.get("RW_CRASH_NTH", "1"))
    seen = {"n": 0}

    def checkpoint(name: str) -> None:
        if name == crash_at:
            seen["n"] += 1
            if seen["n"] == nth:
                os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no flush: like a power cut

    search_path = os.environ.get("RW_CRASH_SEARCH_PATH", "")
    extra = {"connect_args": {"options": f"-csearch_path={search_path}"}} if search_path else {}
    engine = make_engine(os.environ["RW_CRASH_DB"], **extra)
    xero = sandbox_settings(os.environ["RW_CRASH_XERO"])
    tokens = XeroTokens(settings=xero, store=MemoryTokenStore(), retry_attempts=2, retry_seconds=5)
    accounting = XeroAccounting(xero, tokens=tokens, retry_initial_wait=0.05, space_polls=False)
    app = make_app(engine, gateway_settings(Path(os.environ["RW_CRASH_STATE"])), lambda: datetime.now(UTC), accounting)
    match_payouts(app)
    counts = dispatch(app, policy=OutboxPolicy(lease=timedelta(0), batch=5), checkpoint=checkpoint)
    print(json.dumps(counts))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
