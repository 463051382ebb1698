"""The morning report: gathered from the database, rendered as text (golden file) and as standalone HTML."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from config.settings import load_settings
from integrations.mailer import FakeMailer
from tests.conftest import IN_CI
from tests.report.seed import (
    NOW,
    add_decision,
    add_domain,
    add_job_run,
    add_order,
    add_outbox,
    add_receipt,
    add_registrar_cost,
    add_review,
    add_to_do,
)
from worker.health import read_job_states
from worker.report.gather import gather_report
from worker.report.html import render_html
from worker.report.model import MorningReport
from worker.report.sending import build_report, last_sent, send
from worker.report.text import render_text
from worker.store.review_tables import part_payments
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
    # Received since the last report: one matched, one approved by hand.
    add_receipt(conn, "bank:line-0", amount="45.00", payer_name="KIWI CAFE LTD", now=earlier)
    add_decision(conn, "bank:line-0", ["ORD-1"], strategy="invoice_reference", now=earlier)
    add_receipt(conn, "bank:line-3", amount="35.00", payer_name="PAID UP LTD", now=earlier)
    add_decision(conn, "bank:line-3", ["ORD-3"], strategy="reviewer_approval", now=earlier)
    # Oliver paid 27.00 of 35.00 on 1 Nov, Auckland time (31 Oct in UTC): the rest is owed, the renewal waits.
    add_order(
        conn,
        "INV-0703",
        kind="domain_renewal",
        domain="olivercafe.nz",
        amount="35.00",
        name="Oliver Faleolo",
        contact_id="C-7",
        status="part_paid",
    )
    conn.execute(
        part_payments.insert().values(
            order_id="INV-0703",
            invoice_id="inv-INV-0703",
            receipt_id="bank:line-27",
            amount="27.00",
            currency="NZD",
            review_id=None,
            created_at=earlier,
        )
    )
    add_receipt(
        conn, "bank:line-8", amount="8.50", payer_name="OLIVER FALEOLO", now=datetime(2026, 10, 31, 12, tzinfo=UTC)
    )
    add_review(conn, "overpaid", "bank:line-8", "paid 8.50 but INV-0703 is owed 8.00", candidates=("INV-0703",))
    # A paid renewal waiting at the manual registrar, from an expiry the worker does not know.
    add_to_do(conn, "ORD-3", domain="paid-up.nz", pre_expiry=None, now=earlier)
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
    """The plain-text report of a full morning is exactly the reviewed golden file (UPDATE_GOLDEN=1 rewrites it
    on a developer's machine, never under CI, where it would make the test pass whatever the output)."""
    text = render_text(morning_report(engine))
    path = GOLDEN / "morning.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        if IN_CI:
            pytest.fail("UPDATE_GOLDEN is refused under CI: a golden file is rewritten by hand and its diff reviewed")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_sections_come_in_the_issues_order_after_the_summary(sqlite_engine: Engine) -> None:
    """Alerts, the ten-second summary, then fraud, failures, decisions, the registrar, part-paid, expiring, what
    was done, health."""
    text = render_text(morning_report(sqlite_engine))
    order = [
        "!! THE WORKER ITSELF NEEDS ATTENTION",
        "IN TEN SECONDS",
        "1. POSSIBLE FRAUD (1)",
        "2. FAILED ACTIONS (1)",
        "3. NEEDS YOUR DECISION (3)",
        "4. TO DO AT THE REGISTRAR (1)",
        "5. PART-PAID ORDERS (1)",
        "6. DOMAINS EXPIRING (1)",
        "7. WHAT THE WORKER DID",
        "8. HEALTH (1)",
    ]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)


def test_the_summary_reads_in_ten_seconds(sqlite_engine: Engine) -> None:
    """Money received (automatically and by hand), waiting, registrar to-dos with their upstream cost, failures,
    fraud, expiring domains and margin, one line each, in that order."""
    report = morning_report(sqlite_engine)
    assert [(f.label, f.value) for f in report.summary] == [
        ("Received", "2 payments, NZ$80.00 (1 matched automatically, 1 approved by hand)"),
        ("Waiting for you", "3 decisions about NZ$152.50"),
        ("At the registrar", "1 domain to do by hand, NZ$21.50 upstream"),
        ("Failed actions", "1 action gave up, see below"),
        ("Possible fraud", "1 notice rejected, nothing paid on them"),
        ("Part-paid", "1 order, NZ$8.00 still owed"),
        ("Domains expiring", "1 domain within 30 days, no renewal paid"),
        ("Margin earned", "NZ$47.00 on 2 domains"),
    ]


