"""Seeding the sandbox with a demo organisation from plain data in the corpus shapes.

`orders` is orders.json (one object per pending order), `payments` a GET /Payments body (or its list), `statements`
a GET /BankStatementsPlus/statements body. Each order becomes an open ACCREC invoice whose line carries the item
code for its kind (config/xero.py defaults) and a description naming the domain, as a reseller's invoices do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from config.xero import DEFAULT_ITEM_CODES
from integrations.xero.sandbox.books import BookError, Books, parse_date


class Seedable(Protocol):
    """What seeding needs of a sandbox (`XeroSandbox` is one): its books, and the lock its requests hold. The
    server sits above this module (its /_sandbox/seed control calls it), so this module never names the server."""

    @property
    def books(self) -> Books: ...

    @property
    def lock(self) -> AbstractContextManager[Any]: ...


KIND_WORDS = {
    "domain_registration": "Domain registration",
    "domain_renewal": "Domain renewal",
    "hosting": "Web hosting",
    "setup": "Setup",
}


def line_description(kind: str, domain: str, plan: str = "", years: int = 1) -> str:
    """The line text a reseller writes; the adapter reads the domain (and plan) back out of it."""
    words = KIND_WORDS.get(kind, kind)
    if kind == "hosting":
        return f"{words} - {plan or 'Standard'} plan - {domain}"
    term = f" - {years} year" + ("s" if years != 1 else "")
    return f"{words} - {domain}{term}"


def seed_demo(
    sandbox: Seedable,
    *,
    orders: Iterable[Mapping[str, Any]],
    payments: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
    statements: Mapping[str, Any] | None = None,
    item_codes: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Load the organisation; returns counts. Rows that Xero itself would refuse are counted as `skipped`.

    Payments are applied at once, so their invoices are PAID before the worker first looks; pass
    `payments=None` and call `apply_payments` after the first sync to show them arriving instead."""
    code_for = {kind: code for code, kind in (item_codes or DEFAULT_ITEM_CODES).items()}
    books = sandbox.books
    counts = {"contacts": 0, "invoices": 0, "payments": 0, "statement_lines": 0, "bank_transactions": 0, "skipped": 0}
    by_invoice: dict[str, list[Mapping[str, Any]]] = {}
    for order in orders:
        by_invoice.setdefault(str(order["invoice_id"]), []).append(order)
    with sandbox.lock:
        for invoice_id, group in by_invoice.items():
            first = group[0]
            contact = _ensure_contact(sandbox, first.get("contact") or {}, counts)
            lines = [
                {
                    "Description": line_description(
                        str(o["kind"]), str(o.get("domain", "")), str(o.get("plan", "")), int(o.get("term_years", 1))
                    ),
                    "Quantity": 1,
                    "UnitAmount": str(o["amount_due"]),
                    "ItemCode": code_for.get(str(o["kind"]), ""),
                    "AccountCode": "200",
                }
                for o in group
            ]
            try:
                books.add_invoice(
                    {
                        "Type": "ACCREC",
                        "InvoiceID": invoice_id,
                        "InvoiceNumber": str(first["invoice_number"]),
                        "Contact": {"ContactID": contact},
                        "Date": str(first["issued"]),
                        "DueDate": str(first["due"]),
                        "Status": "AUTHORISED",
                        "LineItems": lines,
                        "CurrencyCode": str(first.get("currency", "NZD")),
                        "Reference": str(first.get("order_id", "")),
                    }
                )
                counts["invoices"] += 1
            except BookError:
                counts["skipped"] += 1
        for payment in _payment_rows(payments):
            _seed_payment(sandbox, payment, counts)
        if statements:
            _seed_statements(sandbox, statements, counts)
    return counts


