"""The month-end area in the morning report: the provider's bill in the first report sent after it arrives (text and
HTML), sites waiting for a first payment, and the registrar balance when it falls short."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from integrations.mailer.fake import FakeMailer
from integrations.ports import ContactDraft
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from worker.app import App
from worker.balance import check_registrar_balance
from worker.bills import import_statement
from worker.commands.order_actions import hosting_start
from worker.domains import hold_domain
from worker.report.html import render_html
from worker.report.sending import build_report, send
from worker.report.text import render_text
from worker.store.month_end_tables import provider_bills

from ..outbox.conftest import Clock, new_order, pay
from .test_records import STATEMENT, build_october

NOV_2 = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)  # 07:00 on 2 November in Auckland


def keys(app: App, now: datetime) -> dict[str, int]:
    return {s.key: s.count for s in build_report(app.settings, app.engine, now).sections}


def test_the_first_report_sent_after_a_bill_shows_it_and_the_next_does_not(
    app: App, accounting: FakeAccounting, clock: Clock, tmp_path: Path
) -> None:
    build_october(app, accounting, clock)
    assert "month_end" not in keys(app, NOV_2)  # no bill yet: no section
    bill = tmp_path / "october.csv"
    bill.write_text(STATEMENT, encoding="utf-8")
    import_statement(app.engine, bill, currency="NZD", now=NOV_2 - timedelta(hours=1))
    report = build_report(app.settings, app.engine, NOV_2)
    [section] = [s for s in report.sections if s.key == "month_end"]
    assert section.title == "Provider's bill for October 2026" and section.count == 3
    assert section.table is not None
    assert {r.cells[1] for r in section.table.rows} == {"dear.com", "byhand.nz", "panel-renewed.co.nz"}
    assert any("month-end 2026-10" in command for command in section.commands)  # runnable: never wrapped
    [figure] = [f for f in report.summary if f.section == "month_end"]
    assert figure.value.startswith("October 2026: 3 differences, margin NZ$")
    text = render_text(report)
    assert "PROVIDER'S BILL FOR OCTOBER 2026 (3)" in text and "charged twice" in text
    html = render_html(report)
    assert "bill for October 2026" in html and "panel-renewed.co.nz" in html
    # Printing it (`reseller-worker report`) is not sending it: the next report still shows the bill.
    assert "month_end" in keys(app, NOV_2 + timedelta(minutes=5))
    mailer = FakeMailer()
    settings = replace(app.settings, report=replace(app.settings.report, to=("owner@example.nz",)))
    assert send(mailer, settings, app.engine, report) is True
    assert "PROVIDER'S BILL FOR OCTOBER 2026" in mailer.sent[0].text
    assert "month_end" not in keys(app, NOV_2 + timedelta(days=1))
    with app.engine.connect() as conn:
        assert conn.execute(select(provider_bills.c.reported_at)).scalar_one() is not None


def test_sites_waiting_for_a_first_payment_are_listed_with_the_command_that_starts_one(
    app: App, accounting: FakeAccounting, clock: Clock
) -> None:
    accounting.add_contact("c-1", ContactDraft(name="Aroha Ltd"))
    assert "first_payment" not in keys(app, clock())
    args = argparse.Namespace(
        domain="wait.nz", plan="starter", contact="c-1", start=None, without_first_payment=False, reason=""
    )
    hosting_start(app.engine, app.settings, args, clock)
    report = build_report(app.settings, app.engine, clock())
    [section] = [s for s in report.sections if s.key == "first_payment"]
    assert section.count == 1 and section.table is not None
    assert section.table.rows[0].cells[:2] == ("wait.nz", "starter")
    # The setup fee and the day as the reseller writes them (NZ$25.00, 26 Nov), not 25.00 NZD and 2026-11-26.
    fee, day = section.table.rows[0].cells[2:]
    assert fee.startswith("NZ$") and re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}( \d{4})?", day), (fee, day)
    assert "--without-first-payment" in section.table.rows[0].command
    assert "WAITING FOR A FIRST PAYMENT (1)" in render_text(report)


def test_a_registrar_balance_short_of_what_is_queued_and_due_is_a_warning(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    with app.engine.begin() as conn:
        hold_domain(conn, domain="soon.co.nz", expires=clock().date() + timedelta(days=10), now=clock())
    pay(app, accounting, new_order("ORD-0100", domain="queued.co.nz"))
    registrar.set_balance("100.00")
    check_registrar_balance(app)
    report = build_report(app.settings, app.engine, clock())
    assert "registrar_funds" not in {s.key for s in report.sections}
    [fine] = [f for f in report.summary if f.label == "Registrar funds"]
    assert fine.tone == "good" and fine.value == "NZ$100.00"
    registrar.set_balance("30.00")
    check_registrar_balance(app)
    report = build_report(app.settings, app.engine, clock())
    [section] = [s for s in report.sections if s.key == "registrar_funds"]
    assert section.count == 2 and "13.00 NZD short" in section.intro
    assert section.table is not None
    due = (clock().date() + timedelta(days=10)).strftime("%-d %b")
    assert {r.cells[2] for r in section.table.rows} == {"queued", f"due {due}"}  # not an ISO date
    [short] = [f for f in report.summary if f.label == "Registrar funds"]
    assert short.tone == "alarm" and "short by NZ$13.00" in short.value
    assert "REGISTRAR FUNDS (2)" in render_text(report)
