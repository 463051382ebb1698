"""Month-end for one month: gathers the provider's charges and the worker's own records from the database, checks
them with `rules.month_end` and prices them with `rules.margin`. The CLI, the morning report and the bench use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from config.settings import Settings
from integrations.registrar.terms import UpstreamPrices
from rules.margin import Margin, Sale, endings, margin_for
from rules.model import OrderKind
from rules.money import Money
from rules.month_end import (
    CustomerBilling,
    DomainWork,
    HostingRule,
    HostingSpan,
    ProviderTerms,
    Reconciliation,
    reconcile,
)
from rules.provider_bill import ChargeAction, Month
from worker.bills import StoredBill, bills_for, charges_for
from worker.health import aware
from worker.store.month_end_tables import hosting_periods
from worker.store.outbox_tables import domains, hosting_services, registrar_actions
from worker.store.tables import orders, outbox


@dataclass(frozen=True, kw_only=True, slots=True)
class MonthEnd:
    month: Month
    generated_at: datetime
    currency: str
    hosting_rule: HostingRule
    bills: tuple[StoredBill, ...]
    charges: int  # bill lines read for the month
    recon: Reconciliation
    margin: Margin

    @property
    def billed(self) -> bool:
        return bool(self.bills)


def _money(amount: Any, currency: Any) -> Money | None:
    if amount in (None, "") or not isinstance(currency, str) or len(currency) != 3:
        return None
    try:
        return Money(amount=Decimal(str(amount)), currency=currency)
    except (InvalidOperation, ValueError):
        return None


def _local_day(stamp: datetime | None, zone: ZoneInfo) -> date | None:
    value = aware(stamp)
    return None if value is None else value.astimezone(zone).date()


def _contact_names(conn: Connection) -> dict[str, str]:
    """Xero contact id -> the customer's name, from the orders the worker has seen."""
    names: dict[str, str] = {}
    for contact_id, contact in conn.execute(select(orders.c.contact_id, orders.c.contact)):
        if isinstance(contact, Mapping) and contact.get("name"):
            names[str(contact_id)] = str(contact["name"])
    return names


def _domain_work(
    conn: Connection, settings: Settings, month: Month, names: Mapping[str, str], prices: UpstreamPrices
) -> list[DomainWork]:
    zone = settings.worker.zone
    margin_days = settings.provider.boundary_days + 1
    early = datetime.combine(month.first - timedelta(days=margin_days), datetime.min.time(), tzinfo=zone)
    late = datetime.combine(month.last + timedelta(days=margin_days), datetime.min.time(), tzinfo=zone)
    ra = registrar_actions.c
    rows = conn.execute(
        select(
            ra.idempotency_key,
            ra.action,
            ra.domain,
            ra.years,
            ra.completed_at,
            ra.sale,
            ra.sale_currency,
            ra.registrar_order_id,
            ra.reference,
            orders.c.contact_id,
            orders.c.invoice_number,
        )
        .outerjoin(orders, orders.c.order_id == registrar_actions.c.order_id)
        .where(
            registrar_actions.c.status == "done",
            registrar_actions.c.completed_at >= early,
            registrar_actions.c.completed_at < late,
        )
    ).all()
    out: list[DomainWork] = []
    for r in rows:
        on = _local_day(r.completed_at, zone)
        if on is None or r.action not in ("register", "renew"):
            continue
        customer = names.get(str(r.contact_id or ""), "")
        out.append(
            DomainWork(
                key=r.idempotency_key,
                action=ChargeAction(r.action),
                domain=r.domain,
                years=int(r.years),
                on=on,
                customer=customer,
                sale=_money(r.sale, r.sale_currency),
                table_cost=prices.price(r.domain, action=r.action, years=int(r.years)),
                by_hand=not r.registrar_order_id and bool(r.reference),
                invoice=r.invoice_number or "",
            )
        )
    return out


