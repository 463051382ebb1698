"""`raise_renewals`: a renewal invoice for each domain expiring within the configured days, once per domain and
term; `sync_registrar`: the daily check of each domain's expiry and status at the registrar."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import or_, select

from integrations.errors import IntegrationError
from integrations.registrar.manual import MANUAL_STATUS
from integrations.registrar.terms import tld_of
from rules.suffixes import by_suffix
from rules.words import domain_named
from worker.domains import set_expiry
from worker.outbox import effect_key, enqueue
from worker.store.outbox_tables import domains
from worker.store.review_items import raise_review_item

if TYPE_CHECKING:
    from worker.app import App

log = structlog.get_logger(__name__)

GRACE_DAYS = 30  # a domain that expired this recently can still be renewed, so it still gets an invoice
SYNC_BATCH = 50  # domains asked per run, least recently synced first


def _renewal_rate(app: App, row: object) -> tuple[Decimal, str] | None:
    sell_amount, sell_currency = getattr(row, "sell_amount", ""), getattr(row, "sell_currency", "")
    if sell_amount and sell_currency:
        return Decimal(sell_amount), sell_currency
    rate = by_suffix(app.settings.hosting.domain_rates, str(getattr(row, "domain", "")))
    return None if rate is None else (rate, app.settings.worker.home_currency)


def item_code_for(app: App, kind: str) -> str:
    """The Xero item code configured for an order kind ([xero] item_codes), "" when none is."""
    return next((code for code, mapped in app.settings.xero.item_codes.items() if mapped == kind), "")


def raise_renewals(app: App) -> dict[str, int | str]:
    now = app.clock()
    today = app.settings.worker.business_day(now)
    horizon = today + timedelta(days=app.settings.hosting.renewal_days_ahead)
    counts = {"due": 0, "queued": 0, "already": 0, "review": 0}
    with app.engine.begin() as conn:
        due = conn.execute(
            select(domains)
            .where(
                domains.c.status == "active",
                domains.c.expires.is_not(None),
                domains.c.expires <= horizon,
                domains.c.expires >= today - timedelta(days=GRACE_DAYS),
                or_(domains.c.renewal_invoiced_for.is_(None), domains.c.renewal_invoiced_for != domains.c.expires),
            )
            .order_by(domains.c.expires)
        ).all()
        for row in due:
            counts["due"] += 1
            rate = _renewal_rate(app, row)
            if rate is None or not row.contact_id:
                missing = "a Xero contact" if not row.contact_id else f"a renewal rate for .{tld_of(row.domain)[1]}"
                raised = raise_review_item(
                    conn,
                    kind="renewal_blocked",
                    subject=f"{row.domain}:{row.expires}",
                    now=now,
                    reason=f"{domain_named(row.domain)} expires {row.expires}; no renewal invoice can be "
                    f"raised: missing {missing}.",
                    suggested_action="Raise the renewal invoice by hand, or add the rate under [hosting] domain_rates.",
                )
                counts["review"] += int(raised)
                continue
            amount, currency = rate
            key = effect_key("renewal_invoice", row.domain, row.expires.isoformat())
            payload = {
                "domain": row.domain,
                "expires": row.expires.isoformat(),
                "years": 1,
                "amount": str(amount),
                "currency": currency,
                "contact_id": row.contact_id,
                # The item code sync_xero reads back as a renewal order, so paying it renews the domain.
                "item_code": item_code_for(app, "domain_renewal"),
            }
            if enqueue(conn, key=key, kind="renewal_invoice", payload=payload, now=now):
                counts["queued"] += 1
            else:
                counts["already"] += 1
    return dict(counts)


def sync_registrar(app: App) -> dict[str, int | str]:
    """Refresh expiry and status for the least recently synced domains; a domain the registrar no longer lists as
    ours, or whose expiry moved backwards, becomes a review item."""
    now = app.clock()
    counts = {"checked": 0, "changed": 0, "gone": 0, "manual": 0, "errors": 0}
    with app.engine.connect() as conn:
        batch = conn.execute(
            select(domains.c.domain, domains.c.expires, domains.c.status)
            .where(domains.c.status == "active")
            .order_by(domains.c.synced_at.is_not(None), domains.c.synced_at, domains.c.domain)
            .limit(SYNC_BATCH)
        ).all()
    for row in batch:
        try:
            details = app.registrar.details(row.domain)
        except IntegrationError as exc:
            counts["errors"] += 1
            log.warning("registrar_sync_failed", domain=row.domain, error=str(exc))
            continue
        if details.status == MANUAL_STATUS:
            counts["manual"] += 1  # nothing to ask: the manual registrar only knows our own record
            continue
        counts["checked"] += 1
        with app.engine.begin() as conn:
            if not details.ours:
                counts["gone"] += 1
                set_expiry(conn, row.domain, expires=row.expires, status="transferred_out", now=now)
                raise_review_item(
                    conn,
                    kind="domain_gone",
                    subject=row.domain,
                    now=now,
                    reason=f"{domain_named(row.domain)} is no longer in the registrar account (expected expiry "
                    f"{row.expires}).",
                    suggested_action="Check whether it was transferred away or deleted; stop its renewal invoices.",
                )
                continue
            if details.expires != row.expires:
                counts["changed"] += 1
                log.info("domain_expiry_changed", domain=row.domain, was=str(row.expires), now=str(details.expires))
                if details.expires is not None and row.expires is not None and details.expires < row.expires:
                    raise_review_item(
                        conn,
                        kind="expiry_drift",
                        subject=f"{row.domain}:{details.expires}",
                        now=now,
                        reason=f"{domain_named(row.domain)} expires {details.expires} at the registrar; we had "
                        f"{row.expires}.",
                        suggested_action="Check the domain at the registrar; a renewal may not have gone through.",
                    )
            set_expiry(conn, row.domain, expires=details.expires, status="active", now=now)
    return dict(counts)


__all__ = ["raise_renewals", "sync_registrar"]
