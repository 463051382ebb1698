"""The worker's own record of the domains it holds for customers: expiry (for renewals and the daily sync), the
registrar's order id, and the last price the customer paid (the default for the next renewal invoice)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from integrations.ports import DomainDetails
from rules.money import Money
from worker.store.outbox_tables import domains


def domain_row(conn: Connection, domain: str) -> Any:
    return conn.execute(select(domains).where(domains.c.domain == domain)).first()


def hold_domain(
    conn: Connection,
    *,
    domain: str,
    expires: date | None,
    now: datetime,
    contact_id: str = "",
    registrar_order_id: str = "",
    order_id: str = "",
    sell_amount: str = "",
    sell_currency: str = "",
) -> None:
    """Insert or update the record after a registration or renewal: the domain is ours until `expires`."""
    values: dict[str, Any] = {"expires": expires, "status": "active", "updated_at": now}
    for name, value in (
        ("contact_id", contact_id),
        ("registrar_order_id", registrar_order_id),
        ("last_order_id", order_id),
        ("sell_amount", sell_amount),
        ("sell_currency", sell_currency),
    ):
        if value:
            values[name] = value
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(domains).values(domain=domain, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["domain"], set_=values))


def set_expiry(conn: Connection, domain: str, *, expires: date | None, status: str, now: datetime) -> None:
    conn.execute(
        update(domains)
        .where(domains.c.domain == domain)
        .values(expires=expires, status=status, synced_at=now, updated_at=now)
    )


def domain_book(engine: Engine) -> Callable[[str], DomainDetails | None]:
    """What `ManualRegistrar` knows about a domain: our own record (no registrar API to ask)."""

    def lookup(domain: str) -> DomainDetails | None:
        with engine.connect() as conn:
            row = domain_row(conn, domain)
        if row is None:
            return None
        return DomainDetails(
            domain=domain,
            ours=row.status == "active",
            expires=row.expires,
            status=row.status,
            registrar_order_id=row.registrar_order_id,
        )

    return lookup


@dataclass(frozen=True, kw_only=True, slots=True)
class Margin:
    """One registration or renewal for the report's margin line: what the customer paid, what it cost upstream."""

    order_id: str
    domain: str
    action: str  # register, renew
    years: int
    sale: Money | None
    cost: Money | None
    completed_at: datetime | None

    @property
    def margin(self) -> Money | None:
        if self.sale is None or self.cost is None or self.sale.currency != self.cost.currency:
            return None  # unknown, or in two currencies: the report shows both instead of a made-up difference
        return self.sale - self.cost


def margins(conn: Connection, *, since: datetime) -> list[Margin]:
    """Registrations and renewals completed since `since`, oldest first (for the morning report)."""
    from worker.store.outbox_tables import registrar_actions as ra

    rows = conn.execute(
        select(ra).where(ra.c.status == "done", ra.c.completed_at >= since).order_by(ra.c.completed_at)
    ).all()

    def money(amount: str, currency: str) -> Money | None:
        return Money.of(amount, currency) if amount and currency else None

    return [
        Margin(
            order_id=r.order_id,
            domain=r.domain,
            action=r.action,
            years=r.years,
            sale=money(r.sale, r.sale_currency),
            cost=money(r.cost, r.cost_currency),
            completed_at=r.completed_at,
        )
        for r in rows
    ]
