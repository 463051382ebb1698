"""The morning report: gathered from the database, rendered as text (golden file) and as standalone HTML."""

from __future__ import annotations

import dataclasses
import os
from datetime import date, time, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from config.settings import load_settings
from integrations.mailer import FakeMailer
from tests.conftest import IN_CI
from tests.report.seed import (
    NOW,
    add_domain,
    add_job_run,
    add_order,
    add_outbox,
    add_receipt,
    add_registrar_cost,
    add_review,
)
from worker.health import read_job_states
from worker.report.gather import gather_done, gather_report
from worker.report.html import render_html
from worker.report.model import MorningReport
from worker.report.sending import build_report, last_sent, send
from worker.report.text import render_text
from worker.timetable import JobPlan

GOLDEN = Path(__file__).parent / "golden"
# Settings as a deployment reads them from its file, so the printed commands are the same on every machine.
SETTINGS = dataclasses.replace(load_settings(None, {}), source="/etc/reseller-worker/worker.toml")
PREFIX = "reseller-worker --config /etc/reseller-worker/worker.toml"
PLANS = (
    JobPlan(name="sync_xero", every=timedelta(minutes=5)),
    JobPlan(name="match_receipts", every=timedelta(minutes=1)),
    JobPlan(name="send_report", at=time(7, 0), run_at_start=False),
)
HOSTILE = '<script>alert("x")</script><img src=http://evil.example/x.png onerror=steal()>'


class TagCollector(HTMLParser):
    """Every start tag and its attributes, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


def seed_morning(conn: Connection) -> bool:
    """A morning with something in every section; returns whether the outbox area's tables exist."""
    earlier = NOW - timedelta(hours=10)
    add_order(conn, "ORD-1", domain="kiwi-cafe.nz", amount="45.00", name="Kiwi Cafe")
    add_order(conn, "ORD-2", domain="kiwi-cafe.co.nz", amount="45.00", name="Kiwi Cafe")
    add_order(
        conn, "ORD-3", kind="domain_renewal", domain="paid-up.nz", status="paid", name="Paid Up Ltd", contact_id="C-3"
    )
    add_receipt(conn, "bank:line-1", payer_name="KIWI CAFE LTD")
    add_review(
        conn,
        "ambiguous",
        "bank:line-1",
        "45.00 NZD fits two open invoices of Kiwi Cafe",
        candidates=("ORD-1", "ORD-2"),
        detail={"payer": "KIWI CAFE LTD", "reference": "website"},
        suggested="Check which domain the customer paid for",
        now=earlier,
    )
    add_receipt(conn, "bank:line-2", amount="99.00", payer_name="J & K SMITH")
    add_review(
        conn,
        "unmatched",
        "bank:line-2",
        "no open invoice for 99.00 NZD",
        detail={"payer": "J & K SMITH"},
        suggested="Find the customer and link the payer",
    )
    add_outbox(
        conn,
        "register:broken.nz:ORD-9",
        "register_domain",
        {"domain": "broken.nz", "order_id": "ORD-9"},
        status="failed",
        attempts=5,
        last_error="registrar said: domain not available",
    )
    add_review(
        conn,
        "failed_action",
        "register:broken.nz:ORD-9",
        "registration failed after 5 attempts",
        suggested="Register broken.nz by hand",
    )
    add_review(
        conn,
        "rejected_notice",
        "msg-forged@example",
        "DKIM signature does not verify for paypal.com",
        detail={"from": "service@paypal.com", "amount": "450.00 NZD"},
    )
    add_outbox(
        conn,
        "register:kiwi-cafe.nz:ORD-7",
        "register_domain",
        {"domain": "kiwi-cafe.nz", "order_id": "ORD-1"},
        status="done",
        now=earlier,
    )
    add_outbox(
        conn,
        "payment:inv-ORD-1:bank:line-0",
        "record_payment",
        {"order_id": "ORD-1", "invoice_id": "inv-ORD-1", "amount": "45.00", "currency": "NZD"},
        status="done",
        now=earlier,
    )
    add_outbox(
        conn,
        "payment:old",
        "record_payment",
        {"amount": "10.00", "currency": "NZD"},
        status="done",
        now=NOW - timedelta(days=3),
    )
    has_outbox_tables = add_registrar_cost(
        conn, "register:kiwi-cafe.nz:ORD-7", domain="kiwi-cafe.nz", cost="21.50", currency="NZD", now=earlier
    )
    add_domain(conn, "soon.nz", expires=date(2026, 12, 10))
    add_domain(conn, "paid-up.nz", expires=date(2026, 12, 5), contact_id="C-3")
    add_domain(conn, "later.nz", expires=date(2027, 6, 1))
    add_job_run(
        conn,
        "sync_xero",
        success=NOW - timedelta(hours=2),
        failure=NOW - timedelta(minutes=3),
        error="TransientError: Xero 503",
    )
    add_job_run(conn, "match_receipts", success=NOW - timedelta(seconds=30))
    add_job_run(conn, "send_report", success=NOW - timedelta(days=1))
    return has_outbox_tables


