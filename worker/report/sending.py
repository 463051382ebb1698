"""Builds the morning report for an App, writes its HTML file, and the `send_report` job that e-mails it.

The time of the last sent report is the `report_last_sent` watermark: "what the worker did since the last
report" starts there (a day back when no report was ever sent).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from config.settings import Settings
from integrations.mailsignin.providers import sign_in_problem
from integrations.ports import Mailer, OutgoingMail
from worker.bills import mark_reported
from worker.data_dir import private_dir, private_file
from worker.health import read_job_states
from worker.report.gather import gather_report
from worker.report.html import render_html
from worker.report.model import Alert, MorningReport
from worker.report.text import render_text
from worker.single_instance import current_holder
from worker.store.tables import watermarks
from worker.timetable import DAEMON_JOBS, plan_jobs

if TYPE_CHECKING:
    from worker.app import App

LAST_SENT = "report_last_sent"
log = structlog.get_logger(__name__)


def last_sent(conn: Connection) -> datetime | None:
    row = conn.execute(select(watermarks.c.value).where(watermarks.c.name == LAST_SENT)).first()
    if row is None:
        return None
    try:
        return datetime.fromisoformat(row.value)
    except ValueError:
        return None


def record_sent(conn: Connection, when: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(watermarks)
        .values(name=LAST_SENT, value=when.isoformat(), updated_at=when)
        .on_conflict_do_update(index_elements=["name"], set_={"value": when.isoformat(), "updated_at": when})
    )


def build_report(settings: Settings, engine: Engine, now: datetime) -> MorningReport:
    """Read the database (and who runs the daemon) into the report value."""
    schedule = settings.report.schedule
    plans = plan_jobs(settings, DAEMON_JOBS)
    holder = current_holder(engine, settings.worker.data_dir)
    with engine.connect() as conn:
        states = read_job_states(
            conn,
            plans,
            now=now,
            daemon_since=holder.since if holder else None,
            late_factor=schedule.late_factor,
            grace=timedelta(seconds=schedule.misfire_grace_seconds),
        )
        report = gather_report(
            conn,
            now=now,
            since=last_sent(conn) or now - timedelta(days=1),
            timezone=settings.worker.timezone,
            states=states,
            expiring_within_days=settings.report.expiring_within_days,
            today=now.astimezone(settings.worker.zone).date(),
            settings=settings,
        )
    return with_sign_in_alert(report, sign_in_problem(settings.inbox, settings.worker.data_dir, now))


def with_sign_in_alert(report: MorningReport, problem: str) -> MorningReport:
    """The mailbox's sign-in, when it needs a person, first and in one sentence; a job that fails only for that
    reason is not listed again."""
    if not problem:
        return report
    alert = Alert(job="payments mailbox", late=False, failing=False, last_success_at=None, last_failure_at=None,
                  error=problem)  # fmt: skip
    others = tuple(a for a in report.alerts if not (a.failing and not a.late and problem in a.error))
    return dataclasses.replace(report, alerts=(alert, *others))


def write_html(report: MorningReport, path: Path) -> Path:
    if not path.parent.exists():
        private_dir(path.parent)
    path.write_text(render_html(report), encoding="utf-8")
    return private_file(path)  # customers' names and payments


def default_html_path(settings: Settings, report: MorningReport) -> Path:
    stamp = report.generated_at.astimezone(settings.worker.zone).strftime("%Y-%m-%d-%H%M")
    return settings.worker.data_dir / "reports" / f"report-{stamp}.html"


def send(mailer: Mailer | None, settings: Settings, engine: Engine, report: MorningReport) -> bool:
    """E-mail the report (HTML with a plain-text alternative) and move the boundary; False when no mailer or no
    recipient is configured."""
    if mailer is None or not settings.report.to:
        return False
    mailer.send(
        OutgoingMail(to=settings.report.to, subject=report.subject, text=render_text(report), html=render_html(report))
    )
    with engine.begin() as conn:
        record_sent(conn, report.generated_at)
        # The provider's bills this report showed are not shown again (month-end keeps them).
        mark_reported(conn, imported_before=report.generated_at, now=report.generated_at)
    return True


def send_report(app: App) -> dict[str, int | str]:
    """The daily job: build, keep the HTML under data_dir/reports/, and e-mail it."""
    report = build_report(app.settings, app.engine, app.clock())
    path = write_html(report, default_html_path(app.settings, report))
    sent = send(app.mailer, app.settings, app.engine, report)
    if not sent:
        log.warning("report_not_sent", reason="no mailer or no recipients configured", html=str(path))
    counts = {section.key: section.count for section in report.sections}
    return {"sent": int(sent), **counts, "alerts": len(report.alerts), "html": str(path)}
