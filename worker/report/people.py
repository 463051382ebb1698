"""What people decided since the last report (from the audit log: who, when, on the review page or at the command
line, and what it did), and links from the report to the review page where `[web] base_url` says it is.

The links only open pages: every action there asks to confirm, so a link followed by a mail scanner does nothing.
"""

from __future__ import annotations

from dataclasses import replace

from worker import audit
from worker.report.inputs import Built, ReportInputs
from worker.report.model import Figure, Item, Link, Section
from worker.report.sections import plural, when_words

VERBS = {
    "approve": "approved",
    "ignore": "ignored",
    "reject": "rejected",
    "link": "linked the payer of",
    "done": "recorded as done at the registrar",
    "retry": "retried",
    "payout": "settled the payout",
}


def people(inputs: ReportInputs) -> Built:
    entries = audit.since(inputs.conn, inputs.since)
    done = [e for e in entries if e.ok]
    refused = len(entries) - len(done)
    base = inputs.settings.web.base_url
    items = []
    for e in done:
        what = f"#{e.review_id}" if e.review_id is not None else e.subject
        where = "review page" if e.via == "web" else "command line"
        links = (Link(text=f"{base}/history/{e.id}", url=f"{base}/history/{e.id}"),) if base and e.via == "web" else ()
        items.append(
            Item(
                label=where,
                headline=f"{e.actor} {VERBS.get(e.action, e.action)} {what}, {when_words(e.at, inputs)}.",
                lines=(e.message, *((links[0].text,) if links else ())),
                links=links,
            )
        )
    notes = (
        (f"{plural(refused, 'attempt')} refused (nothing was changed); the History page lists them.",)
        if refused
        else ()
    )
    section = Section(
        key="people",
        title="Decided by people",
        count=len(items),
        intro="Who decided what since the last report, and what it did." if items else "",
        items=tuple(items),
        notes=notes,
        empty="",  # nobody decided anything: the report leaves the section out
    )
    figures = (
        (Figure(label="Decided by people", value=plural(len(items), "decision"), rank=85, section="people"),)
        if items
        else ()
    )
    return section, figures


def with_page_links(sections: tuple[Section, ...], base_url: str) -> tuple[Section, ...]:
    """Each decision opens its page on the review page; to-dos and failed actions open theirs."""
    if not base_url:
        return sections
    out = []
    for section in sections:
        if section.key in ("decisions", "fraud"):
            items = []
            for item in section.items:
                number = item.label[1:] if item.label.startswith("#") and item.label[1:].isdigit() else ""
                if number:
                    url = f"{base_url}/decisions/{number}"
                    item = replace(
                        item,
                        lines=(*item.lines, f"Decide on the review page: {url}"),
                        links=(*item.links, Link(text=url, url=url)),
                    )
                items.append(item)
            section = replace(section, items=tuple(items))
        elif section.key in ("registrar", "failed", "part_paid") and section.count:
            page = {"registrar": "todos", "failed": "failed", "part_paid": "decisions"}[section.key]
            section = replace(section, notes=(*section.notes, f"On the review page: {base_url}/{page}"))
        out.append(section)
    return tuple(out)