def _hosting(
    conn: Connection, settings: Settings, month: Month, names: Mapping[str, str]
) -> tuple[list[HostingSpan], list[CustomerBilling]]:
    """The plan periods of every service started by the month's end, and the repeating invoice of each: running
    from the service's start (or from the day it was created in Xero, when that was later) until the stop was
    carried out in Xero."""
    zone = settings.worker.zone
    home = settings.worker.home_currency
    price_currency = settings.registrar.price_currency
    services = {
        s.id: s for s in conn.execute(select(hosting_services).where(hosting_services.c.started_on <= month.last)).all()
    }
    # When the repeating invoice was created (start_hosting done) and ended (stop_hosting done) in Xero.
    created: dict[int, date] = {}
    stops: dict[int, date] = {}
    for kind, payload, updated_at in conn.execute(
        select(outbox.c.kind, outbox.c.payload, outbox.c.updated_at).where(
            outbox.c.kind.in_(("start_hosting", "stop_hosting")), outbox.c.status == "done"
        )
    ):
        day = _local_day(updated_at, zone)
        if day is not None and isinstance(payload, Mapping) and "service_id" in payload:
            (created if kind == "start_hosting" else stops)[int(payload["service_id"])] = day
    spans: list[HostingSpan] = []
    for p in conn.execute(
        select(hosting_periods).where(hosting_periods.c.started_on <= month.last).order_by(hosting_periods.c.id)
    ).all():
        service = services.get(p.service_id)
        rate = p.rate or (service.rate if service is not None else "") or settings.hosting.plans.get(p.plan, "")
        cost = settings.provider.hosting_prices.get(p.plan.lower())
        spans.append(
            HostingSpan(
                site=p.domain,
                plan=p.plan,
                customer=names.get(p.contact_id, p.contact_id),
                start=p.started_on,
                end=p.ended_on,
                sale_rate=_money(rate, p.currency or home),
                cost_rate=None if cost is None else Money(amount=cost, currency=price_currency),
            )
        )
    billing: list[CustomerBilling] = []
    for s in services.values():
        if not s.repeating_invoice_id:
            continue
        # A repeating invoice created after the site went live invoices the customer from then on, not before.
        start = max(s.started_on, created.get(s.id, s.started_on))
        billing.append(CustomerBilling(site=s.domain, start=start, end=stops.get(s.id)))
    return spans, billing


def _setup_sales(conn: Connection, month: Month, names: Mapping[str, str]) -> list[Sale]:
    rows = conn.execute(
        select(orders).where(
            orders.c.kind == OrderKind.SETUP.value,
            orders.c.status.in_(("paid", "done")),
            orders.c.issued >= month.first.isoformat(),
            orders.c.issued <= month.last.isoformat(),
        )
    ).all()
    sales: list[Sale] = []
    for r in rows:
        amount = _money(r.amount_due, r.currency)
        if amount is None:
            continue
        customer = str(r.contact.get("name", "")) if isinstance(r.contact, Mapping) else ""
        sales.append(
            Sale(
                action="setup",
                item=r.domain,
                customer=customer or names.get(r.contact_id, ""),
                amount=amount,
                on=date.fromisoformat(r.issued),
                plan=r.plan,
            )
        )
    return sales


def _known_customers(conn: Connection, names: Mapping[str, str]) -> dict[str, str]:
    """Domain -> customer, for charges the worker did not do (a domain it holds for someone)."""
    return {
        str(d): names[str(c)]
        for d, c in conn.execute(select(domains.c.domain, domains.c.contact_id))
        if c and str(c) in names
    }


def terms_from(settings: Settings) -> ProviderTerms:
    return ProviderTerms(
        hosting_rule=HostingRule(settings.provider.hosting_rule),
        tolerance=settings.provider.tolerance,
        boundary_days=settings.provider.boundary_days,
    )


def month_end(conn: Connection, settings: Settings, month: Month, *, now: datetime) -> MonthEnd:
    r = settings.registrar
    prices = UpstreamPrices(currency=r.price_currency, register=r.register_prices, renew=r.renew_prices)
    terms = terms_from(settings)
    names = _contact_names(conn)
    charges = charges_for(conn, month, boundary_days=terms.boundary_days)
    work = _domain_work(conn, settings, month, names, prices)
    spans, billing = _hosting(conn, settings, month, names)
    recon = reconcile(
        month,
        charges=charges,
        work=work,
        spans=spans,
        billing=billing,
        terms=terms,
        customers=_known_customers(conn, names),
    )
    suffixes = set(r.register_prices) | set(r.renew_prices) | set(settings.hosting.domain_rates)
    margin = margin_for(
        recon,
        currency=settings.worker.home_currency,
        spans=spans,
        billing=billing,
        sales=_setup_sales(conn, month, names),
        ending=endings(suffixes),
    )
    return MonthEnd(
        month=month,
        generated_at=now,
        currency=settings.worker.home_currency,
        hosting_rule=terms.hosting_rule,
        bills=tuple(bills_for(conn, month)),
        charges=len(charges),
        recon=recon,
        margin=margin,
    )
