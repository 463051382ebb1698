"""The report as one standalone HTML page: inline CSS, no scripts, images or fonts; every value escaped. Pure.

Readable from 320 to 1280 px: prose wraps between words and never inside one (only a token longer than the whole
line, such as a hostile subject, may break); commands and ids scroll inside their own box; on a narrow screen each
table row becomes a card with its column names; a column that is empty on every row is left out. Invoice numbers
link to the invoice in Xero.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from worker.report.model import Figure, Item, Link, MorningReport, Section, Table, job_words
from worker.report.text import alert_text, local, one_line

STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;padding:12px;font:15px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1d2430;
background:#f4f5f7;overflow-wrap:break-word;word-break:normal;hyphens:manual}
main{max-width:960px;margin:0 auto}
h1{font-size:20px;margin:0 0 2px}
h2{font-size:17px;margin:22px 0 8px;padding-bottom:4px;border-bottom:2px solid #d8dde5}
.count{display:inline-block;min-width:1.6em;padding:0 6px;margin-left:4px;border-radius:10px;background:#e3e7ed;
font-size:13px;text-align:center}
.meta,.intro,.note{color:#4d5664;margin:0 0 10px}
a{color:#0b57a4}
.alert{background:#fde8e8;border:1px solid #e0a3a3;border-radius:6px;padding:8px 12px;margin:12px 0}
.alert ul{margin:4px 0 0;padding-left:20px}
.figures{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));
gap:6px}
.figures li{background:#fff;border:1px solid #d8dde5;border-left:4px solid #b8c0cc;border-radius:6px;padding:6px 10px}
.figures a{color:inherit;text-decoration:none;display:block}
.figures .label{display:block;font-size:13px;color:#4d5664}
.tone-alarm{border-left-color:#c0392b!important}.tone-attention{border-left-color:#d68910!important}
.tone-good{border-left-color:#1e8449!important}
.item{background:#fff;border:1px solid #d8dde5;border-radius:6px;padding:10px 12px;margin:8px 0}
.item.tone-alarm{border-left:4px solid #c0392b}.item.tone-attention{border-left:4px solid #d68910}
.headline{margin:0 0 6px}
.tag{display:inline-block;font-size:12px;background:#e9edf3;border-radius:4px;padding:0 6px;margin-right:6px}
.tone-alarm .tag{background:#fbd3d0}
.item p{margin:0 0 6px}
pre{margin:4px 0;background:#eef1f5;border-radius:4px;padding:5px 8px;overflow-x:auto;max-width:100%}
code{font:13px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre}
pre code{white-space:pre-wrap;overflow-wrap:normal}
pre code span{white-space:nowrap}
details{margin-top:4px;color:#4d5664;font-size:13px}
details div{overflow-x:auto;white-space:nowrap;padding:1px 0}
details b{font-weight:600;margin-right:6px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d8dde5;border-radius:6px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e7ed;vertical-align:top}
th{font-size:13px;color:#4d5664;font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap}
tr.cmd td{border-bottom:2px solid #d8dde5;padding-top:0}
tr.cmd pre{width:0;min-width:100%}
tr.tone-alarm td:first-child{color:#a11d1d;font-weight:600}
@media (max-width:640px){
 body{padding:8px}
 table,thead,tbody{display:block;width:100%}
 table{border:0;background:none}
 thead{display:none}
 tr{display:flex;flex-wrap:wrap;gap:0 14px;background:#fff;border:1px solid #d8dde5;border-radius:6px;margin:6px 0;
 padding:4px 10px}
 tr.cmd{display:block;margin-top:-7px;border-top:0;border-radius:0 0 6px 6px;padding:0 10px 4px}
 td{display:block;border:0;padding:1px 0}
 td:first-child{flex-basis:100%;font-weight:600}
 td:empty{display:none}
 td.num{text-align:left}
 td[data-label]:not(:first-child)::before{content:attr(data-label) ": ";color:#4d5664;font-size:13px}
 tr.cmd td{padding:0;border:0}
}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def linked(text: str, links: Sequence[Link]) -> str:
    """`text` escaped, with each link's text (an invoice number standing alone) made a link."""
    text = one_line(text)
    wanted = {link.text: link.url for link in links if link.text}
    if not wanted:
        return _e(text)
    alternatives = "|".join(re.escape(t) for t in sorted(wanted, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(_e(text[last : m.start()]))
        out.append(f'<a href="{_e(wanted[m.group(0)])}" rel="noopener noreferrer">{_e(m.group(0))}</a>')
        last = m.end()
    out.append(_e(text[last:]))
    return "".join(out)


def _command(command: str) -> str:
    """A command in its own box: lines break only between its words (never inside a path or an option), and a
    word wider than the box scrolls; copying it gives the command as printed."""
    words = " ".join(f"<span>{_e(word)}</span>" for word in command.split(" "))
    return f"<pre><code>{words}</code></pre>"


def _tone(tone: str) -> str:
    return f" tone-{tone}" if tone else ""


def _figure(f: Figure) -> str:
    body = f"<span class=label>{_e(f.label)}</span><span class=value>{_e(one_line(f.value))}</span>"
    if f.section:
        body = f'<a href="#{_e(f.section)}">{body}</a>'
    return f'<li class="{_tone(f.tone).strip()}">{body}</li>'


def _item(item: Item) -> str:
    tag = f"<span class=tag>{_e(item.label)}</span>" if item.label else ""
    parts = [f'<article class="item{_tone(item.tone)}"><p class=headline>{tag}{linked(item.headline, item.links)}</p>']
    parts += [f"<p>{linked(line, item.links)}</p>" for line in item.lines]
    parts += [_command(command) for command in item.commands]
    if item.details:
        rows = "".join(f"<div><b>{_e(k)}</b><code>{_e(one_line(v))}</code></div>" for k, v in item.details)
        parts.append(f"<details><summary>Details</summary>{rows}</details>")
    parts.append("</article>")
    return "".join(parts)


def _table(table: Table) -> str:
    shown = table.shown
    head = "".join(
        f"<th{' class=num' if i in table.numeric else ''} scope=col>{_e(table.columns[i])}</th>" for i in shown
    )
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td data-label="{_e(table.columns[i])}"{" class=num" if i in table.numeric else ""}>'
            f"{linked(row.cells[i] if i < len(row.cells) else '', row.links)}</td>"
            for i in shown
        )
        body.append(f'<tr class="{_tone(row.tone).strip()}">{cells}</tr>')
        if row.command:
            body.append(f"<tr class=cmd><td colspan={len(shown)}>{_command(row.command)}</td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(section: Section) -> str:
    parts = [
        f'<section id="{_e(section.key)}" class="report-section{_tone(section.tone)}">'
        f"<h2>{_e(section.title)}<span class=count>{section.count}</span></h2>"
    ]
    if section.intro:
        parts.append(f"<p class=intro>{_e(section.intro)}</p>")
    parts += [_item(item) for item in section.items]
    if section.table is not None:
        parts.append(_table(section.table))
    parts += [f"<p class=note>{_e(note)}</p>" for note in section.notes]
    parts += [_command(command) for command in section.commands]
    if not section.items and section.table is None and not section.intro and section.empty:
        parts.append(f"<p class=note>{_e(section.empty)}</p>")
    parts.append("</section>")
    return "".join(parts)


def render_html(report: MorningReport) -> str:
    tz = report.timezone
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>{_e(report.subject)}</title><style>{STYLE}</style></head><body><main>",
        "<h1>Morning report</h1>",
        f"<p class=meta>{_e(local(report.generated_at, tz))} ({_e(tz)}); since the last report, "
        f"{_e(local(report.since, tz))}.</p>",
    ]
    if report.alerts:
        items = "".join(
            f"<li><b>{_e(job_words(a.job))}</b>: {_e(one_line(alert_text(a, tz)))}</li>" for a in report.alerts
        )
        parts.append(f"<div class=alert role=alert><b>The worker itself needs attention</b><ul>{items}</ul></div>")
    note = "Every command runs as printed, from any directory."
    if report.commands_note:
        note += " " + report.commands_note
    parts.append(
        "<section class=summary><h2>In ten seconds</h2><ul class=figures>"
        + "".join(_figure(f) for f in report.summary)
        + f"</ul><p class=note>{_e(note)}</p></section>"
    )
    parts += [_section(section) for section in report.sections]
    parts.append("</main></body></html>\n")
    return "".join(parts)