def test_a_decision_is_one_sentence_in_the_resellers_time_zone(sqlite_engine: Engine) -> None:
    """Who paid what, how and when (1 Nov in Auckland, 31 Oct in UTC), and what the worker makes of it now; ids and
    internal words go to the details, one indented line in text and a <details> part in HTML."""
    report = morning_report(sqlite_engine)
    decisions = report.section("decisions")
    assert decisions is not None
    oliver = next(i for i in decisions.items if "Oliver" in i.headline)
    assert oliver.headline == (
        "Oliver Faleolo paid NZ$8.50 by bank transfer on 1 Nov with reference website; INV-0703 (renewal of "
        "olivercafe.nz) is owed NZ$8.00, NZ$0.50 over."
    )
    assert oliver.commands[0] == f"{PREFIX} review approve {oliver.label[1:]} --orders INV-0703 --overpaid"
    assert ("receipt", "bank:line-8") in oliver.details
    text = render_text(report)
    [details] = [line for line in text.splitlines() if "receipt: bank:line-8" in line]
    assert details.startswith("    details: item: #") and "why: paid 8.50 but INV-0703 is owed 8.00" in details
    page = render_html(report)
    assert "<details><summary>Details</summary><div><b>item</b>" in page
    assert "bank:line-8" not in page.split("<details>")[0]  # ids never in the headline


def test_report_content_is_what_the_database_holds(sqlite_engine: Engine) -> None:
    """Each section reflects the seeded rows, with commands runnable as printed."""
    report = morning_report(sqlite_engine)
    assert [a.job for a in report.alerts] == ["sync_xero"]
    decisions = report.section("decisions")
    assert decisions is not None
    ambiguous = decisions.items[0]
    number = ambiguous.label[1:]
    assert ambiguous.commands == (
        f"{PREFIX} review approve {number} --orders ORD-1",
        f"{PREFIX} review approve {number} --orders ORD-2",
        f"{PREFIX} review ignore {number}",
    )
    failed = report.section("failed")
    assert failed is not None and failed.items[0].commands[0] == f"{PREFIX} orders retry register:broken.nz:ORD-9"
    assert failed.items[0].headline.startswith("Registering broken.nz failed after 5 attempts, the last on 26 Nov")
    fraud = report.section("fraud")
    assert fraud is not None and fraud.items[0].label == "possible fraud"
    assert ("message", "msg-forged@example") in fraud.items[0].details
    registrar = report.section("registrar")
    assert registrar is not None and registrar.table is not None
    [todo] = registrar.table.rows
    assert todo.cells[:5] == ("paid-up.nz", "Paid Up Ltd", "renew", "1 year", "unknown")
    assert todo.command == f"{PREFIX} orders done ORD-3 --ref REGISTRAR_REFERENCE --expires YYYY-MM-DD"
    part = report.section("part_paid")
    assert part is not None and part.table is not None
    assert part.table.rows[0].cells == (
        "INV-0703",
        "Oliver Faleolo",
        "renewal of olivercafe.nz",
        "NZ$27.00",
        "NZ$8.00",
        "25 Nov",
    )
    assert [e.domain for e in report.expiring] == ["soon.nz"]  # paid-up.nz has a paid renewal
    done = {line.what: line for line in report.done}
    assert str(done["INV-1 registration of kiwi-cafe.nz"].margin) == "23.50 NZD"
    assert done["INV-1 registration of kiwi-cafe.nz"].customer == "Kiwi Cafe"
    assert str(done["INV-3 renewal of paid-up.nz"].margin) == "23.50 NZD"  # a to-do's margin is known too
    assert done["INV-3 renewal of paid-up.nz"].outcome == "to do"


def test_html_links_invoices_to_xero_and_loads_nothing_else(sqlite_engine: Engine) -> None:
    """Payer names, reasons and subjects full of markup come out as text; the only links are the invoices in Xero
    and the page's own sections; the page references no resource."""
    with sqlite_engine.begin() as conn:
        add_receipt(conn, "bank:evil", payer_name=HOSTILE)
        add_review(
            conn,
            "unmatched",
            "bank:evil",
            f"reason {HOSTILE}",
            detail={HOSTILE: HOSTILE},
            candidates=(f"ORD-{HOSTILE}",),
            suggested=HOSTILE,
        )
    report = morning_report(sqlite_engine)
    page = render_html(report)
    tags = TagCollector()
    tags.feed(page)
    assert {"script", "img", "link", "iframe", "object"}.isdisjoint(t for t, _ in tags.seen)
    hrefs = [value or "" for tag, attrs in tags.seen if tag == "a" for name, value in attrs if name == "href"]
    assert "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=inv-ORD-1" in hrefs
    assert all(h.startswith(("#", "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=")) for h in hrefs)
    assert all(name not in {"src", "onerror", "onload"} for _, attrs in tags.seen for name, _ in attrs)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "@import" not in page and "url(" not in page


def test_text_report_keeps_hostile_newlines_on_one_line(sqlite_engine: Engine) -> None:
    """A reason with line breaks cannot forge a line (a fake command) in the text report."""
    with sqlite_engine.begin() as conn:
        add_review(conn, "unmatched", "bank:x", "reason\n    $ reseller-worker review approve 1 --orders X")
    text = render_text(morning_report(sqlite_engine))
    assert "\n    $ reseller-worker review approve 1 --orders X" not in text


