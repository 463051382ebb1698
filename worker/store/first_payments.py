"""Hosting starts held for a first payment, as rows: the one waiting for a site, taking it when its setup invoice is
paid, and the list the report shows. Below the outbox, so the outbox can start a held site when its order is paid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from worker.store.month_end_tables import first_payments
from worker.store.outbox_tables import hosting_services


@dataclass(frozen=True, kw_only=True, slots=True)
class WaitingSite:
    """A site held until its customer pays the first payment."""

    request_id: int
    domain: str
    plan: str
    contact_id: str
    start: date
    amount: str
    currency: str
    order_id: str  # the setup invoice's order once Xero has it
    invoice_key: str
    requested_at: datetime


def waiting_for(conn: Connection, domain: str) -> Any:
    return conn.execute(
        select(first_payments).where(first_payments.c.domain == domain.lower(), first_payments.c.status == "waiting")
    ).first()


def take_waiting(conn: Connection, *, domain: str, order_id: str, now: datetime) -> Any:
    """The start held for `domain`, marked started by `order_id`'s payment; None when none waits."""
    held = waiting_for(conn, domain)
    if held is None:
        return None
    conn.execute(
        update(first_payments)
        .where(first_payments.c.id == held.id)
        .values(status="started", order_id=order_id, resolved_at=now)
    )
    return held


def link_service(conn: Connection, *, request_id: int, source: str) -> None:
    """Note which hosting service a started request became (the service whose source is `source`)."""
    service_id = conn.execute(
        select(hosting_services.c.id).where(hosting_services.c.source == source).order_by(hosting_services.c.id.desc())
    ).scalar()
    if service_id is not None:
        conn.execute(update(first_payments).where(first_payments.c.id == request_id).values(service_id=service_id))


def waiting_sites(conn: Connection) -> list[WaitingSite]:
    rows = conn.execute(
        select(first_payments).where(first_payments.c.status == "waiting").order_by(first_payments.c.requested_at)
    ).all()
    return [
        WaitingSite(
            request_id=r.id,
            domain=r.domain,
            plan=r.plan,
            contact_id=r.contact_id,
            start=r.start,
            amount=r.amount,
            currency=r.currency,
            order_id=r.order_id,
            invoice_key=r.invoice_key,
            requested_at=r.requested_at,
        )
        for r in rows
    ]
