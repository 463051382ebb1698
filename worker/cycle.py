"""One cycle: every job once, in order. The daemon runs the same jobs on their own schedules."""

from __future__ import annotations

from worker.app import App
from worker.jobs import CYCLE_ORDER, registry
from worker.jobs.runner import Summary, run_job


def run_cycle(app: App, *, only: tuple[str, ...] = ()) -> dict[str, Summary | None]:
    jobs = registry()
    results: dict[str, Summary | None] = {}
    for name in CYCLE_ORDER:
        if name in jobs and (not only or name in only):
            results[name] = run_job(app, name, jobs[name])
    return results
