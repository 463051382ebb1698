"""`sync_provider_bills`: the upstream provider's bills (ACCPAY invoices of `[provider] xero_contact`) read from Xero
into the month-end tables: new and edited bills stored whole, voided or deleted ones forgotten, drafts left until
they are approved."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from worker.bills import charges_from_bill, forget_bill, store_bill
from worker.jobs.xero_sync import _read_mark as read_mark
from worker.jobs.xero_sync import _write_mark as write_mark

if TYPE_CHECKING:
    from worker.app import App

log = structlog.get_logger(__name__)
WATERMARK = "xero.provider_bills"
LIVE = frozenset({"SUBMITTED", "AUTHORISED", "PAID"})  # a draft is not the provider's bill yet


def sync_provider_bills(app: App) -> dict[str, int | str]:
    contact = app.settings.provider.xero_contact
    if not contact:
        return {"skipped": "no [provider] xero_contact"}
    with app.engine.connect() as conn:
        since = read_mark(conn, WATERMARK)
    page = app.accounting.supplier_bills(contact, since=since)
    plans = frozenset(app.settings.provider.hosting_prices) | frozenset(app.settings.hosting.plans)
    counts = {"new": 0, "replaced": 0, "same": 0, "forgotten": 0, "lines": 0}
    now = app.clock()
    with app.engine.begin() as conn:
        for bill in page.bills:
            if bill.status not in LIVE:
                if forget_bill(conn, f"xero:{bill.bill_id}"):
                    counts["forgotten"] += 1
                    log.info("provider_bill_forgotten", bill=bill.number, status=bill.status)
                continue
            header, charges = charges_from_bill(bill, app.settings.provider, plans)
            outcome = store_bill(conn, header, charges, now=now, xero_updated=bill.updated)
            counts[outcome] += 1
            if outcome != "same":
                counts["lines"] += len(charges)
                log.info("provider_bill_read", bill=header.reference, month=str(header.month), lines=len(charges))
        write_mark(conn, WATERMARK, page.watermark, now)
    return {key: value for key, value in counts.items()}
