"""Runs one dispatch of the outbox in its own process and, when told, SIGKILLs itself at a named boundary.

Environment: RW_CRASH_DB (database URL), RW_CRASH_SEARCH_PATH (PostgreSQL schema, optional), RW_CRASH_STATE (a
directory holding registrar.json and accounting.json, the remote side), RW_CRASH_AT (boundary name, empty for none),
RW_CRASH_NTH (crash at the n-th time that boundary is reached, default 1), RW_CRASH_LEASE_SECONDS (claim lease;
0 by default so a restart takes over the dead worker's rows at once). Prints the dispatch counts as JSON.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from config.settings import load_settings
from integrations.registrar.fake import FakeRegistrar
from tests.outbox.file_accounting import FileAccounting
from worker.app import App
from worker.jobs.dispatch import dispatch
from worker.outbox import OutboxPolicy
from worker.store.database import make_engine


def main() -> int:
    state = Path(os.environ["RW_CRASH_STATE"])
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

    def clock() -> datetime:
        return datetime.now(UTC)

    settings = load_settings(None, {"RW_WORKER_DATA_DIR": str(state)})
    app = App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=FileAccounting(state / "accounting.json"),
        registrar=FakeRegistrar(clock=clock, state_file=state / "registrar.json", exp_date_guard=False),
        mailer=None,
        open_mailbox=None,
    )
    lease = timedelta(seconds=float(os.environ.get("RW_CRASH_LEASE_SECONDS", "0")))
    counts = dispatch(app, policy=OutboxPolicy(lease=lease, batch=5), checkpoint=checkpoint)
    print(json.dumps(counts))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
