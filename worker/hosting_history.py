"""Which plan each hosting service was on, day by day: `hosting start`, `change` and `stop` write it here, in the
same transaction as the service, so month-end can charge each plan for its own days."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, delete, select, update

from worker.store.month_end_tables import hosting_periods


def _open(conn: Connection, service_id: int) -> tuple[int, date] | None:
    row = conn.execute(
        select(hosting_periods.c.id, hosting_periods.c.started_on)
        .where(hosting_periods.c.service_id == service_id, hosting_periods.c.ended_on.is_(None))
        .order_by(hosting_periods.c.started_on.desc(), hosting_periods.c.id.desc())
    ).first()
    return None if row is None else (int(row.id), row.started_on)


def open_period(
    conn: Connection,
    *,
    service_id: int,
    domain: str,
    plan: str,
    rate: Decimal | None,
    currency: str,
    contact_id: str,
    on: date,
    now: datetime,
) -> None:
    """A service starts on `plan` from `on`."""
    conn.execute(
        hosting_periods.insert().values(
            service_id=service_id,
            domain=domain.lower(),
            plan=plan,
            rate="" if rate is None else str(rate),
            currency=currency,
            contact_id=contact_id,
            started_on=on,
            ended_on=None,
            created_at=now,
        )
    )


def change_plan(conn: Connection, *, service_id: int, plan: str, rate: Decimal | None, on: date, now: datetime) -> None:
    """The service is on `plan` from `on`: the current period ends the day before (or, when it began that same
    day, is replaced)."""
    current = _open(conn, service_id)
    if current is None:
        return
    period_id, started_on = current
    template = conn.execute(select(hosting_periods).where(hosting_periods.c.id == period_id)).one()
    if started_on >= on:
        conn.execute(delete(hosting_periods).where(hosting_periods.c.id == period_id))
        on = started_on
    else:
        conn.execute(
            update(hosting_periods).where(hosting_periods.c.id == period_id).values(ended_on=on - timedelta(days=1))
        )
    open_period(
        conn,
        service_id=service_id,
        domain=template.domain,
        plan=plan,
        rate=rate,
        currency=template.currency,
        contact_id=template.contact_id,
        on=on,
        now=now,
    )


def end_service(conn: Connection, *, service_id: int, last_day: date) -> None:
    """The service stops: `last_day` is its last live day."""
    current = _open(conn, service_id)
    if current is None:
        return
    period_id, started_on = current
    conn.execute(
        update(hosting_periods).where(hosting_periods.c.id == period_id).values(ended_on=max(last_day, started_on))
    )
