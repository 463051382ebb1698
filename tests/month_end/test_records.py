"""Month-end from the worker's own records, built the way the worker builds them: registrations through the
registrar API, renewals recorded by hand with `orders done`, hosting started, changed and stopped with the commands,
repeating invoices created and ended by dispatch; then the provider's statement imported and checked."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from integrations.ports import ContactDraft
from integrations.xero.fake import FakeAccounting
from rules.margin import CostFrom
from rules.model import OrderKind
from rules.money import Money
from rules.month_end import DifferenceKind
from rules.provider_bill import Month
from worker.app import App
from worker.bills import import_statement
from worker.commands.order_actions import hosting_change, hosting_start, hosting_stop, orders_done
from worker.jobs.dispatch import dispatch
from worker.month_end import month_end
from worker.month_end_output import render_month_end_text
from worker.store.month_end_tables import hosting_periods

from ..outbox.conftest import Clock, new_order, pay
from .conftest import with_manual_registrar

OCT = Month(year=2026, month=10)


def at(clock: Clock, day: date, hour: int = 1) -> None:
    clock.now = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**kw)


def build_october(app: App, accounting: FakeAccounting, clock: Clock) -> App:
    """What the worker did in October 2026 (NZ time; 01:00 UTC is the same day in Auckland)."""
    at(clock, date(2026, 10, 5))
    pay(app, accounting, new_order("ORD-0001", domain="api-reg.co.nz", amount="35.00"))
    pay(app, accounting, new_order("ORD-0002", domain="dear.com", amount="30.00"))
    dispatch(app)
    manual = with_manual_registrar(app, accounting, clock)
    at(clock, date(2026, 10, 12))
    renewal = new_order("ORD-0003", kind=OrderKind.DOMAIN_REGISTRATION, domain="byhand.nz", amount="35.00")
    pay(manual, accounting, renewal)
    dispatch(manual)
    assert (
        orders_done(app.engine, app.settings, args(order="ORD-0003", ref="LB-1", expires=None, cost=None), clock) == 0
    )
    # Hosting: one site all month on starter then business; one started in September and stopped on 10 October
    # with its repeating invoice ended; one stopped whose stop never reached Xero.
    for domain, plan, start in (
        ("moved-up.nz", "starter", date(2026, 9, 20)),
        ("stopped.nz", "starter", date(2026, 9, 1)),
        ("stuck.nz", "starter", date(2026, 8, 3)),
    ):
        at(clock, start)
        code = hosting_start(
            app.engine,
            app.settings,
            args(domain=domain, plan=plan, contact="c-1", start=start, without_first_payment=True, reason=""),
            clock,
        )
        assert code == 0
        dispatch(app)  # its repeating invoice is created the day it starts
    at(clock, date(2026, 10, 15))
    assert hosting_change(app.engine, app.settings, args(domain="moved-up.nz", plan="business"), clock) == 0
    at(clock, date(2026, 10, 10))
    assert hosting_stop(app.engine, app.settings, args(domain="stopped.nz"), clock) == 0
    dispatch(app)
    assert hosting_stop(app.engine, app.settings, args(domain="stuck.nz"), clock) == 0  # never dispatched
    return app


def test_hosting_commands_write_the_plan_history(
    app: App, accounting: FakeAccounting, clock: Clock, tmp_path: Path
) -> None:
    build_october(app, accounting, clock)
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(
                hosting_periods.c.domain,
                hosting_periods.c.plan,
                hosting_periods.c.started_on,
                hosting_periods.c.ended_on,
            ).order_by(hosting_periods.c.domain, hosting_periods.c.started_on)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("moved-up.nz", "starter", date(2026, 9, 20), date(2026, 10, 14)),
        ("moved-up.nz", "business", date(2026, 10, 15), None),
        ("stopped.nz", "starter", date(2026, 9, 1), date(2026, 10, 10)),
        ("stuck.nz", "starter", date(2026, 8, 3), date(2026, 10, 10)),
    ]


STATEMENT = """\
date,action,domain,years,plan,period_from,period_to,amount,reference
2026-10-05,register,api-reg.co.nz,1,,,,21.50,LB-1
2026-10-05,register,dear.com,1,,,,19.50,LB-2
2026-10-12,register,byhand.nz,1,,,,21.50,LB-3
2026-10-12,register,byhand.nz,1,,,,21.50,LB-3b
2026-10-20,renew,panel-renewed.co.nz,1,,,,21.50,LB-4
2026-10-31,hosting,moved-up.nz,,business,,,30.00,H-1
2026-10-31,hosting,stopped.nz,,starter,,,10.00,H-2
2026-10-31,hosting,stuck.nz,,starter,,,10.00,H-3
"""


def test_month_end_checks_the_statement_against_the_records(
    app: App, accounting: FakeAccounting, clock: Clock, tmp_path: Path
) -> None:
    build_october(app, accounting, clock)
    bill = tmp_path / "october.csv"
    bill.write_text(STATEMENT, encoding="utf-8")
    import_statement(app.engine, bill, currency="NZD", now=datetime(2026, 11, 2, tzinfo=UTC))
    with app.engine.connect() as conn:
        result = month_end(conn, app.settings, OCT, now=datetime(2026, 11, 2, tzinfo=UTC))
    found = {(d.kind, d.item) for d in result.recon.differences}
    assert found == {
        (DifferenceKind.PRICE, "dear.com"),
        (DifferenceKind.CHARGED_TWICE, "byhand.nz"),
        (DifferenceKind.NOT_DONE, "panel-renewed.co.nz"),
    }  # stuck.nz's repeating invoice raised October's invoice on the 3rd, before the stop: over-billing starts later
    margin = result.margin
    lines = {(ln.action, ln.item): ln for ln in margin.lines}
    assert lines[("register", "api-reg.co.nz")].margin == Money.of("13.50", "NZD")
    assert lines[("register", "byhand.nz")].cost_from is CostFrom.BILL
    assert lines[("hosting", "moved-up.nz")].sale == Money.of("45.00", "NZD")  # invoiced on the 20th, on business
    assert lines[("hosting", "moved-up.nz")].cost == Money.of("30.00", "NZD")
    assert lines[("renew", "panel-renewed.co.nz")].negative
    assert margin.total.margin == sum((ln.margin for ln in margin.lines), Money.zero("NZD"))
    text = render_month_end_text(result)
    assert "Charged twice (1)" in text and "NEGATIVE" in text


def test_november_finds_the_stopped_site_still_invoiced_and_charged(
    app: App, accounting: FakeAccounting, clock: Clock, tmp_path: Path
) -> None:
    build_october(app, accounting, clock)
    bill = tmp_path / "november.csv"
    bill.write_text(
        "date,action,domain,plan,amount\n"
        "2026-11-30,hosting,moved-up.nz,business,30.00\n"
        "2026-11-30,hosting,stuck.nz,starter,10.00\n",
        encoding="utf-8",
    )
    import_statement(app.engine, bill, currency="NZD", now=datetime(2026, 12, 1, tzinfo=UTC))
    with app.engine.connect() as conn:
        result = month_end(conn, app.settings, OCT.next(), now=datetime(2026, 12, 1, tzinfo=UTC))
    found = {(d.kind, d.item) for d in result.recon.differences}
    assert found == {
        (DifferenceKind.STOPPED_SITE_CHARGED, "stuck.nz"),
        (DifferenceKind.STOPPED_SITE_INVOICED, "stuck.nz"),
    }


def test_before_the_bill_costs_come_from_the_price_tables(app: App, accounting: FakeAccounting, clock: Clock) -> None:
    build_october(app, accounting, clock)
    with app.engine.connect() as conn:
        result = month_end(conn, app.settings, OCT, now=datetime(2026, 10, 31, tzinfo=UTC))
    assert not result.billed
    assert {ln.cost_from for ln in result.margin.lines if ln.action != "hosting"} == {CostFrom.PRICE_TABLE}
    assert {d.kind for d in result.recon.differences} == {DifferenceKind.NOT_CHARGED}
    lines = {(ln.action, ln.item): ln for ln in result.margin.lines}
    assert lines[("register", "dear.com")].cost == Money(amount=Decimal("18.00"), currency="NZD")
    assert "No bill from the provider for October 2026 yet" in render_month_end_text(result)


def test_a_repeating_invoice_created_after_the_site_went_live_leaves_those_days_uninvoiced(
    app: App, accounting: FakeAccounting, clock: Clock
) -> None:
    """The site went live on 12 October; Xero was reached only on the 30th: 18 days had no repeating invoice."""
    accounting.add_contact("c-1", ContactDraft(name="Aroha Ltd"))
    at(clock, date(2026, 10, 12))
    start = args(domain="late.nz", plan="business", contact="c-1", start=None, without_first_payment=True, reason="")
    assert hosting_start(app.engine, app.settings, start, clock) == 0
    at(clock, date(2026, 10, 30))
    dispatch(app)
    assert len(accounting.repeating) == 1
    with app.engine.connect() as conn:
        result = month_end(conn, app.settings, OCT, now=datetime(2026, 11, 2, tzinfo=UTC))
    [lost] = result.recon.of_kind(DifferenceKind.LIVE_NOT_INVOICED)
    assert lost.item == "late.nz" and "18 day(s)" in lost.detail and "2026-10-12" in lost.detail
