"""Reads everything the morning report shows from the database into a `MorningReport` value.

Each section is built by one function of `ReportInputs` returning the section and the summary figures it
contributes; `SECTIONS` lists them in the order the report shows them. A new area (payouts, month-end) adds its
builder to `SECTIONS`; nothing else changes. Tables owned by other areas are read by reflection and only when
present, so the report works on any migration level.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from config.settings import Settings
from worker.invocation import environment_note
from worker.report import month_end_sections, sections
from worker.report.inputs import Builder, ReportInputs
from worker.report.model import Alert, MorningReport
from worker.report.payouts import payouts
from worker.report.people import people, with_page_links
from worker.review_list import review_entries

# The report's sections in the order it shows them. A new area adds its builder here (and its figures say where
# they go in the summary by their rank).
SECTIONS: tuple[Builder, ...] = (
    sections.fraud,
    sections.failed,
    month_end_sections.registrar_funds,
    sections.decisions,
    sections.registrar,
    month_end_sections.first_payments,
    sections.part_paid,
    payouts,
    sections.expiring,
    sections.done,
    month_end_sections.provider_bill,
    people,
    sections.health,
)

if TYPE_CHECKING:
    from worker.health import JobState  # typing only: health reads the job table, the report only its states


def gather_report(
    conn: Connection,
    *,
    now: datetime,
    since: datetime,
    timezone: str,
    states: Sequence[JobState],
    expiring_within_days: int,
    today: date,
    settings: Settings,
) -> MorningReport:
    """Everything the report shows, read in one connection."""
    inputs = ReportInputs(
        conn=conn,
        settings=settings,
        now=now,
        since=since,
        today=today,
        states=states,
        entries=review_entries(conn, settings),
        expiring_within_days=expiring_within_days,
    )
    built = [builder(inputs) for builder in SECTIONS]
    figures = sorted((f for _, fs in built for f in fs), key=lambda f: f.rank)
    alerts = tuple(
        Alert(
            job=s.name,
            late=s.late,
            failing=s.failing,
            last_success_at=s.last_success_at,
            last_failure_at=s.last_failure_at,
            error=s.last_error if s.failing else "",
        )
        for s in states
        if s.late or s.failing
    )
    return MorningReport(
        generated_at=now,
        since=since,
        timezone=timezone,
        alerts=alerts,
        summary=tuple(figures),
        # A section with nothing to show and no sentence for it (an area that is not set up) is left out.
        sections=with_page_links(
            tuple(section for section, _ in built if section.count or section.empty or section.intro),
            settings.web.base_url,
        ),
        expiring=sections.expiring_domains(inputs),
        expiring_within_days=expiring_within_days,
        done=sections.done_lines(inputs),
        sources=sections.sources(inputs),
        commands_note=environment_note(settings),
    )
