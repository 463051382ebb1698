"""The setup invoice a held `hosting start` asks for: raised once in Xero; its payment (a setup order, matched like
any other) puts the site live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, update

from rules.money import Money
from rules.words import domain_words
from worker.effects import Checkpoint, Done, Outcome
from worker.effects.books import _pay_with, order_invoice, payment_reference_for
from worker.store.month_end_tables import first_payments

if TYPE_CHECKING:
    from worker.app import App
    from worker.outbox import OutboxRow


def raise_setup_invoice(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    p = row.payload
    domain, plan = str(p["domain"]), str(p["plan"])
    reference = payment_reference_for(row.id)
    draft = order_invoice(
        app,
        contact_id=str(p["contact_id"]),
        # Read back as a setup order: the domain and the plan come out of this text.
        description=f"Setup - {plan} plan - {domain_words(domain)}. {_pay_with(reference)}",
        amount=Money.of(str(p["amount"]), str(p["currency"])),
        item_code=str(p.get("item_code", "")),
        reference=reference,  # as on the worker's other invoices: the exact key a bank payment is matched by
    )
    invoice_id, number = app.accounting.create_invoice(draft, idempotency_key=row.key)
    checkpoint("after_xero_write")

    def record(conn: Connection) -> None:
        conn.execute(
            update(first_payments)
            .where(first_payments.c.id == int(p["request_id"]), first_payments.c.status == "waiting")
            .values(note=f"setup invoice {number} raised")
        )

    return Done(
        result={"invoice_id": invoice_id, "invoice_number": number, "payment_reference": reference}, record=record
    )
