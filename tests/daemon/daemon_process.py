"""A real daemon process for tests: the production lock and scheduler (`run_exclusive`), with one job the test
controls. Usage: python -m tests.daemon.daemon_process DATA_DIR DATABASE_URL JOB_SECONDS
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from config.settings import load_settings
from worker.app import App, utc_now
from worker.logs import configure_logging
from worker.scheduler import run_exclusive
from worker.store.database import make_engine, upgrade


def main() -> int:
    data_dir, url, seconds = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    environ = {
        "RW_WORKER_DATA_DIR": str(data_dir),
        "RW_WORKER_DATABASE_URL": url,
        "RW_REPORT_MATCH_RECEIPTS_EVERY": "1",
    }
    settings = load_settings(None, environ, base_dir=data_dir)
    engine = make_engine(url)
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "job.log"

    def slow_job(app: App) -> dict[str, int]:
        """Writes when it starts and when it ends, so a cut-off run is visible."""
        with log.open("a") as f:
            f.write("started\n")
        time.sleep(seconds)
        with log.open("a") as f:
            f.write("finished\n")
        return {"slept": int(seconds)}

    def make_app() -> App:
        upgrade(engine)
        return App(
            settings=settings,
            engine=engine,
            clock=utc_now,
            accounting=None,  # type: ignore[arg-type]
            registrar=None,
            mailer=None,
            open_mailbox=None,
        )  # type: ignore[arg-type]

    configure_logging("json")
    return run_exclusive(settings, engine, make_app, {"match_receipts": slow_job})


if __name__ == "__main__":
    sys.exit(main())
