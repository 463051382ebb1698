"""Effects in the accountant's books (through the Accounting port): the payment on the invoice for a matched
receipt, a History note when a domain is registered or renewed, a renewal invoice before a domain expires, and
the invoice for a new domain order entered through the CLI.

Each checks before acting where the port can say (is this payment already on the invoice?) and always passes the
outbox key on as Xero's Idempotency-Key."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, update

from config.settings import Settings
from integrations.ports import ContactDraft, InvoiceDraft, InvoiceLine, PaymentDraft, fit_history_note
from rules.model import Receipt
from rules.money import Money
from rules.payment_references import BASE
from worker.domains import domain_row
from worker.effects import Checkpoint, Done, Failed, Outcome
from worker.store.outbox_tables import domains

if TYPE_CHECKING:
    from worker.app import App
    from worker.outbox import OutboxRow


def payment_reference_for(row_id: int) -> str:
    """The payment reference with a check digit for the invoice an outbox row raises: the row's number on the base
    (rules.payment_references), then its Damm digit (python-stdnum). Eight digits: it fits a 12-character NZ bank
    field. The same row always gives the same reference, so a retried invoice carries it too."""
    from stdnum import damm

    body = str(BASE + row_id % BASE)
    return body + str(damm.calc_check_digit(body))


def _pay_with(reference: str) -> str:
    return f"Please pay with reference {reference}"


def _references(receipt: Receipt) -> set[str]:
    refs = {value.strip() for name, value in receipt.text if name == "reference" and value.strip()}
    if receipt.gateway_txn_id:
        refs.add(receipt.gateway_txn_id)
    return refs


def record_payment(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    p = row.payload
    amount = Money.of(str(p["amount"]), str(p["currency"]))
    reference, invoice_id = str(p["reference"]), str(p["invoice_id"])
    # A deleted payment is no payment: someone removed it in Xero, so it is recorded again.
    existing = [pay for pay in app.accounting.payments_on_invoice(invoice_id) if "deleted" not in pay.flags]
    for payment in existing:
        if reference in _references(payment) and payment.money.same_value(amount):
            # Recorded before (the reply or our record of it was lost), or Xero took this very payment itself.
            return Done(result={"payment_id": payment.receipt_id, "already_in_xero": True})
    lookalikes = [pay for pay in existing if pay.money.same_value(amount)]
    if lookalikes:
        refs = ", ".join(sorted(r for pay in lookalikes for r in _references(pay)) or ["no reference"])
        return Failed(
            reason=f"Invoice {p.get('invoice_number', invoice_id)} already has a payment of {amount} ({refs}) that "
            f"may be the same money as receipt {p['receipt_id']} ({reference}); not recording it twice.",
            suggested_action="Compare the two in Xero; if they are different payments, record receipt "
            f"{p['receipt_id']} on the invoice by hand with reference {reference}.",
        )
    account = payment_account(app.settings, str(p.get("gateway") or ""))
    payment_id = app.accounting.record_payment(
        PaymentDraft(
            invoice_id=invoice_id,
            amount=amount,
            paid_on=date.fromisoformat(str(p["paid_on"])),
            reference=reference,
            # An approval names the account it showed the person; others go where the payment service says.
            account_code=str(p.get("account_code") or account),
        ),
        idempotency_key=row.key,
    )
    checkpoint("after_xero_write")
    return Done(result={"payment_id": payment_id, "account": account})


def payment_account(settings: Settings, gateway: str) -> str:
    """Where a payment is recorded: a card payment on its service's clearing account (emptied by the service's
    payouts), a bank receipt or a payment through a service that is not set up on the bank account."""
    return settings.gateways.clearing_account(gateway) or settings.xero.bank_account_code


def add_history_note(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    invoice_id, note = str(row.payload["invoice_id"]), str(row.payload["note"])
    # An earlier attempt may have written it and died before recording that (Xero keeps Idempotency-Keys only for
    # a while): look first. The first attempt cannot have, so it costs no extra call.
    if row.attempts > 1 and fit_history_note(note) in {
        fit_history_note(n) for n in app.accounting.history_notes(invoice_id)
    }:
        return Done(result={"noted": True, "already": True})
    app.accounting.add_history_note(invoice_id, note, idempotency_key=row.key)
    checkpoint("after_xero_write")
    return Done(result={"noted": True})


def raise_renewal_invoice(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    p = row.payload
    domain, expires = str(p["domain"]), date.fromisoformat(str(p["expires"]))
    with app.engine.connect() as conn:
        known = domain_row(conn, domain)
    if known is None or known.status != "active":
        return Done(result={"skipped": "domain no longer held"})
    if known.renewal_invoiced_for == expires and known.renewal_invoice_id:
        return Done(result={"invoice_id": known.renewal_invoice_id, "already": True})
    if known.expires != expires:
        return Done(result={"skipped": f"expiry moved to {known.expires}; a new invoice follows if due"})
    today = app.clock().date()
    years = int(p.get("years", 1))
    price = Money.of(str(p["amount"]), str(p["currency"]))
    reference = payment_reference_for(row.id)
    draft = InvoiceDraft(
        contact_id=str(p["contact_id"]),
        lines=(
            InvoiceLine(
                description=f"Renewal of {domain} for {years} year(s) from {expires}. {_pay_with(reference)}",
                quantity=Decimal(years),
                unit_amount=price,
                item_code=str(p.get("item_code", "")),
                account_code=app.settings.hosting.account_code,
            ),
        ),
        issued=today,
        due=min(today + timedelta(days=app.settings.hosting.invoice_due_days), expires),
        reference=reference,  # what the customer types into the bank's reference field; matching's exact key
    )
    invoice_id, number = app.accounting.create_invoice(draft, idempotency_key=row.key)
    checkpoint("after_xero_write")

    def record(conn: Connection) -> None:
        conn.execute(
            update(domains)
            .where(domains.c.domain == domain)
            .values(renewal_invoiced_for=expires, renewal_invoice_id=invoice_id, updated_at=app.clock())
        )

    result = {"invoice_id": invoice_id, "invoice_number": number, "payment_reference": reference}
    return Done(result=result, record=record)


def raise_order_invoice(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    """The invoice for a new domain order (`orders new`); once paid, sync_xero reads it back as an order and the
    payment registers the domain. The contact is found by e-mail before one is created."""
    p = row.payload
    domain, years = str(p["domain"]), int(p["years"])
    contact_id = str(p.get("contact_id") or "")
    contact_note = ""
    if not contact_id:
        match = app.accounting.find_or_create_contact(
            ContactDraft(name=str(p["contact_name"]), email=str(p.get("contact_email") or "")),
            idempotency_key=f"{row.key[:119]}:contact",
        )
        contact_id, contact_note = match.contact_id, match.note
        checkpoint("after_xero_write")
    reference = payment_reference_for(row.id)
    draft = order_invoice(
        app,
        contact_id=contact_id,
        # The domain is read back out of this line when the invoice becomes an order.
        description=f"Domain registration - {domain} - {years} year"
        + ("s" if years != 1 else "")
        + f". {_pay_with(reference)}",
        amount=Money.of(str(p["amount"]), str(p["currency"])),
        item_code=str(p.get("item_code", "")),
        reference=reference,  # what the customer types into the bank's reference field; matching's exact key
    )
    invoice_id, number = app.accounting.create_invoice(draft, idempotency_key=row.key)
    checkpoint("after_xero_write")
    result = {
        "invoice_id": invoice_id,
        "invoice_number": number,
        "contact_id": contact_id,
        "payment_reference": reference,
    }
    if contact_note:
        result["contact_note"] = contact_note  # e.g. the customer's name was taken, so the contact's name was extended
    return Done(result=result)


def order_invoice(
    app: App, *, contact_id: str, description: str, amount: Money, item_code: str, reference: str
) -> InvoiceDraft:
    """A one-line invoice for something a customer ordered, raised today and due after `[hosting] invoice_due_days`;
    its line text is what the order is read back from."""
    today = app.clock().date()
    return InvoiceDraft(
        contact_id=contact_id,
        lines=(
            InvoiceLine(
                description=description,
                quantity=Decimal(1),
                unit_amount=amount,
                item_code=item_code,
                account_code=app.settings.hosting.account_code,
            ),
        ),
        issued=today,
        due=today + timedelta(days=app.settings.hosting.invoice_due_days),
        reference=reference,
    )
