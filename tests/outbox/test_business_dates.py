"""Business dates are the reseller's calendar days ([worker] timezone), never the UTC date: a hosting service started,
changed or stopped late on the last evening of a month (or just after midnight on the first) lands in the month the
reseller lived it, so month-end charges it for the right days; invoices and the renewal horizon are dated the same
way. Each case sits where the UTC date and the local date fall in different months."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings, load_settings
from integrations.ports import ContactDraft
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from worker.app import App
from worker.commands.order_actions import hosting_change, hosting_start, hosting_stop, orders_new
from worker.jobs.dispatch import dispatch
from worker.store.month_end_tables import hosting_periods
from worker.store.outbox_tables import hosting_services

from .conftest import Clock, make_app

CONTACT = "7c0b7f0e-8a59-4d1e-9a55-3c1b0e6f2a10"


def _in_zone(tmp_path: Path, zone: str) -> Settings:
    return load_settings(
        None, {"RW_WORKER_DATA_DIR": str(tmp_path / "var"), "RW_WORKER_TIMEZONE": zone}, base_dir=tmp_path
    )


def _periods(app: App) -> list[tuple[str, date, date | None]]:
    with app.engine.connect() as conn:
        rows = conn.execute(select(hosting_periods).order_by(hosting_periods.c.id)).all()
    return [(r.plan, r.started_on, r.ended_on) for r in rows]


def _service(app: App) -> tuple[date, date | None]:
    with app.engine.connect() as conn:
        row = conn.execute(select(hosting_services.c.started_on, hosting_services.c.stopped_on)).one()
    return row.started_on, row.stopped_on


def _site(app: App, clock: Clock, command: str, **kw: object) -> int:
    args = argparse.Namespace(domain="site.nz", **kw)
    handler = {"start": hosting_start, "change": hosting_change, "stop": hosting_stop}[command]
    return handler(app.engine, app.settings, args, clock)


@pytest.fixture
def world(engine: Engine, tmp_path: Path, accounting: FakeAccounting, registrar: FakeRegistrar) -> tuple[App, Clock]:
    accounting.add_contact(CONTACT, ContactDraft(name="Kiri Tane"))
    clock = Clock()
    app = make_app(engine, _in_zone(tmp_path, "America/Los_Angeles"), clock, accounting, registrar)
    return app, clock


def test_a_stop_at_11pm_local_on_the_last_day_of_the_month_ends_in_that_month(world: tuple[App, Clock]) -> None:
    """Los Angeles, 30 November 23:00 (PST) is 1 December 07:00 UTC: the site's last day is 30 November."""
    app, clock = world
    clock.now = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    assert _site(app, clock, "start", plan="starter", contact=CONTACT, start=None, without_first_payment=True) == 0
    clock.now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert _site(app, clock, "stop") == 0
    assert _service(app) == (date(2026, 11, 2), date(2026, 11, 30))
    assert _periods(app) == [("starter", date(2026, 11, 2), date(2026, 11, 30))]


def test_a_start_and_a_change_late_on_the_last_evening_take_the_local_day(world: tuple[App, Clock]) -> None:
    """Started at 22:30 local on 31 October (05:30 UTC on 1 November): billed from 31 October; moved to another plan
    at 23:30 local on 30 November (07:30 UTC on 1 December): November's last day is already on the new plan."""
    app, clock = world
    clock.now = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert _site(app, clock, "start", plan="starter", contact=CONTACT, start=None, without_first_payment=True) == 0
    dispatch(app)  # the repeating invoice starts on the reseller's day too
    accounting = app.accounting
    assert isinstance(accounting, FakeAccounting)
    [first] = accounting.repeating.values()
    assert first.draft.start == date(2026, 10, 31)
    clock.now = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert _site(app, clock, "change", plan="business") == 0
    assert _periods(app) == [
        ("starter", date(2026, 10, 31), date(2026, 11, 29)),
        ("business", date(2026, 11, 30), None),
    ]


def test_just_after_midnight_in_auckland_is_the_new_month(
    engine: Engine, settings: Settings, accounting: FakeAccounting, registrar: FakeRegistrar
) -> None:
    """East of UTC the other way round: 00:30 on 1 December in Auckland (NZDT) is 11:30 on 30 November in UTC."""
    assert settings.worker.timezone == "Pacific/Auckland"
    accounting.add_contact(CONTACT, ContactDraft(name="Kiri Tane"))
    clock = Clock(now=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    app = make_app(engine, settings, clock, accounting, registrar)
    assert _site(app, clock, "start", plan="starter", contact=CONTACT, start=None, without_first_payment=True) == 0
    clock.now = datetime(2026, 11, 30, 11, 30, tzinfo=UTC)
    assert _site(app, clock, "stop") == 0
    assert _service(app)[1] == date(2026, 12, 1)
    assert _periods(app)[-1][2] == date(2026, 12, 1)


def test_an_order_invoice_is_dated_by_the_local_day(world: tuple[App, Clock]) -> None:
    """`orders new` at 23:00 local on 30 November: the invoice is dated that day (Xero shows the invoice's Date as
    given), not 1 December."""
    app, clock = world
    app = replace(app, settings=replace(app.settings, hosting=replace(app.settings.hosting, domain_rates={"nz": 30})))
    clock.now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    args = argparse.Namespace(domain="kiri.nz", years=1, contact=CONTACT, email=None, name=None, price="30.00")
    assert orders_new(app.engine, app.settings, args, clock) == 0
    dispatch(app)
    accounting = app.accounting
    assert isinstance(accounting, FakeAccounting)
    [invoice] = accounting.invoices.values()
    assert invoice.issued == date(2026, 11, 30)