def morning_report(engine: Engine) -> MorningReport:
    with engine.begin() as conn:
        seed_morning(conn)
    with engine.connect() as conn:
        states = read_job_states(
            conn, PLANS, now=NOW, daemon_since=NOW - timedelta(days=2), late_factor=3, grace=timedelta(minutes=5)
        )
        return gather_report(
            conn,
            now=NOW,
            since=NOW - timedelta(days=1),
            timezone="Pacific/Auckland",
            states=states,
            expiring_within_days=30,
            today=date(2026, 11, 26),
            settings=SETTINGS,
        )


def test_text_report_matches_golden_file(engine: Engine) -> None:
    """The plain-text report of a full morning is exactly the reviewed golden file (UPDATE_GOLDEN=1 rewrites)."""
    text = render_text(morning_report(engine))
    path = GOLDEN / "morning.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        if IN_CI:
            pytest.fail("UPDATE_GOLDEN is refused under CI: a golden file is rewritten by hand and its diff reviewed")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_sections_come_most_urgent_first(sqlite_engine: Engine) -> None:
    """Health alerts lead, then decisions, failures, rejected notices, expiring domains, work done, health."""
    text = render_text(morning_report(sqlite_engine))
    order = [
        "THE WORKER ITSELF NEEDS ATTENTION",
        "1. NEEDS YOUR DECISION (2)",
        "2. FAILED ACTIONS (1)",
        "3. REJECTED NOTICES",
        "4. DOMAINS EXPIRING",
        "5. WHAT THE WORKER DID (2)",
        "6. HEALTH OF EACH SOURCE (3)",
    ]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)


def test_report_content_is_what_the_database_holds(sqlite_engine: Engine) -> None:
    """Each section reflects the seeded rows: commands, margin, expiring domains without a paid renewal."""
    report = morning_report(sqlite_engine)
    assert [a.job for a in report.alerts] == ["sync_xero"]
    ambiguous = report.decisions[0]
    assert ambiguous.commands[:2] == (
        f"{PREFIX} review approve {ambiguous.review_id} --orders ORD-1",
        f"{PREFIX} review approve {ambiguous.review_id} --orders ORD-2",
    )
    assert ambiguous.commands[-1] == f"{PREFIX} review ignore {ambiguous.review_id}"
    assert [f.key for f in report.failed] == ["register:broken.nz:ORD-9"]
    assert report.failed[0].commands == (
        f"{PREFIX} orders retry register:broken.nz:ORD-9",
        f"{PREFIX} review done {report.failed[0].commands[1].rsplit(' ', 1)[-1]}",
    )
    assert [r.subject for r in report.rejected] == ["msg-forged@example"]
    assert [d.kind for d in report.done] == ["payment recorded", "registration"]  # the 3-day-old one is not new
    registration = report.done[0]
    if registration.upstream_cost is not None:  # the outbox area's tables are migrated
        assert str(registration.margin) == "23.50 NZD"
        assert [e.domain for e in report.expiring] == ["soon.nz"]  # paid-up.nz has a paid renewal


def test_html_escapes_hostile_input_and_loads_nothing(sqlite_engine: Engine) -> None:
    """Payer names, reasons and subjects full of markup come out as text; the page references no resource."""
    with sqlite_engine.begin() as conn:
        add_receipt(conn, "bank:evil", payer_name=HOSTILE)
        add_review(
            conn,
            "unmatched",
            f"bank:evil{HOSTILE}",
            f"reason {HOSTILE}",
            detail={HOSTILE: HOSTILE},
            candidates=(f"ORD-{HOSTILE}",),
            suggested=HOSTILE,
        )
    report = morning_report(sqlite_engine)
    page = render_html(report)
    tags = TagCollector()
    tags.feed(page)
    assert {"script", "img", "link", "iframe", "object", "a"}.isdisjoint(t for t, _ in tags.seen)
    assert all(name not in {"src", "href", "onerror", "onload"} for _, attrs in tags.seen for name, _ in attrs)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "@import" not in page and "url(" not in page


def test_text_report_keeps_hostile_newlines_on_one_line(sqlite_engine: Engine) -> None:
    """A payer name with line breaks cannot forge a line (a fake command) in the text report."""
    with sqlite_engine.begin() as conn:
        add_review(conn, "unmatched", "bank:x", "reason\n  Apply:     reseller-worker review approve 1 --orders X")
    text = render_text(morning_report(sqlite_engine))
    assert "\n  Apply:     reseller-worker review approve 1 --orders X" not in text