def apply_payments(sandbox: Seedable, payments: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Apply payments (a GET /Payments body or its list) now, as customers paying through Xero: for a demo that
    first syncs the open orders and then shows their payments arriving."""
    counts = {"contacts": 0, "invoices": 0, "payments": 0, "skipped": 0}
    with sandbox.lock:
        for payment in _payment_rows(payments):
            _seed_payment(sandbox, payment, counts, keep_stamp=False)  # they happen now
    return counts


def seed_demo_from_dir(sandbox: Seedable, corpus_dir: Path, *, with_payments: bool = True) -> dict[str, int]:
    """A corpus directory: orders.json, xero/payments.json, bank/statements.json (the last two optional)."""

    def load(rel: str) -> Any:
        path = corpus_dir / rel
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    return seed_demo(
        sandbox,
        orders=load("orders.json") or [],
        payments=load("xero/payments.json") if with_payments else None,
        statements=load("bank/statements.json"),
    )


def _ensure_contact(sandbox: Seedable, c: Mapping[str, Any], counts: dict[str, int]) -> str:
    books = sandbox.books
    cid = str(c.get("contact_id") or c.get("ContactID") or "")
    if cid and cid in books.contacts:
        return cid
    name = str(c.get("name") or c.get("Name") or "Unnamed customer")
    taken = {r.data["Name"].lower() for r in books.contacts.values()}
    unique, n = name, 2
    while unique.lower() in taken:  # Xero wants unique active names
        unique, n = f"{name} ({n})", n + 1
    data = books.add_contact(
        {
            "ContactID": cid or None,
            "Name": unique,
            "EmailAddress": c.get("email") or c.get("EmailAddress") or "",
            "FirstName": c.get("first_name") or "",
            "LastName": c.get("last_name") or "",
        }
    )
    counts["contacts"] += 1
    return str(data["ContactID"])


def _payment_rows(payments: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    if payments is None:
        return []
    if isinstance(payments, Mapping):
        return list(payments.get("Payments") or [])
    return list(payments)


def _seed_payment(sandbox: Seedable, p: Mapping[str, Any], counts: dict[str, int], *, keep_stamp: bool = True) -> None:
    books = sandbox.books
    inv = dict(p.get("Invoice") or {})
    iid = str(inv.get("InvoiceID", ""))
    if iid not in books.invoices:
        # An invoice the demo did not list as pending: create it, already issued, so the payment has a home.
        contact = _ensure_contact(sandbox, inv.get("Contact") or {}, counts)
        when = parse_date(p.get("Date"))
        try:
            books.add_invoice(
                {
                    "Type": "ACCREC",
                    "InvoiceID": iid or None,
                    "InvoiceNumber": inv.get("InvoiceNumber") or None,
                    "Contact": {"ContactID": contact},
                    "Status": "AUTHORISED",
                    "Date": (when.date() if when else date.today()).isoformat(),
                    "DueDate": (when.date() if when else date.today()).isoformat(),
                    "LineItems": [
                        {
                            "Description": f"Invoice {inv.get('InvoiceNumber', '')}".strip(),
                            "Quantity": 1,
                            "UnitAmount": str(p.get("Amount", 0)),
                            "AccountCode": "200",
                        }
                    ],
                    "CurrencyCode": inv.get("CurrencyCode") or books.currency,
                }
            )
            counts["invoices"] += 1
        except BookError:
            counts["skipped"] += 1
            return
        iid = next(
            r.data["InvoiceID"]
            for r in books.invoices.values()
            if r.data["InvoiceNumber"] == inv.get("InvoiceNumber") or r.data["InvoiceID"] == iid
        )
    account = dict(p.get("Account") or {})
    try:
        books.add_payment(
            {
                "Invoice": {"InvoiceID": iid},
                "Account": {"Code": account.get("Code") or "090"},
                "Amount": str(p.get("Amount", 0)),
                "Date": p.get("Date"),
                "Reference": p.get("Reference") or "",
                "IsReconciled": bool(p.get("IsReconciled", False)),
            },
            payment_id=str(p.get("PaymentID") or "") or None,
            updated=parse_date(p.get("UpdatedDateUTC")) if keep_stamp else None,
        )
        counts["payments"] += 1
    except BookError:
        counts["skipped"] += 1


def _seed_statements(sandbox: Seedable, body: Mapping[str, Any], counts: dict[str, int]) -> None:
    books = sandbox.books
    account_id = str(body.get("bankAccountId") or "")
    if account_id and account_id not in books.accounts:
        default = books.account_by_code("090")
        if default is not None:
            del books.accounts[default["AccountID"]]
        books.statement = {}
        books.add_bank_account("090", str(body.get("bankAccountName") or "Business Cheque"), account_id)
        books.statement["bankAccountCurrencyCode"] = str(body.get("bankAccountCurrencyCode") or books.currency)
    for statement in body.get("statements") or []:
        for line in statement.get("statementLines") or []:
            books.add_statement_line(dict(line))
            counts["statement_lines"] += 1
            amount = Decimal(str(line.get("amount", 0)))
            if line.get("isReconciled") and amount > 0 and not line.get("payments"):
                books.add_bank_transaction(
                    {
                        "Type": "RECEIVE",
                        "Total": str(amount),
                        "Date": line.get("postedDate"),
                        "Reference": line.get("reference") or "",
                        "Contact": {"Name": line.get("payee") or "Unknown payer"},
                    }
                )
                counts["bank_transactions"] += 1


def seed_supplier_bill(sandbox: Seedable, bill: Mapping[str, Any]) -> str:
    """A supplier's bill (ACCPAY invoice), e.g. the upstream provider's month: {"contact": {"name", "contact_id"?},
    "number", "date", "due", "status"?, "currency"?, "lines": [{"description", "amount", "item_code"?}]}. The
    contact is created when missing. Returns the bill's InvoiceID."""
    counts = {"contacts": 0}
    with sandbox.lock:
        contact = _ensure_contact(sandbox, bill.get("contact") or {}, counts)
        data = sandbox.books.add_invoice(
            {
                "Type": "ACCPAY",
                "InvoiceID": bill.get("bill_id"),
                "InvoiceNumber": str(bill.get("number", "")),
                "Contact": {"ContactID": contact},
                "Date": str(bill["date"]),
                "DueDate": str(bill.get("due") or bill["date"]),
                "Status": str(bill.get("status") or "AUTHORISED"),
                "CurrencyCode": str(bill.get("currency", "NZD")),
                "LineItems": [
                    {
                        "Description": str(line["description"]),
                        "Quantity": 1,
                        "UnitAmount": str(line["amount"]),
                        "ItemCode": str(line.get("item_code", "")),
                        "AccountCode": str(line.get("account_code", "310")),
                    }
                    for line in bill.get("lines") or ()
                ],
            }
        )
    return str(data["InvoiceID"])
