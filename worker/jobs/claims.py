"""Keeping a live worker's outbox claims: while its handlers run, a heartbeat thread renews the lease on every row
the claim still holds, so the lease can be short and a dead worker's rows are taken over soon after it died."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import structlog

from worker.outbox import renew_claims

if TYPE_CHECKING:
    from worker.app import App

log = structlog.get_logger(__name__)


class ClaimHeartbeat:
    """`with ClaimHeartbeat(app, token, every=...):` renews the claim `token` every `every` until the block ends.

    A renewal that fails (the database busy or briefly unreachable) is logged and tried again at the next beat;
    only a worker that stops beating altogether loses its rows, which is what the lease is for."""

    def __init__(self, app: App, token: str, *, every: timedelta) -> None:
        self.app = app
        self.token = token
        self.every = every.total_seconds()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.beats = 0

    def __enter__(self) -> ClaimHeartbeat:
        if self.every > 0:
            self._thread = threading.Thread(target=self._beat, name="outbox-claim-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                renew_claims(self.app.engine, token=self.token, now=self.app.clock())
                self.beats += 1
            except Exception:  # the next beat tries again; a missed one or two is what the lease allows for
                log.warning("outbox_claim_renewal_failed", exc_info=True)
