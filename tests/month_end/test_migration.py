"""Migration 0006: the month-end tables, and one plan period for each hosting service that existed before it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import Engine, inspect, select

from worker.store.database import alembic_config, upgrade
from worker.store.month_end_tables import hosting_periods
from worker.store.outbox_tables import hosting_services
from worker.store.tables import metadata

MONTH_END_TABLES = {"provider_bills", "provider_bill_lines", "hosting_periods", "first_payments", "registrar_balances"}


def test_upgrade_creates_the_month_end_tables_as_the_code_sees_them(engine: Engine) -> None:
    inspector = inspect(engine)
    for name in MONTH_END_TABLES:
        assert inspector.has_table(name), name
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert {c.name for c in metadata.tables[name].columns} == columns, name


def test_existing_hosting_services_get_their_period(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "0005")
    now = datetime(2026, 9, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for domain, stopped in (("live.nz", None), ("gone.nz", date(2026, 8, 31))):
            conn.execute(
                hosting_services.insert().values(
                    domain=domain,
                    plan="starter",
                    contact_id="c-1",
                    rate="25.00",
                    currency="NZD",
                    status="active" if stopped is None else "stopped",
                    started_on=date(2026, 3, 1),
                    stopped_on=stopped,
                    created_at=now,
                    updated_at=now,
                )
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                hosting_periods.c.domain, hosting_periods.c.plan, hosting_periods.c.rate, hosting_periods.c.ended_on
            ).order_by(hosting_periods.c.domain)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("gone.nz", "starter", "25.00", date(2026, 8, 31)),
        ("live.nz", "starter", "25.00", None),
    ]
