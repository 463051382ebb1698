"""`sync_xero`: gather what Xero knows into the worker's tables: open orders, payments and bank lines.

Orders are upserted (an order we already settled is never reopened or overwritten); invoices that turned
PAID/VOIDED/DELETED in Xero close their still-open orders unless a Xero payment for them awaits matching;
receipts are inserted once by receipt_id. Watermarks are stored in the same transaction as the rows they cover,
so a crash re-reads rather than skips.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import Connection, select, update

from integrations.errors import RateLimited
from rules.model import Order, Receipt, ReceiptSource
from worker.jobs.runner import NOT_DELIVERED
from worker.store.orders import order_values
from worker.store.receipts import receipt_payload
from worker.store.tables import orders, receipts, watermarks

if TYPE_CHECKING:
    from worker.app import App

log = structlog.get_logger(__name__)

WATERMARKS = {"orders": "xero.invoices", "payments": "xero.payments", "bank": "xero.bank_lines"}


def _read_mark(conn: Connection, name: str) -> datetime | None:
    value = conn.execute(select(watermarks.c.value).where(watermarks.c.name == name)).scalar_one_or_none()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        log.warning("watermark_unreadable", name=name)
        return None


def _write_mark(conn: Connection, name: str, value: datetime | None, now: datetime) -> None:
    if value is None:
        return
    done = conn.execute(
        update(watermarks).where(watermarks.c.name == name).values(value=value.isoformat(), updated_at=now)
    )
    if done.rowcount == 0:
        conn.execute(watermarks.insert().values(name=name, value=value.isoformat(), updated_at=now))


def upsert_orders(conn: Connection, found: Sequence[Order], now: datetime) -> tuple[int, int]:
    """(new, updated). Only orders still `open` are refreshed from Xero; settled ones are ours."""
    new = updated = 0
    for order in found:
        status = conn.execute(select(orders.c.status).where(orders.c.order_id == order.order_id)).scalar_one_or_none()
        if status is None:
            conn.execute(
                orders.insert().values(order_id=order.order_id, status="open", updated_at=now, **order_values(order))
            )
            new += 1
        elif status == "open":
            conn.execute(
                update(orders).where(orders.c.order_id == order.order_id).values(updated_at=now, **order_values(order))
            )
            updated += 1
    return new, updated


def close_orders(conn: Connection, invoice_ids: Sequence[str], now: datetime) -> int:
    """Open orders whose invoice was paid, voided or deleted in Xero are closed, except where an undecided Xero
    payment names the invoice: then the customer paid through Xero and matching settles (and acts on) the order."""
    if not invoice_ids:
        return 0
    pending = {
        str((payload or {}).get("invoice_id", ""))
        for payload in conn.execute(
            select(receipts.c.payload).where(
                receipts.c.source == ReceiptSource.XERO_PAYMENT.value, receipts.c.status == "new"
            )
        ).scalars()
        if isinstance(payload, dict)
    }
    to_close = [i for i in invoice_ids if i not in pending]
    if not to_close:
        return 0
    result = conn.execute(
        update(orders)
        .where(orders.c.invoice_id.in_(to_close), orders.c.status.in_(("open", "part_paid")))
        .values(status="closed", updated_at=now)
    )
    return int(result.rowcount or 0)


def insert_receipts(conn: Connection, found: Sequence[Receipt], now: datetime) -> int:
    new = 0
    for receipt in found:
        known = conn.execute(select(receipts.c.receipt_id).where(receipts.c.receipt_id == receipt.receipt_id)).first()
        if known is not None:
            continue
        conn.execute(
            receipts.insert().values(
                receipt_id=receipt.receipt_id,
                source=receipt.source.value,
                received_at=receipt.received_at,
                amount=str(receipt.money.amount),
                currency=receipt.money.currency,
                gateway=receipt.gateway,
                gateway_txn_id=receipt.gateway_txn_id,
                payload=receipt_payload(receipt),
                status="new",
                created_at=now,
            )
        )
        new += 1
    return new


def sync_xero(app: App) -> dict[str, int | str]:
    """Pull changed invoices, payments and bank lines; returns what changed.

    Orders and payments are stored in one transaction (with both watermarks), so an invoice that turned PAID is
    closed only when its payment has been seen. A rate limit ends the run with what is stored; a day limit parks
    the adapter until Xero's Retry-After."""
    counts: dict[str, int | str] = {
        "orders_new": 0,
        "orders_updated": 0,
        "orders_closed": 0,
        "payments_new": 0,
        "bank_lines_new": 0,
    }
    accounting = app.accounting
    try:
        with app.engine.connect() as conn:
            marks = {feed: _read_mark(conn, name) for feed, name in WATERMARKS.items()}
        page = accounting.open_orders(since=marks["orders"])
        try:
            paid = accounting.payments(since=marks["payments"])
        except RateLimited:
            # Keep the orders, but not their closures nor the watermark: next time both come again, together.
            with app.engine.begin() as conn:
                counts["orders_new"], counts["orders_updated"] = upsert_orders(conn, page.orders, app.clock())
            raise
        with app.engine.begin() as conn:
            now = app.clock()
            counts["orders_new"], counts["orders_updated"] = upsert_orders(conn, page.orders, now)
            counts["payments_new"] = insert_receipts(conn, paid.receipts, now)
            counts["orders_closed"] = close_orders(conn, page.closed_invoice_ids, now)
            _write_mark(conn, WATERMARKS["orders"], page.watermark, now)
            _write_mark(conn, WATERMARKS["payments"], paid.watermark, now)
        lines = accounting.bank_lines(since=marks["bank"])
        with app.engine.begin() as conn:
            now = app.clock()
            counts["bank_lines_new"] = insert_receipts(conn, lines.receipts, now)
            _write_mark(conn, WATERMARKS["bank"], lines.watermark, now)
    except RateLimited as exc:
        counts["rate_limited"] = exc.limit
        counts["retry_after_s"] = int(exc.retry_after)
        # Whatever was stored, the sync did not finish: health and status say so instead of "ok".
        counts[NOT_DELIVERED] = f"Xero's {exc.limit} rate limit (429); retry after {int(exc.retry_after)} s"
        log.warning("xero_sync_rate_limited", limit=exc.limit, retry_after=exc.retry_after)
    # What Xero last said of the quota, kept with the run so `status` can show it from another process.
    quota = accounting.quota()
    if quota.day_remaining is not None:
        counts["day_remaining"] = quota.day_remaining
    if quota.minute_remaining is not None:
        counts["minute_remaining"] = quota.minute_remaining
    if quota.parked_until is not None:
        counts["parked_until"] = quota.parked_until.isoformat()
    return counts
