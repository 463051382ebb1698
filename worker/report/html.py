"""The report as one standalone HTML page: inline CSS, no scripts, images, fonts or links; every value escaped.

Pure. Long unbroken values (hostile subjects, commands) wrap instead of widening the page, so it reads on a phone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from worker.report.model import MorningReport
from worker.report.text import alert_text, local, margin_totals, money, one_line

STYLE = """
*{box-sizing:border-box}
body{margin:0;padding:16px;font:15px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;
color:#1d2430;background:#f4f5f7;overflow-wrap:anywhere;word-break:break-word}
main{max-width:880px;margin:0 auto}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:24px 0 8px;padding-bottom:4px;border-bottom:2px solid #d8dde5}
.meta{color:#5b6573;margin:0 0 12px}
.alert{background:#fde8e8;border:1px solid #e0a3a3;border-radius:6px;padding:8px 12px;margin:12px 0}
.item{background:#fff;border:1px solid #d8dde5;border-radius:6px;padding:10px 12px;margin:8px 0}
.item h3{font-size:15px;margin:0 0 6px}
.kind{display:inline-block;font-size:12px;background:#e9edf3;border-radius:4px;padding:0 6px;margin-right:6px}
dl{display:grid;grid-template-columns:minmax(0,9em) minmax(0,1fr);gap:2px 10px;margin:0}
dt{color:#5b6573}dd{margin:0;min-width:0}
code{display:block;font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#eef1f5;border-radius:4px;
padding:4px 6px;margin:2px 0;white-space:pre-wrap}
table{width:100%;border-collapse:collapse;table-layout:fixed;background:#fff}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e3e7ed;vertical-align:top}
th{font-size:13px;color:#5b6573}
.late,.failing{color:#a11d1d;font-weight:600}.ok{color:#1e6b35}
.none{color:#5b6573;font-style:italic}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _dl(rows: Iterable[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(one_line(v))}</dd>" for k, v in rows) + "</dl>"


def _commands(label: str, commands: Sequence[str]) -> str:
    if not commands:
        return ""
    codes = "".join(f"<code>{_e(c)}</code>" for c in commands)
    return f"<dl><dt>{_e(label)}</dt><dd>{codes}</dd></dl>"


def _section(title: str, count: int, body: str, empty: str) -> str:
    return f"<section><h2>{_e(title)} ({count})</h2>{body if count else f'<p class=none>{_e(empty)}</p>'}</section>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], classes: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = ""
    for i, row in enumerate(rows):
        css = f" class={classes[i]}" if i < len(classes) and classes[i] else ""
        body += f"<tr{css}>" + "".join(f"<td>{_e(one_line(c))}</td>" for c in row) + "</tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: MorningReport) -> str:
    tz = report.timezone
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>{_e(report.subject)}</title><style>{STYLE}</style></head><body><main>",
        "<h1>reseller-worker morning report</h1>",
        f"<p class=meta>{_e(local(report.generated_at, tz))} ({_e(tz)}); "
        f"covers what happened since {_e(local(report.since, tz))}.</p>",
    ]
    if report.alerts:
        items = "".join(f"<li><b>{_e(a.job)}</b>: {_e(one_line(alert_text(a, tz)))}</li>" for a in report.alerts)
        parts.append(f"<div class=alert><b>The worker itself needs attention</b><ul>{items}</ul></div>")

    decisions = ""
    for d in report.decisions:
        rows: list[tuple[str, str]] = [("Reason", d.reason)]
        rows += [(f"Evidence: {k}", v) for k, v in d.evidence]
        if d.candidates:
            rows.append(("Orders", ", ".join(d.candidates) + " (best first)"))
        if d.suggested_action:
            rows.append(("Suggested", d.suggested_action))
        decisions += (
            f"<div class=item><h3><span class=kind>{_e(d.kind.replace('_', ' '))}</span>#{d.review_id} "
            f"{_e(one_line(d.subject))}</h3>{_dl(rows)}{_commands('Apply', d.commands)}</div>"
        )
    parts.append(_section("Needs your decision", len(report.decisions), decisions, "Nothing waits for you."))

    failed = ""
    for f in report.failed:
        rows = [("Action", f"{f.kind} after {f.attempts} attempt(s), {local(f.failed_at, tz)}"), ("Error", f.error)]
        failed += f"<div class=item><h3>{_e(one_line(f.key))}</h3>{_dl(rows)}{_commands('When done', f.commands)}</div>"
    parts.append(_section("Failed actions", len(report.failed), failed, "None."))

    rejected = ""
    for r in report.rejected:
        rows = [("Reason", r.reason), *((f"Evidence: {k}", v) for k, v in r.evidence)]
        ref = f"#{r.review_id} " if r.review_id else ""
        rejected += (
            f"<div class=item><h3>{_e(ref)}{_e(one_line(r.subject))}</h3>{_dl(rows)}"
            f"{_commands('Confirm', r.commands)}</div>"
        )
    parts.append(_section("Rejected notices (possible fraud)", len(report.rejected), rejected, "None."))

    expiring = _table(
        ("Domain", "Expires", "Days left", "Customer"),
        ((e.domain, e.expires.isoformat(), str(e.days_left), e.customer) for e in report.expiring),
    )
    parts.append(
        _section(
            f"Domains expiring within {report.expiring_within_days} days without a paid renewal",
            len(report.expiring),
            expiring,
            "None.",
        )
    )

    done = _table(
        ("When", "What", "For", "Amount", "Upstream", "Margin"),
        (
            (local(a.done_at, tz), a.kind, a.subject, money(a.amount), money(a.upstream_cost), money(a.margin))
            for a in report.done
        ),
    )
    totals = margin_totals(report)
    if totals:
        done += f"<p>Margin over upstream prices: {_e(', '.join(str(m) for m in totals))}</p>"
    parts.append(_section("What the worker did", len(report.done), done, "Nothing since the last report."))

    states = ["late" if s.late else ("failing" if s.failing else "ok") for s in report.sources]
    sources = _table(
        ("State", "Job", "Last success", "Schedule", "Last error"),
        (
            (
                state.upper() if state != "ok" else "ok",
                s.job,
                local(s.last_success_at, tz),
                s.plan,
                s.last_error[:500] if s.failing else "",
            )
            for state, s in zip(states, report.sources, strict=True)
        ),
        states,
    )
    parts.append(_section("Health of each source", len(report.sources), sources, "No jobs are scheduled."))
    parts.append("</main></body></html>\n")
    return "".join(parts)
