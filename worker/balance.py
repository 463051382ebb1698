"""The prepaid registrar account: `check_registrar_balance` reads its balance (hourly) and keeps the readings; the
report asks `registrar_outlook` whether the last reading covers what is queued and what falls due."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, select

from config.settings import Settings
from integrations.registrar.terms import UpstreamPrices
from rules.balance import BalanceOutlook, Commitment, balance_outlook
from rules.money import Money
from worker.health import aware
from worker.store.month_end_tables import registrar_balances
from worker.store.outbox_tables import domains
from worker.store.tables import outbox

if TYPE_CHECKING:
    from worker.app import App

KEEP = timedelta(days=60)
ACTIONS = {"register_domain": "register", "renew_domain": "renew"}


def check_registrar_balance(app: App) -> dict[str, int | str]:
    """Read and keep the balance; a registrar without a prepaid account the worker can read is skipped."""
    reading = app.registrar.balance()
    if reading is None:
        return {"skipped": "no prepaid registrar account"}
    now = app.clock()
    with app.engine.begin() as conn:
        conn.execute(
            registrar_balances.insert().values(
                registrar=app.settings.registrar.kind,
                available=str(reading.balance.amount),
                locked=str(reading.locked.amount),
                currency=reading.balance.currency,
                checked_at=now,
            )
        )
        conn.execute(delete(registrar_balances).where(registrar_balances.c.checked_at < now - KEEP))
        outlook = registrar_outlook(conn, app.settings, now=now)
    summary: dict[str, int | str] = {"available": str(reading.available)}
    if outlook is not None:
        summary["short"] = int(outlook.short)
        summary["committed"] = str(outlook.committed) if outlook.committed is not None else "?"
    return summary


def _prices(settings: Settings) -> UpstreamPrices:
    r = settings.registrar
    return UpstreamPrices(currency=r.price_currency, register=r.register_prices, renew=r.renew_prices)


def registrar_outlook(conn: Connection, settings: Settings, *, now: datetime) -> BalanceOutlook | None:
    """The last balance reading against the registrations and renewals queued and the renewals due within
    `[provider] balance_days_ahead` days; None when no balance was ever read."""
    last = conn.execute(select(registrar_balances).order_by(registrar_balances.c.checked_at.desc()).limit(1)).first()
    if last is None:
        return None
    prices = _prices(settings)
    queued: list[Commitment] = []
    for kind, payload in conn.execute(
        select(outbox.c.kind, outbox.c.payload).where(
            outbox.c.kind.in_(tuple(ACTIONS)), outbox.c.status.in_(("pending", "running"))
        )
    ):
        if not isinstance(payload, Mapping) or not payload.get("domain"):
            continue
        action, domain, years = ACTIONS[kind], str(payload["domain"]), int(payload.get("years", 1))
        queued.append(
            Commitment(
                action=action,
                domain=domain,
                years=years,
                cost=prices.price(domain, action=action, years=years),
                queued=True,
            )
        )
    today = now.astimezone(settings.worker.zone).date()
    ahead = settings.provider.balance_days_ahead
    due = [
        Commitment(action="renew", domain=d, years=1, cost=prices.price(d, action="renew", years=1), due=expires)
        for d, expires in conn.execute(
            select(domains.c.domain, domains.c.expires).where(
                domains.c.status == "active",
                domains.c.expires.is_not(None),
                domains.c.expires <= today + timedelta(days=ahead),
                domains.c.expires >= today - timedelta(days=30),  # still renewable in the grace period
            )
        )
        if isinstance(expires, date)
    ]
    checked_at = aware(last.checked_at)
    assert checked_at is not None
    return balance_outlook(
        balance=Money(amount=Decimal(last.available), currency=last.currency),
        locked=Money(amount=Decimal(last.locked), currency=last.currency),
        checked_at=checked_at,
        queued=queued,
        due=due,
        days_ahead=ahead,
    )
