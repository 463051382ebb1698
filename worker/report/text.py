"""The report as plain text: the e-mail's text part and what `reseller-worker report` prints. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from rules.money import Money
from worker.report.model import Alert, MorningReport

WIDTH = 78


def local(value: datetime | None, zone: str) -> str:
    if value is None:
        return "never"
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def money(value: Money | None) -> str:
    return str(value) if value is not None else "-"


def one_line(value: str) -> str:
    """Free text from outside (payer names, errors) on one line, so it cannot fake a report line."""
    return " ".join(value.split())


def alert_text(alert: Alert, zone: str) -> str:
    parts = []
    if alert.late:
        parts.append(f"late, last success {local(alert.last_success_at, zone)}")
    if alert.failing:
        parts.append(f"failing since {local(alert.last_failure_at, zone)}: {alert.error}")
    return "; ".join(parts) or alert.error  # neither late nor failing: a condition in words (the mailbox sign-in)


def _field(label: str, value: str, indent: int = 6) -> list[str]:
    pad = " " * indent
    head = f"{pad}{label:<10} "
    return [head + one_line(value)]


def _evidence(pairs: Iterable[tuple[str, str]], indent: int = 6) -> list[str]:
    lines = []
    for i, (key, value) in enumerate(pairs):
        label = "Evidence:" if i == 0 else ""
        lines.append(f"{' ' * indent}{label:<10} {one_line(key)}: {one_line(value)}")
    return lines


def _heading(number: int, title: str, count: int) -> list[str]:
    return ["", f"{number}. {title} ({count})", "-" * WIDTH]


def render_text(report: MorningReport) -> str:
    tz = report.timezone
    out = [
        f"reseller-worker morning report, {local(report.generated_at, tz)} ({tz})",
        f"Covers what happened since {local(report.since, tz)}.",
    ]
    if report.alerts:
        out += ["", "!! THE WORKER ITSELF NEEDS ATTENTION", "=" * WIDTH]
        out += [f"  {a.job}: {one_line(alert_text(a, tz))}" for a in report.alerts]

    out += _heading(1, "NEEDS YOUR DECISION", len(report.decisions))
    for d in report.decisions:
        out.append(
            f"  #{d.review_id}  {d.kind.replace('_', ' ')}  {one_line(d.subject)}  (raised {local(d.raised_at, tz)})"
        )
        out += _field("Reason:", d.reason)
        out += _evidence(d.evidence)
        if d.candidates:
            out += _field("Orders:", ", ".join(d.candidates) + " (best first)")
        if d.suggested_action:
            out += _field("Suggested:", d.suggested_action)
        for i, command in enumerate(d.commands):
            out += _field("Apply:" if i == 0 else "Or:", command)
        out.append("")
    if not report.decisions:
        out.append("  Nothing waits for you.")

    out += _heading(2, "FAILED ACTIONS", len(report.failed))
    for f in report.failed:
        out.append(f"  {one_line(f.key)}  {f.kind}  after {f.attempts} attempt(s), {local(f.failed_at, tz)}")
        out += _field("Error:", f.error or "-")
        for i, command in enumerate(f.commands):
            out += _field("When done:" if i == 0 else "Or:", command)
    if not report.failed:
        out.append("  None.")

    out += _heading(3, "REJECTED NOTICES (POSSIBLE FRAUD)", len(report.rejected))
    for r in report.rejected:
        ref = f"#{r.review_id}  " if r.review_id else ""
        out.append(f"  {ref}{one_line(r.subject)}  ({local(r.raised_at, tz)})")
        out += _field("Reason:", r.reason)
        out += _evidence(r.evidence)
        for i, command in enumerate(r.commands):
            out += _field("Confirm:" if i == 0 else "Or:", command)
    if not report.rejected:
        out.append("  None.")

    out += _heading(
        4, f"DOMAINS EXPIRING WITHIN {report.expiring_within_days} DAYS WITHOUT A PAID RENEWAL", len(report.expiring)
    )
    for e in report.expiring:
        out.append(f"  {e.domain:<32} expires {e.expires.isoformat()} ({e.days_left} days)  {one_line(e.customer)}")
    if not report.expiring:
        out.append("  None.")

    out += _heading(5, "WHAT THE WORKER DID", len(report.done))
    for a in report.done:
        margin = a.margin
        extra = f"  upstream {money(a.upstream_cost)}  margin {money(margin)}" if a.upstream_cost else ""
        out.append(f"  {local(a.done_at, tz)}  {a.kind:<26} {one_line(a.subject):<28} {money(a.amount)}{extra}")
    if not report.done:
        out.append("  Nothing since the last report.")
    totals = margin_totals(report)
    if totals:
        out.append(f"  Margin over upstream prices: {', '.join(str(m) for m in totals)}")

    out += _heading(6, "HEALTH OF EACH SOURCE", len(report.sources))
    for s in report.sources:
        word = "LATE" if s.late else ("FAILING" if s.failing else "ok")
        out.append(f"  {word:<8} {s.job:<16} last success {local(s.last_success_at, tz)}  ({s.plan})")
        if s.failing and s.last_error:
            out += _field("Error:", s.last_error[:500], indent=11)
    if not report.sources:
        out.append("  No jobs are scheduled.")
    return "\n".join(line.rstrip() for line in out) + "\n"


def margin_totals(report: MorningReport) -> list[Money]:
    """Margin over upstream prices per currency (the renderers share it)."""
    totals: dict[str, Money] = {}
    for action in report.done:
        margin = action.margin
        if margin is not None:
            totals[margin.currency] = totals[margin.currency] + margin if margin.currency in totals else margin
    return [totals[c] for c in sorted(totals)]
