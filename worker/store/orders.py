"""One way to store an Order in the `orders` table and read it back (the receipts' counterpart is receipts.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from rules.model import Contact, Order, OrderKind
from rules.money import Money


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
    )
