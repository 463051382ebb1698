"""One way to store an Order in the `orders` table and read it back (the receipts' counterpart is receipts.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from rules.model import Contact, Order, OrderKind
from rules.money import Money
from rules.settlement import OwedOrder
from worker.store.review_tables import part_payments
from worker.store.tables import orders


def order_values(order: Order) -> dict[str, Any]:
    """The order's columns, except order_id, status, paid_by and updated_at, which the caller decides."""
    c = order.contact
    return {
        "kind": order.kind.value,
        "invoice_id": order.invoice_id,
        "invoice_number": order.invoice_number,
        "contact_id": c.contact_id,
        "contact": {"name": c.name, "first_name": c.first_name, "last_name": c.last_name, "email": c.email},
        "domain": order.domain,
        "amount_due": str(order.amount_due.amount),
        "currency": order.amount_due.currency,
        "issued": order.issued.isoformat(),
        "due": order.due.isoformat(),
        "plan": order.plan,
        "term_years": order.term_years,
        "payment_reference": order.payment_reference,
    }


def order_from_row(row: Any) -> Order:
    contact = row.contact if isinstance(row.contact, Mapping) else {}
    return Order(
        order_id=row.order_id,
        kind=OrderKind(row.kind),
        invoice_number=row.invoice_number,
        invoice_id=row.invoice_id,
        contact=Contact(
            contact_id=row.contact_id,
            name=str(contact.get("name", "")),
            first_name=str(contact.get("first_name", "")),
            last_name=str(contact.get("last_name", "")),
            email=str(contact.get("email", "")),
        ),
        domain=row.domain or "",
        amount_due=Money.of(row.amount_due, row.currency),
        issued=date.fromisoformat(row.issued),
        due=date.fromisoformat(row.due),
        plan=row.plan or "",
        term_years=row.term_years,
        payment_reference=getattr(row, "payment_reference", "") or "",
    )


def part_paid_sums(conn: Connection, order_ids: Iterable[str] | None = None) -> dict[str, Money]:
    """What approved part payments have paid towards each part-paid order so far."""
    query = select(part_payments.c.order_id, part_payments.c.amount, part_payments.c.currency)
    if order_ids is not None:
        query = query.where(part_payments.c.order_id.in_(list(order_ids)))
    sums: dict[str, Money] = {}
    for row in conn.execute(query):
        paid = Money.of(row.amount, row.currency)
        sums[row.order_id] = sums[row.order_id] + paid if row.order_id in sums else paid
    return sums


def owed_from_row(row: Any, paid: Money | None = None) -> OwedOrder:
    """An order row as an approval sees it: a part-paid order owes its amount less what was paid towards it."""
    order = order_from_row(row)
    owed = order.amount_due
    if row.status == "part_paid" and paid is not None and paid.currency == owed.currency:
        owed = owed - paid
    elif row.status not in ("open", "part_paid"):
        owed = Money.zero(owed.currency)  # paid, done, or closed in Xero
    return OwedOrder(
        order_id=order.order_id,
        kind=order.kind,
        invoice_id=order.invoice_id,
        invoice_number=order.invoice_number,
        customer=order.contact.name or order.contact.contact_id,
        owed=owed,
        domain=order.domain,
        plan=order.plan,
        years=order.term_years,
        status=row.status,
        paid_by=row.paid_by or "",
    )


def owed_orders(conn: Connection, order_ids: Iterable[str]) -> dict[str, OwedOrder]:
    """The named orders that exist, as approvals see them (what each still owes now)."""
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        return {}
    rows = conn.execute(select(orders).where(orders.c.order_id.in_(ids))).all()
    paid = part_paid_sums(conn, [r.order_id for r in rows if r.status == "part_paid"])
    return {r.order_id: owed_from_row(r, paid.get(r.order_id)) for r in rows}


def still_owed(order: Order, paid: Money | None) -> Order:
    """The order as matching must see it: a part-paid order owes only the rest."""
    if paid is None or paid.currency != order.amount_due.currency:
        return order
    return replace(order, amount_due=order.amount_due - paid)