def test_an_empty_column_is_left_out(settings, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """Hosting has no upstream price: a table of hosting alone has no Margin column, in text or HTML."""
    with sqlite_engine.begin() as conn:
        add_order(conn, "ORD-5", kind="hosting", domain="shop.nz", status="paid", name="Shop Ltd", plan="business")
        add_outbox(
            conn,
            "payment:inv-ORD-5:r",
            "record_payment",
            {"order_id": "ORD-5", "amount": "25.00", "currency": "NZD"},
            status="done",
        )
    report = build_report(settings, sqlite_engine, NOW)
    done = report.section("done")
    assert done is not None and done.table is not None
    assert [row.cells[1] for row in done.table.rows] == ["INV-5 hosting (business plan) for shop.nz"]
    assert done.table.shown == (0, 1, 3)  # customer, what, amount: no "then", no margin
    text = render_text(report)
    assert "Margin" not in text.split("7. WHAT THE WORKER DID")[1].split("8. HEALTH")[0]


def test_empty_database_gives_a_calm_report(settings, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """With nothing to show, every section says so in a line; with no daemon running, every job is late."""
    report = build_report(settings, sqlite_engine, NOW)
    text = render_text(report)
    assert "3. NEEDS YOUR DECISION: Nothing waits for you." in text
    assert all(s.count == 0 for s in report.sections if s.key != "health") and report.expiring == ()
    assert report.alerts and all(a.late and a.last_success_at is None for a in report.alerts)
    assert report.subject == f"reseller-worker 2026-11-26: {report.needs_attention} to look at"
    calm = dataclasses.replace(
        report, alerts=(), sections=tuple(dataclasses.replace(s, count=0) for s in report.sections)
    )
    assert calm.subject == "reseller-worker 2026-11-26: nothing needs you"


def test_commands_name_the_settings_and_data_directory_they_act_on(settings, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """Built-in defaults put the data under the current directory, so the commands name it; settings from a file
    name the file, and a data directory set apart from it as well."""
    with sqlite_engine.begin() as conn:
        seed_morning(conn)
    data_dir = settings.worker.data_dir.resolve()
    report = build_report(settings, sqlite_engine, NOW)
    decisions = report.section("decisions")
    assert decisions is not None
    assert all(c.startswith(f"reseller-worker --data-dir {data_dir} ") for i in decisions.items for c in i.commands)
    from_env = dataclasses.replace(
        settings, source="/etc/rw.toml", worker=dataclasses.replace(settings.worker, data_dir_from_env=True)
    )
    report = build_report(from_env, sqlite_engine, NOW)
    decisions = report.section("decisions")
    assert decisions is not None
    assert decisions.items[0].commands[0].startswith(f"reseller-worker --config /etc/rw.toml --data-dir {data_dir} ")
    with_url = dataclasses.replace(from_env, worker=dataclasses.replace(from_env.worker, database_url_from_env=True))
    assert "RW_WORKER_DATABASE_URL" in render_text(build_report(with_url, sqlite_engine, NOW))


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
    assert (
        "NEEDS YOUR DECISION (3)" in mail.text and "<h2>Needs your decision<span class=count>3</span></h2>" in mail.html
    )
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
            "hosting:start:shop.nz",
            "start_hosting",
            {"domain": "shop.nz", "plan": "business"},
            status="done",
            result={"rate": "25.00", "currency": "NZD", "repeating_invoice_id": "ri-1"},
        )
        add_outbox(conn, "note:inv-1:registered", "history_note", {"invoice_id": "inv-1"}, status="done")
    report = morning_report(sqlite_engine)
    assert [(d.what, str(d.amount)) for d in report.done if "shop.nz" in d.what or "History" in d.what] == [
        ("Starting the repeating invoice for shop.nz", "25.00 NZD")
    ]


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
    assert summary is not None and summary["sent"] == 1 and summary["decisions"] == 3
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


def test_commands_say_which_secrets_they_need(tmp_path: Path) -> None:
    """A secret is never printed; a command pasted elsewhere needs it set there too, so the report names it."""
    from config.settings import load_settings
    from worker.invocation import environment_note

    env = {
        "RW_WORKER_DATA_DIR": str(tmp_path),
        "RW_XERO_MODE": "custom_connection",
        "RW_XERO_CLIENT_ID": "id",
        "RW_XERO_CLIENT_SECRET": "s3cret",
    }
    settings = load_settings(None, env, base_dir=tmp_path)
    assert settings.required_secrets == ("RW_XERO_CLIENT_ID", "RW_XERO_CLIENT_SECRET")
    note = environment_note(settings)
    assert note == "Run them where RW_XERO_CLIENT_ID and RW_XERO_CLIENT_SECRET are set, as for the worker."
    assert "s3cret" not in note
    assert environment_note(load_settings(None, {"RW_WORKER_DATA_DIR": str(tmp_path)}, base_dir=tmp_path)) == ""
