"""Xero JSON (plain dicts) to the worker's values: open invoices to orders, bank transactions to receipts.

Payments and statement lines use the Matching area's `rules.sources` functions, so replay and daemon agree.
One order per invoice line whose item code names an order kind: the order id is the invoice number, with
`/2`, `/3`... for the second and later such lines of one invoice (stable while the invoice is not re-ordered).
A one-order invoice owes the invoice's AmountDue (so part payments count); a line of a several-order invoice
owes its line total.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import idna

from integrations.ports import SupplierBill, SupplierBillLine
from rules.model import Contact, Order, OrderKind, Receipt, ReceiptSource
from rules.money import CENT, Money
from rules.payment_references import find_payment_references
from rules.sources import SourceError, parse_amount, parse_xero_date

# A domain name in free text: labels of letters, digits and hyphens, a TLD of letters. An internationalised name
# may be written either way, in Unicode as the worker writes it on invoices for people ("münchen.de") or as
# punycode; it is read back in its IDNA form, the one stored and sent to the registrar.
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_DOMAIN = re.compile(rf"\b((?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{2,59}}))\b", re.I)
_PLAN = re.compile(r"\b([A-Za-z][\w+ -]{0,30}?)\s+plan\b|\bplan[:\s]+([A-Za-z][\w+-]{0,30})", re.I)
_YEARS = re.compile(r"\b(\d{1,2})\s*(?:years?|yrs?)\b", re.I)


def domain_in(text: str) -> str:
    """The first domain name in `text`, lower-cased; '' when there is none (e-mail addresses are skipped)."""
    for m in _DOMAIN.finditer(text):
        if m.start() > 0 and text[m.start() - 1] == "@":
            continue
        found = m.group(1).lower().rstrip(".")
        if found.isascii():
            return found
        try:  # IDNA 2008 with the UTS #46 mapping, as worker.domain_names stores a typed name
            return str(idna.encode(found, uts46=True, transitional=False).decode("ascii"))
        except idna.IDNAError:
            continue  # Unicode that is no domain name
    return ""


def plan_in(text: str) -> str:
    m = _PLAN.search(text)
    if m is None:
        return ""
    return (m.group(1) or m.group(2) or "").strip(" -").split(" - ")[-1].strip()


def term_years(line: Mapping[str, Any], kind: OrderKind) -> int:
    """Domains: the years named in the text, else the quantity when it is a whole number of years."""
    if kind not in (OrderKind.DOMAIN_REGISTRATION, OrderKind.DOMAIN_RENEWAL):
        return 1
    m = _YEARS.search(str(line.get("Description") or ""))
    if m:
        return max(1, int(m.group(1)))
    try:
        qty = Decimal(str(line.get("Quantity", 1)))
    except ArithmeticError:
        return 1
    return int(qty) if qty == qty.to_integral_value() and 1 <= qty <= 10 else 1


def _day(value: Any, fallback: date) -> date:
    try:
        return parse_xero_date(value).date()
    except SourceError:
        return fallback


def orders_from_invoice(invoice: Mapping[str, Any], contact: Contact, item_codes: Mapping[str, str]) -> list[Order]:
    """The orders an AUTHORISED ACCREC invoice stands for; [] when none of its lines has a known item code."""
    lines = [line for line in invoice.get("LineItems") or () if isinstance(line, Mapping)]
    ours: list[tuple[Mapping[str, Any], OrderKind]] = []
    for line in lines:
        kind = item_codes.get(str(line.get("ItemCode") or ""), "")
        if kind in {k.value for k in OrderKind}:
            ours.append((line, OrderKind(kind)))
    if not ours:
        return []
    currency = str(invoice.get("CurrencyCode") or "NZD").upper()
    issued = _day(invoice.get("Date"), date.today())
    due = _day(invoice.get("DueDate"), issued)
    number = str(invoice.get("InvoiceNumber") or invoice.get("InvoiceID"))
    reference = str(invoice.get("Reference") or "")
    # A reference with a check digit the worker set when it raised the invoice: matching's exact key.
    payment_reference = next((r.token for r in find_payment_references(reference) if r.valid), "")
    orders: list[Order] = []
    for n, (line, kind) in enumerate(ours, start=1):
        text = str(line.get("Description") or "")
        if len(ours) == 1:
            owed = parse_amount(invoice.get("AmountDue", line.get("LineAmount", 0)))
        else:
            owed = parse_amount(line.get("LineAmount", 0)) + parse_amount(line.get("TaxAmount", 0) or 0)
            if str(invoice.get("LineAmountTypes", "")).lower() == "inclusive":
                owed = parse_amount(line.get("LineAmount", 0))
        orders.append(
            Order(
                order_id=number if n == 1 else f"{number}/{n}",
                kind=kind,
                invoice_number=number,
                invoice_id=str(invoice["InvoiceID"]),
                contact=contact,
                domain=domain_in(text) or domain_in(reference),
                amount_due=Money(amount=owed.quantize(CENT), currency=currency),
                issued=issued,
                due=due,
                plan=plan_in(text) if kind in (OrderKind.HOSTING, OrderKind.SETUP) else "",
                term_years=term_years(line, kind),
                payment_reference=payment_reference,
            )
        )
    return orders


def contact_from_json(c: Mapping[str, Any]) -> Contact:
    return Contact(
        contact_id=str(c.get("ContactID") or ""),
        name=str(c.get("Name") or ""),
        first_name=str(c.get("FirstName") or ""),
        last_name=str(c.get("LastName") or ""),
        email=str(c.get("EmailAddress") or ""),
    )


def bank_transaction_receipt(bt: Mapping[str, Any]) -> Receipt:
    """A RECEIVE bank transaction (what a reconciled bank line becomes when there is no Finance API)."""
    btid = str(bt.get("BankTransactionID") or "")
    if not btid:
        raise SourceError("bank transaction without BankTransactionID")
    contact = bt.get("Contact") or {}
    # Not flagged "reconciled": every bank transaction is; this feed exists to show money coded as "receive
    # money" that may still pay an open order.
    flags: list[str] = []
    if str(bt.get("Status") or "").upper() in ("DELETED", "VOIDED"):
        flags.append("deleted")
    reference = str(bt.get("Reference") or "").strip()
    descriptions = [
        str(li.get("Description") or "").strip() for li in bt.get("LineItems") or () if isinstance(li, Mapping)
    ]
    text = ((("reference", reference),) if reference else ()) + tuple(("line", d) for d in descriptions if d)
    kind = str(bt.get("Type") or "").upper()
    return Receipt(
        receipt_id=btid,
        source=ReceiptSource.BANK_LINE,
        received_at=parse_xero_date(bt.get("Date") or bt.get("UpdatedDateUTC")),
        money=Money(amount=parse_amount(bt.get("Total", 0)), currency=str(bt.get("CurrencyCode") or "NZD").upper()),
        payer_name=str(contact.get("Name") or "") if isinstance(contact, Mapping) else "",
        text=text,
        raw_kind="CREDIT" if kind.startswith("RECEIVE") else "DEBIT",
        flags=tuple(flags),
    )


def supplier_bill(invoice: Mapping[str, Any]) -> SupplierBill:
    """An ACCPAY invoice (a supplier's bill) with each line's amount excluding tax; SourceError when its date or an
    amount cannot be read."""
    currency = str(invoice.get("CurrencyCode") or "NZD").upper()
    inclusive = str(invoice.get("LineAmountTypes", "")).lower() == "inclusive"
    lines: list[SupplierBillLine] = []
    for line in invoice.get("LineItems") or ():
        if not isinstance(line, Mapping):
            continue
        amount = parse_amount(line.get("LineAmount", 0))
        if inclusive:
            amount -= parse_amount(line.get("TaxAmount", 0) or 0)
        lines.append(
            SupplierBillLine(
                description=str(line.get("Description") or ""),
                amount=Money(amount=amount.quantize(CENT), currency=currency),
                item_code=str(line.get("ItemCode") or ""),
            )
        )
    updated = invoice.get("UpdatedDateUTC")
    return SupplierBill(
        bill_id=str(invoice["InvoiceID"]),
        number=str(invoice.get("InvoiceNumber") or ""),
        reference=str(invoice.get("Reference") or ""),
        issued=parse_xero_date(invoice.get("Date")).date(),
        status=str(invoice.get("Status") or ""),
        updated=parse_xero_date(updated).isoformat() if updated else "",
        currency=currency,
        lines=tuple(lines),
    )
