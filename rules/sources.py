"""Receipts from Xero's own JSON: a Finance API statement line (camelCase) and an Accounting API Payment
(PascalCase, `/Date(ms+0000)/` dates). Plain dicts in, so the Xero adapter can pass serialised SDK objects.

Bad input raises `SourceError` with what was wrong; callers turn that into a review item, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from rules.model import Contact, Order, OrderKind, Receipt, ReceiptSource
from rules.money import Money
from rules.references import Patterns, bank_columns, builtin_patterns, payer_after_prefix


class SourceError(ValueError):
    """A record from Xero or a corpus could not be read into a receipt or an order."""


_XERO_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def parse_amount(value: Any) -> Decimal:
    """An amount as Xero's JSON gives it (number or string, '1,234.50' too) as an exact Decimal: a float is
    read through its shortest repr, so 116.1 stays 116.1."""
    if isinstance(value, bool) or value is None:
        raise SourceError(f"not an amount: {value!r}")
    text = repr(value) if isinstance(value, float) else str(value)
    text = text.strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise SourceError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise SourceError(f"not an amount: {value!r}")
    return amount


def parse_xero_date(value: Any) -> datetime:
    """`/Date(1792606020000+0000)/` or an ISO 8601 string -> an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise SourceError(f"not a date: {value!r}")
    m = _XERO_DATE.fullmatch(value.strip())
    if m:
        # The milliseconds are UTC; the offset only says which zone Xero displayed it in.
        return datetime.fromtimestamp(int(m.group(1)) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SourceError(f"not a date: {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def start_of_day(value: Any) -> datetime:
    """A date-only field ('2026-10-22') as the start of that day in UTC: a bank line has no time of day."""
    if not isinstance(value, str):
        raise SourceError(f"not a date: {value!r}")
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise SourceError(f"not a date: {value!r}") from exc
    return datetime.combine(day, time(0), tzinfo=UTC)


def _text(line: Mapping[str, Any], key: str) -> str:
    value = line.get(key)
    return value.strip() if isinstance(value, str) else ""


def statement_line_receipt(line: Mapping[str, Any], *, currency: str, patterns: Patterns | None = None) -> Receipt:
    """A Finance API statement line (`bank/statements.json` shape) in the bank account's currency. How banks write
    the payer is data (`[bank]` in rules/patterns.toml): "PAYMENT FROM <name>" as payee, a blank payee with
    "DIRECT CREDIT FROM <name>" in the narrative, and Particulars / Code / Reference packed as 12-character columns
    into one field (each column is kept as its own text field too)."""
    patterns = patterns or builtin_patterns()
    line_id = _text(line, "statementLineId")
    if not line_id:
        raise SourceError("statement line without statementLineId")
    amount = parse_amount(line.get("amount"))
    flags = tuple(
        name
        for key, name in (("isReconciled", "reconciled"), ("isDuplicate", "duplicate"), ("isDeleted", "deleted"))
        if line.get(key) is True
    )
    text = [
        (name, _text(line, key))
        for key, name in (("reference", "reference"), ("notes", "notes"), ("chequeNo", "cheque number"))
        if _text(line, key)
    ]
    for key in ("reference", "notes"):
        raw = line.get(key)
        for column in bank_columns(raw if isinstance(raw, str) else "", patterns.column_width):
            text.append(("column", column))
    payee = _text(line, "payee")
    payer = payer_after_prefix(payee, patterns) if payee else ""
    if not payee:
        payer = next((found for _, value in text if (found := payer_after_prefix(value, patterns))), "")
    if payer:
        text.append(("payee", payee or payer))  # the bank's words stay where the ignore rules read them
    return Receipt(
        receipt_id=line_id,
        source=ReceiptSource.BANK_LINE,
        received_at=start_of_day(line.get("postedDate") or line.get("transactionDate")),
        money=Money(amount=amount, currency=currency.upper()),
        payer_name=payer or payee,
        text=tuple(text),
        raw_kind=_text(line, "type").upper() or ("DEBIT" if amount < 0 else "CREDIT"),
        flags=flags,
    )


def statement_receipts(body: Mapping[str, Any]) -> list[Receipt]:
    """Every line of a GET /BankStatementsPlus/statements response body."""
    currency = str(body.get("bankAccountCurrencyCode") or "NZD")
    out: list[Receipt] = []
    for statement in body.get("statements") or ():
        for line in statement.get("statementLines") or ():
            out.append(statement_line_receipt(line, currency=currency))
    return out


# Payment types that are money from a customer against a sales invoice.
CUSTOMER_PAYMENT_TYPES = frozenset({"ACCRECPAYMENT", "ARCREDITPAYMENT", "AROVERPAYMENTPAYMENT", "ARPREPAYMENTPAYMENT"})


def payment_receipt(payment: Mapping[str, Any]) -> Receipt:
    """An Accounting API Payment applied to an invoice (PascalCase JSON)."""
    payment_id = _text(payment, "PaymentID")
    if not payment_id:
        raise SourceError("payment without PaymentID")
    invoice = payment.get("Invoice") or {}
    if not isinstance(invoice, Mapping):
        raise SourceError(f"payment {payment_id}: Invoice is not an object")
    contact = invoice.get("Contact") or {}
    currency = _text(invoice, "CurrencyCode") or "NZD"
    when = payment.get("UpdatedDateUTC") or payment.get("Date")
    flags: list[str] = []
    payment_type = _text(payment, "PaymentType").upper()
    if payment_type and payment_type not in CUSTOMER_PAYMENT_TYPES:
        flags.append("not_customer_payment")
    if _text(payment, "Status").upper() == "DELETED":
        flags.append("deleted")
    if _text(invoice, "Type").upper() not in ("", "ACCREC"):
        flags.append("not_customer_payment")
    reference = _text(payment, "Reference")
    return Receipt(
        receipt_id=payment_id,
        source=ReceiptSource.XERO_PAYMENT,
        received_at=parse_xero_date(when),
        paid_on=parse_xero_date(payment["Date"]).date() if payment.get("Date") else None,
        money=Money(amount=parse_amount(payment.get("Amount")), currency=currency.upper()),
        payer_name=_text(contact, "Name") if isinstance(contact, Mapping) else "",
        text=(("reference", reference),) if reference else (),
        gateway="xero",
        gateway_txn_id=payment_id,
        invoice_id=_text(invoice, "InvoiceID"),
        invoice_number=_text(invoice, "InvoiceNumber"),
        raw_kind=payment_type,
        flags=tuple(dict.fromkeys(flags)),
        account_code=_text(account, "Code") if isinstance(account := payment.get("Account") or {}, Mapping) else "",
    )


def order_from_dict(data: Mapping[str, Any]) -> Order:
    """An order in the corpus's `orders.json` shape (also what the orders table holds)."""
    try:
        contact = data["contact"]
        return Order(
            order_id=str(data["order_id"]),
            kind=OrderKind(data["kind"]),
            invoice_number=str(data["invoice_number"]),
            invoice_id=str(data["invoice_id"]),
            contact=Contact(
                contact_id=str(contact.get("contact_id", "")),
                name=str(contact.get("name", "")),
                first_name=str(contact.get("first_name") or ""),
                last_name=str(contact.get("last_name") or ""),
                email=str(contact.get("email") or ""),
            ),
            domain=str(data.get("domain") or "").lower(),
            amount_due=Money(
                amount=parse_amount(data["amount_due"]), currency=str(data.get("currency", "NZD")).upper()
            ),
            issued=date.fromisoformat(str(data["issued"])[:10]),
            due=date.fromisoformat(str(data["due"])[:10]),
            plan=str(data.get("plan") or ""),
            term_years=int(data.get("term_years") or 1),
            payment_reference=str(data.get("payment_reference") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(f"order {data.get('order_id', '?')!r}: {exc}") from exc
