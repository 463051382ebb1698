"""Effects in the accountant's books (through the Accounting port): the payment on the invoice for a matched
receipt, a History note when a domain is registered or renewed, a renewal invoice before a domain expires, and
the invoice for a new domain order entered through the CLI.

Each checks before acting where the port can say (is this payment already on the invoice?) and always passes the
outbox key on as Xero's Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update

from config.settings import Settings
from integrations.errors import AmountExceedsDue, TransientError
from integrations.ports import ContactDraft, InvoiceDraft, InvoiceLine, PaymentDraft, fit_history_note
from rules.model import Receipt
from rules.money import Money
from rules.payment_references import BASE
from rules.words import domain_words, money_words
from worker.domains import domain_row
from worker.effects import Checkpoint, Done, Failed, Outcome
from worker.outbox import revise_payload
from worker.store.outbox_tables import domains
from worker.store.review_items import raise_review_item
from worker.store.tables import orders

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
            return Done(result={"payment_id": payment.receipt_id, "already_in_xero": True}, record=_credit(app, row))
    # The same money recorded by someone else looks like the money that arrived, not the part of it still owed.
    received = Money.of(str(p.get("received_amount") or p["amount"]), str(p["currency"]))
    lookalikes = [pay for pay in existing if pay.money.same_value(received)]
    if lookalikes:
        refs = ", ".join(sorted(r for pay in lookalikes for r in _references(pay)) or ["no reference"])
        return Failed(
            reason=f"Invoice {p.get('invoice_number', invoice_id)} already has a payment of {received} ({refs}) that "
            f"may be the same money as receipt {p['receipt_id']} ({reference}); not recording it twice.",
            suggested_action="Compare the two in Xero; if they are different payments, record receipt "
            f"{p['receipt_id']} on the invoice by hand with reference {reference}.",
        )
    # Check before acting: Xero refuses a payment above what the invoice still owes (OAS Payment.Amount: "Must be
    # less than or equal to the outstanding amount owing"), e.g. when it was part-paid elsewhere since it was read.
    due = app.accounting.invoice_amount_due(invoice_id)
    if due is not None and due.currency == amount.currency and amount.amount > due.amount:
        return _pay_what_is_owed(app, row, owed=due, checkpoint=checkpoint)
    account = payment_account(app.settings, str(p.get("gateway") or ""))
    try:
        payment_id = _write_payment(app, row, amount, account)
    except AmountExceedsDue as exc:
        # Paid elsewhere between the check and the write: what Xero says is owing now is what is recorded.
        if not exc.amount_due:
            raise
        return _pay_what_is_owed(app, row, owed=Money.of(exc.amount_due, amount.currency), checkpoint=checkpoint)
    checkpoint("after_xero_write")
    result = {"payment_id": payment_id, "account": account}
    if "received_amount" in p:
        result["received"] = str(p["received_amount"])
    return Done(result=result, record=_credit(app, row))


def _write_payment(app: App, row: OutboxRow, amount: Money, account: str) -> str:
    p = row.payload
    return app.accounting.record_payment(
        PaymentDraft(
            invoice_id=str(p["invoice_id"]),
            amount=amount,
            paid_on=date.fromisoformat(str(p["paid_on"])),
            reference=str(p["reference"]),
            # An approval names the account it showed the person; others go where the payment service says.
            account_code=str(p.get("account_code") or account),
        ),
        # The amount owed is its own write: the refused full amount must never be replayed under the same key.
        idempotency_key=row.key if "received_amount" not in p else f"{row.key[:100]}:owed:{amount.amount}",
    )


def _pay_what_is_owed(app: App, row: OutboxRow, *, owed: Money, checkpoint: Checkpoint) -> Outcome:
    """Record only what the invoice still owes and keep the rest as a credit for the reseller to refund or apply.
    The decision is written into the row before Xero is asked, so a retry after a crash repeats it (and finds the
    payment by its amount) instead of taking the smaller payment for someone else's."""
    p = row.payload
    received = Money.of(str(p.get("received_amount") or p["amount"]), str(p["currency"]))
    owed = owed if owed.amount > 0 else Money.zero(received.currency)
    revised = revise_payload(
        app.engine,
        row,
        {"amount": str(owed.amount), "received_amount": str(received.amount)},
    )
    if revised is None:
        raise TransientError("the outbox row was taken over while its payment was being decided", system="outbox")
    if owed.amount == 0:
        # Nothing is owed any more: no payment (Xero would refuse one of zero); all of it is credit.
        return Done(result={"recorded": "0", "credit": str(received.amount)}, record=_credit(app, revised))
    return record_payment(app, revised, checkpoint)


def _credit(app: App, row: OutboxRow) -> Callable[[Connection], None] | None:
    """For a payment cut down to what was owed: the review item for the rest (kind `credit`, as an approved
    overpayment's), raised in the transaction that marks the payment done."""
    p = row.payload
    if "received_amount" not in p:
        return None
    received = Money.of(str(p["received_amount"]), str(p["currency"]))
    recorded = Money.of(str(p["amount"]), str(p["currency"]))
    extra = received - recorded
    if extra.amount <= 0:
        return None

    def record(conn: Connection) -> None:
        order = conn.execute(
            select(orders.c.contact_id, orders.c.contact).where(orders.c.order_id == str(p.get("order_id", "")))
        ).first()
        contact_id = order.contact_id if order is not None else ""
        customer = str((order.contact or {}).get("name", "")) if order is not None else ""
        number = str(p.get("invoice_number") or p["invoice_id"])
        owing = f"still owed {money_words(recorded)}" if recorded.amount else "was already paid in full"
        raise_review_item(
            conn,
            kind="credit",
            subject=f"credit:{row.key}",
            reason=f"Receipt {p['receipt_id']} brought {money_words(received)} for {number}, which {owing} in Xero "
            f"(paid elsewhere meanwhile?): {money_words(recorded)} was recorded on it and {money_words(extra)} is "
            f"left over{' from ' + customer if customer else ''}.",
            suggested_action="Refund it, or apply it to another order of this customer.",
            now=app.clock(),
            candidates=[
                r.order_id
                for r in conn.execute(
                    select(orders.c.order_id)
                    .where(orders.c.contact_id == contact_id, orders.c.status.in_(("open", "part_paid")))
                    .order_by(orders.c.due, orders.c.order_id)
                    .limit(5)
                )
            ]
            if contact_id
            else [],
            detail={
                "receipt_id": str(p["receipt_id"]),
                "amount": str(extra.amount),
                "currency": extra.currency,
                "contact_id": contact_id,
                "customer": customer,
                "invoice_number": number,
                "from_action": row.key,
            },
        )

    return record


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
    today = app.settings.worker.business_day(app.clock())
    years = int(p.get("years", 1))
    price = Money.of(str(p["amount"]), str(p["currency"]))
    reference = payment_reference_for(row.id)
    draft = InvoiceDraft(
        contact_id=str(p["contact_id"]),
        lines=(
            InvoiceLine(
                description=f"Renewal of {domain_words(domain)} for {years} year(s) from {expires}. "
                f"{_pay_with(reference)}",
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
        description=f"Domain registration - {domain_words(domain)} - {years} year"
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
    today = app.settings.worker.business_day(app.clock())
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
