"""Run by test_imap in a subprocess: one inbox pass that stops dead (waits to be SIGKILLed) before its first move.

Usage: python -m tests.inbox.crash_child DB_URL PORT USER MARKER_FILE
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path

from config.settings import load_settings
from integrations.mailbox import ImapMailbox
from tests.inbox.conftest import make_app
from tests.inbox.dovecot import PASSWORD
from tests.inbox.standin import read_standin
from worker.jobs.inbox import process_inbox
from worker.store.database import make_engine


class HangsBeforeMove(ImapMailbox):
    """Says it reached the boundary, then hangs until the parent kills the process."""

    def __init__(self, marker: Path, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.marker = marker

    def move(self, uids: Iterable[int], folder: str) -> None:
        self.marker.write_text("stored, not moved")
        time.sleep(60)
        raise SystemExit("not killed")


def main() -> None:
    db_url, port, user, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    settings = load_settings(None, {"RW_WORKER_DATA_DIR": str(marker.parent / "var")}, base_dir=marker.parent)
    box = HangsBeforeMove(
        marker, host="127.0.0.1", port=port, username=user, security="none", password=PASSWORD, timeout_seconds=10
    )
    process_inbox(make_app(make_engine(db_url), settings, lambda: box), box, read=read_standin)


if __name__ == "__main__":
    main()
