"""Every job the daemon may schedule: the shared registry plus the morning report.

Kept above the timetable, health and the report's sending, so each of those only looks down.
"""

from __future__ import annotations

from worker.jobs.runner import Job


def daemon_jobs() -> dict[str, Job]:
    """Name -> job function; imported on call, so importing this module builds nothing."""
    from worker.jobs import registry
    from worker.report.sending import send_report

    jobs = dict(registry())
    jobs.setdefault("send_report", send_report)
    return jobs
