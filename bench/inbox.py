"""Inbox speed against a private Dovecot on loopback, with the real notice reader and an SQLite file.

Prints `notice_to_decision_seconds=<s>`: median over a few notices of APPEND -> IDLE wake (watch_inbox) ->
read_notice -> receipt stored -> match_receipts -> decision row stored (the matching job is run as soon as the
receipt is stored, as the daemon does after a poll). Also `notice_to_receipt_seconds=<s>` (without matching).
Prints `messages_per_second=<n>`: a 1,000-message backlog read, stored and filed by one process_inbox pass.

Notices come from the scale5k corpus when present (RW_BENCH_CORPUS, default /work/shared/corpus/scale5k),
otherwise from the test fixtures, made distinct by Message-ID (those then fail DKIM and are read as forgeries).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog
from sqlalchemy import func, select

from config.settings import load_settings
from integrations.notices import read_notice, trust_from_context
from rules.model import NoticeReading
from tests.inbox.conftest import make_app
from tests.inbox.dovecot import deliver, dovecot_available, start_dovecot
from worker.jobs.inbox import process_inbox, watch_inbox
from worker.store.database import make_engine, upgrade
from worker.store.inbox_tables import inbox_messages
from worker.store.tables import decisions, receipts

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "inbox" / "fixtures"
BACKLOG = 1_000
LATENCY_SAMPLES = 5


def corpus() -> tuple[dict[str, object], list[bytes], str]:
    base = Path(os.environ.get("RW_BENCH_CORPUS", "/work/shared/corpus/scale5k"))
    if (base / "context.json").exists() and (base / "mail").is_dir():
        mails = [p.read_bytes() for p in sorted((base / "mail").glob("*.eml"))]
        return json.loads((base / "context.json").read_text()), mails, str(base)
    seeds = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    mails = [
        re.sub(rb"(?im)^Message-ID:[^\r\n]*", f"Message-ID: <bench-{n}@bench.local>".encode(), seeds[n % len(seeds)])
        for n in range(BACKLOG + LATENCY_SAMPLES)
    ]
    return json.loads((FIXTURES / "context.json").read_text()), mails, str(FIXTURES)


def main() -> int:
    if not dovecot_available():
        print("dovecot not installed (apt-get install dovecot-imapd)", file=sys.stderr)
        return 1
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # errors only: timing, not logs
    context, mails, source = corpus()
    trust = trust_from_context(context)

    def read(raw: bytes) -> NoticeReading:
        return read_notice(raw, trust)

    genuine = [m for m in mails if read(m).receipt is not None]
    work = Path(tempfile.mkdtemp(prefix="rw-bench-inbox-"))
    settings = load_settings(None, {"RW_WORKER_DATA_DIR": str(work / "var")}, base_dir=work)
    server = start_dovecot()
    try:
        from worker.jobs.match import match_receipts

        # ---- latency: APPEND -> decision, with watch_inbox idling on its own connection --------------------------
        engine = make_engine(f"sqlite:///{work / 'latency.db'}")
        upgrade(engine)
        user = server.new_user()
        app = make_app(engine, settings, lambda: server.mailbox(user))
        stop = threading.Event()
        watcher = threading.Thread(
            target=lambda: watch_inbox(app, seconds=600, stop=stop.is_set, read=read), daemon=True
        )
        watcher.start()
        time.sleep(0.5)  # let it connect and enter IDLE
        admin = server.client(user)
        to_receipt: list[float] = []
        to_decision: list[float] = []
        for raw in genuine[:LATENCY_SAMPLES]:
            with engine.connect() as conn:
                before = conn.execute(select(func.count()).select_from(receipts)).scalar_one()
            started = time.monotonic()
            admin.append("INBOX", raw)
            while True:
                with engine.connect() as conn:
                    if conn.execute(select(func.count()).select_from(receipts)).scalar_one() > before:
                        break
                if time.monotonic() - started > 60:
                    raise RuntimeError("no receipt within 60 s")
                time.sleep(0.01)
            to_receipt.append(time.monotonic() - started)
            match_receipts(app)
            with engine.connect() as conn:
                assert conn.execute(select(func.count()).select_from(decisions)).scalar_one() > before
            to_decision.append(time.monotonic() - started)
        stop.set()
        watcher.join(timeout=40)

        # ---- throughput: a 1,000-message backlog in one pass ------------------------------------------------------
        engine2 = make_engine(f"sqlite:///{work / 'backlog.db'}")
        upgrade(engine2)
        user2 = server.new_user()
        backlog = mails[LATENCY_SAMPLES : LATENCY_SAMPLES + BACKLOG]
        deliver(server.client(user2), "INBOX", backlog)
        box = server.mailbox(user2)
        app2 = make_app(engine2, settings, lambda: box)
        started = time.monotonic()
        counts = process_inbox(app2, box, read=read)
        elapsed = time.monotonic() - started
        box.close()
        with engine2.connect() as conn:
            recorded = conn.execute(select(func.count()).select_from(inbox_messages)).scalar_one()
        assert recorded == len(backlog) == counts["moved"], (recorded, counts)
    finally:
        server.stop()
    print(
        f"# notices from {source}; backlog outcomes: "
        + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()) if k != "moved")
    )
    print(f"notice_to_receipt_seconds={statistics.median(to_receipt):.2f}")
    print(f"notice_to_decision_seconds={statistics.median(to_decision):.2f}")
    print(f"messages_per_second={len(backlog) / elapsed:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