def test_empty_database_gives_a_calm_report(settings, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """With nothing to show, every section says so; with no daemon running, every job is late and says so."""
    report = build_report(settings, sqlite_engine, NOW)
    text = render_text(report)
    assert "Nothing waits for you." in text
    assert report.decisions == () and report.failed == () and report.expiring == ()
    assert report.alerts and all(a.late and a.last_success_at is None for a in report.alerts)
    assert report.subject == f"reseller-worker 2026-11-26: {len(report.alerts)} to look at"
    calm = dataclasses.replace(report, alerts=())
    assert calm.subject == "reseller-worker 2026-11-26: nothing needs you"


def test_send_mails_both_parts_and_moves_the_boundary(settings, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """Sending e-mails text and HTML to the configured recipients and records when, for the next 'since'."""
    from dataclasses import replace

    settings = replace(settings, report=replace(settings.report, to=("owner@example.nz",)))
    with engine.begin() as conn:
        seed_morning(conn)
    mailer = FakeMailer()
    report = build_report(settings, engine, NOW)
    assert send(mailer, settings, engine, report)
    (mail,) = mailer.sent
    assert mail.to == ("owner@example.nz",)
    assert "NEEDS YOUR DECISION" in mail.text and "<h2>Needs your decision (2)</h2>" in mail.html
    with engine.connect() as conn:
        assert last_sent(conn) == NOW
    later = build_report(settings, engine, NOW + timedelta(hours=1))
    assert later.since == NOW
    assert later.done == ()  # nothing happened since the last report


def test_send_without_recipients_sends_nothing(settings, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """No recipient configured: nothing is sent and the boundary stays where it was."""
    mailer = FakeMailer()
    assert not send(mailer, settings, sqlite_engine, build_report(settings, sqlite_engine, NOW))
    assert mailer.sent == []
    with sqlite_engine.connect() as conn:
        assert last_sent(conn) is None


def test_hosting_started_is_news_and_history_notes_are_not(sqlite_engine: Engine) -> None:
    """A started repeating invoice shows with its rate; a History note on an invoice is left out."""
    with sqlite_engine.begin() as conn:
        add_outbox(
            conn,
            "hosting:setup:ORD-5",
            "start_hosting",
            {"domain": "shop.nz", "plan": "business"},
            status="done",
            result={"rate": "25.00", "currency": "NZD", "repeating_invoice_id": "ri-1"},
        )
        add_outbox(conn, "note:inv-1:registered", "history_note", {"invoice_id": "inv-1"}, status="done")
    with sqlite_engine.connect() as conn:
        done = gather_done(conn, NOW - timedelta(days=1))
    assert [(a.kind, a.subject, str(a.amount)) for a in done] == [("repeating invoice started", "shop.nz", "25.00 NZD")]


def test_send_report_job_mails_keeps_html_and_records_its_run(settings, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The daily job through run_job: one mail, the HTML kept under data_dir/reports, a recorded success."""
    from tests.daemon.conftest import make_app
    from worker.jobs.runner import run_job
    from worker.report.sending import send_report

    settings = dataclasses.replace(settings, report=dataclasses.replace(settings.report, to=("owner@example.nz",)))
    with sqlite_engine.begin() as conn:
        seed_morning(conn)
    app = make_app(settings, sqlite_engine, clock=lambda: NOW)
    summary = run_job(app, "send_report", send_report)
    assert summary is not None and summary["sent"] == 1 and summary["decisions"] == 2
    html = Path(str(summary["html"]))
    assert html.parent == settings.worker.data_dir / "reports" and html.read_text().startswith("<!DOCTYPE html>")
    assert len(app.mailer.sent) == 1  # type: ignore[union-attr]


def test_send_report_job_failure_is_recorded_and_boundary_kept(settings, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """An SMTP outage fails the run (logged, retried tomorrow); 'since the last report' does not move."""
    from integrations.errors import TransientError
    from tests.daemon.conftest import make_app
    from worker.jobs.runner import run_job
    from worker.report.sending import send_report

    settings = dataclasses.replace(settings, report=dataclasses.replace(settings.report, to=("owner@example.nz",)))
    app = make_app(settings, sqlite_engine, clock=lambda: NOW)
    app.mailer.fail_with.append(TransientError("smtp down", system="smtp"))  # type: ignore[union-attr]
    assert run_job(app, "send_report", send_report) is None
    with sqlite_engine.connect() as conn:
        assert last_sent(conn) is None
