"""The report as plain text: the e-mail's text part and what `reseller-worker report` prints. Pure.

Prose wraps at a word boundary; a command is never wrapped (it must paste as it is); details take one indented
line; tables leave out empty columns and wrap their longest column rather than run wide.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from rules.words import day_words
from worker.report.model import Alert, Item, MorningReport, Section, Table, job_words

WIDTH = 100  # prose
TABLE_WIDTH = 110  # a table row wraps its longest cell only beyond this
INDENT = "  "


def local(value: datetime | None, zone: str) -> str:
    if value is None:
        return "never"
    moment = value.astimezone(ZoneInfo(zone))
    return f"{moment:%a} {day_words(moment.date())} {moment.year} {moment:%H:%M}"


def one_line(value: str) -> str:
    """Free text from outside (payer names, errors) on one line, so it cannot fake a report line."""
    return " ".join(str(value).split())


def alert_text(alert: Alert, zone: str) -> str:
    parts = []
    if alert.late:
        parts.append(f"late, last success {local(alert.last_success_at, zone)}")
    if alert.failing:
        parts.append(f"failing since {local(alert.last_failure_at, zone)}: {alert.error}")
    return "; ".join(parts) or alert.error  # neither late nor failing: a condition in words (the mailbox sign-in)


def wrap(text: str, indent: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        one_line(text),
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def item_lines(item: Item) -> list[str]:
    label = f"{item.label}: " if item.label else ""
    lead = f"{INDENT}* {label}"
    out = wrap(item.headline, lead, INDENT + "  ")
    for line in item.lines:
        out += wrap(line, INDENT + "  ")
    out += [f"{INDENT}  $ {command}" for command in item.commands]
    if item.details:
        out.append(f"{INDENT}  details: " + " | ".join(f"{k}: {one_line(v)}" for k, v in item.details))
    return out


def table_lines(table: Table) -> list[str]:
    shown = table.shown
    header = [table.columns[i] for i in shown]
    rows = [[one_line(row.cells[i]) if i < len(row.cells) else "" for i in shown] for row in table.rows]
    widths = [max(len(c) for c in [h, *(r[k] for r in rows)]) for k, h in enumerate(header)]
    numeric = {k for k, i in enumerate(shown) if i in table.numeric}
    budget = TABLE_WIDTH - len(INDENT) - 2 * (len(widths) - 1)
    while sum(widths) > budget:
        widest = max((k for k in range(len(widths)) if k not in numeric), key=lambda k: widths[k], default=None)
        if widest is None or widths[widest] <= 14:
            break
        widths[widest] -= 1

    def lines_of(cells: list[str]) -> list[str]:
        wrapped = [
            textwrap.wrap(c, width=widths[k], break_long_words=False, break_on_hyphens=False) or [""]
            for k, c in enumerate(cells)
        ]
        height = max(len(w) for w in wrapped)
        out = []
        for n in range(height):
            parts = []
            for k, w in enumerate(wrapped):
                text = w[n] if n < len(w) else ""
                parts.append(text.rjust(widths[k]) if k in numeric else text.ljust(widths[k]))
            out.append((INDENT + "  ".join(parts)).rstrip())
        return out

    out = lines_of(header)
    for row, cells in zip(table.rows, rows, strict=True):
        out += lines_of(cells)
        if row.command:
            out.append(f"{INDENT}  $ {row.command}")
    return out


def section_lines(number: int, section: Section) -> list[str]:
    title = f"{number}. {section.title.upper()}"
    if not section.items and section.table is None and not section.notes and not section.commands:
        # Nothing to list: one line (its sentence, or "none").
        return ["", f"{title}: {section.intro or section.empty or 'none.'}"]
    heading = f"{title} ({section.count}) "
    out = ["", heading + "-" * max(4, 78 - len(heading))]
    if section.intro:
        out += wrap(section.intro, INDENT)
    for item in section.items:
        out += item_lines(item)
    if section.table is not None:
        out += table_lines(section.table)
    for note in section.notes:
        out += wrap(note, INDENT)
    out += [f"{INDENT}  $ {command}" for command in section.commands]
    if not section.items and section.table is None and not section.intro and section.empty:
        out.append(f"{INDENT}{section.empty}")
    return out


def render_text(report: MorningReport) -> str:
    tz = report.timezone
    out = [
        f"reseller-worker morning report, {local(report.generated_at, tz)} ({tz})",
        f"Since the last report, {local(report.since, tz)}. Every command below runs as printed, from any directory.",
    ]
    if report.commands_note:
        out += wrap(report.commands_note, "")
    if report.alerts:
        out += ["", "!! THE WORKER ITSELF NEEDS ATTENTION"]
        for alert in report.alerts:
            out += wrap(f"{job_words(alert.job)}: {alert_text(alert, tz)}", INDENT, INDENT + "  ")
    out += ["", "IN TEN SECONDS"]
    width = max((len(f.label) for f in report.summary), default=0)
    for figure in report.summary:
        mark = "!" if figure.tone == "alarm" else " "
        out.append(f"{mark} {figure.label:<{width}}  {one_line(figure.value)}")
    for number, section in enumerate(report.sections, start=1):
        out += section_lines(number, section)
    return "\n".join(line.rstrip() for line in out) + "\n"
