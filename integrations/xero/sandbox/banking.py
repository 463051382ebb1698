"""The sandbox's chart of accounts and its bank-account bookkeeping: spend and receive money (BankTransactions) and
transfers between the organisation's own bank accounts (BankTransfers), with the rules Xero applies to them.

Sources for each rule: Xero's API documents for Accounts, BankTransactions and BankTransfers
(developer.xero.com/documentation/api/accounting/accounts, .../banktransactions, .../banktransfers) and the
OpenAPI schemas they ship with (`BankTransaction`, `BankTransfer`, `Account`, `AccountType`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from integrations.xero.sandbox.books import BookError, Json, Record, money, ms_date, num, parse_date

if TYPE_CHECKING:
    from integrations.xero.sandbox.books import Books

# Account types that hold money and take payments and transfers (Accounts document: "Type BANK").
BANK = "BANK"
# Spend and receive money can be created through the API; the -TRANSFER kinds only through BankTransfers, and the
# over- and prepayment kinds are outside what the worker does (BankTransactions document, "Types").
WRITABLE_TYPES = ("SPEND", "RECEIVE")
MONEY_IN = ("RECEIVE", "RECEIVE-OVERPAYMENT", "RECEIVE-PREPAYMENT", "RECEIVE-TRANSFER")


def add_account(
    books: Books,
    code: str,
    name: str,
    account_type: str,
    *,
    payments_enabled: bool = False,
    account_id: str | None = None,
) -> Json:
    """One account of the chart (`Books.add_account`)."""
    return books.add_account(code, name, account_type, payments_enabled=payments_enabled, account_id=account_id)


def account_ref(books: Books, ref: Any, *, what: str) -> Json:
    """An account named by AccountID or Code, as Xero accepts either on a write."""
    if not isinstance(ref, dict):
        raise BookError(f"{what} must be specified.")
    found = books.accounts.get(str(ref.get("AccountID", ""))) or books.account_by_code(str(ref.get("Code", "")))
    if found is None or found.get("Status") != "ACTIVE":
        raise BookError(f"{what} could not be found.")
    return found


def _contact(books: Books, ref: Any) -> Json:
    """By ContactID, or by Name: an unknown name creates the contact, as Xero does on a bank transaction."""
    if isinstance(ref, dict) and ref.get("ContactID"):
        return books.contact_ref(ref)
    name = str(ref.get("Name", "")).strip() if isinstance(ref, dict) else ""
    if not name:
        raise BookError("A Contact must be specified for this type of transaction")
    for rec in books.contacts.values():
        if rec.data["Name"].lower() == name.lower() and rec.data["ContactStatus"] == "ACTIVE":
            return {"ContactID": rec.data["ContactID"], "Name": rec.data["Name"]}
    made = books.add_contact({"Name": name})
    return {"ContactID": made["ContactID"], "Name": made["Name"]}


def create_bank_transaction(books: Books, bt: Json) -> Json:
    """PUT/POST /BankTransactions, one item: SPEND or RECEIVE money on a bank account, coded to non-bank accounts."""
    kind = str(bt.get("Type") or "")
    if kind not in WRITABLE_TYPES:
        if kind.endswith("-TRANSFER"):
            raise BookError("Bank transfers must be created through the BankTransfers endpoint.")
        raise BookError(f"Type must be one of {', '.join(WRITABLE_TYPES)} for this sandbox.")
    account = account_ref(books, bt.get("BankAccount"), what="BankAccount")
    if account.get("Type") != BANK:
        raise BookError("The BankAccount must be a bank account.")
    contact = _contact(books, bt.get("Contact"))
    lines: list[Json] = []
    total = Decimal("0")
    for item in bt.get("LineItems") or []:
        code = str(item.get("AccountCode", ""))
        coded = books.account_by_code(code)
        if coded is None:
            raise BookError(f"Account code '{code}' is not a valid code for this document.")
        if coded.get("Type") == BANK:
            raise BookError("A bank account cannot be used as the account of a line item.")
        amount = (Decimal(str(item.get("Quantity", 1))) * Decimal(str(item.get("UnitAmount", 0)))).quantize(
            Decimal("0.01")
        )
        if amount <= 0:
            raise BookError("The line amount must be greater than zero.")
        line: Json = {
            "LineItemID": str(uuid.uuid4()),
            "Description": str(item.get("Description") or ""),
            "Quantity": num(Decimal(str(item.get("Quantity", 1)))),
            "UnitAmount": num(Decimal(str(item.get("UnitAmount", 0)))),
            "LineAmount": num(amount),
            "AccountCode": code,
            "TaxAmount": 0,
        }
        lines.append(line)
        total += amount
    if not lines:
        raise BookError("At least one line item must be specified.")
    currency = str(bt.get("CurrencyCode") or account.get("CurrencyCode") or books.currency)
    if currency != account.get("CurrencyCode", books.currency):
        raise BookError("The currency of the transaction must be the currency of its bank account.")
    return _book(
        books,
        kind=kind,
        account=account,
        contact=contact,
        total=total,
        currency=currency,
        when=parse_date(bt.get("Date")) or books.clock(),
        reference=str(bt.get("Reference") or ""),
        lines=lines,
        reconciled=bool(bt.get("IsReconciled", False)),
    )


def _book(
    books: Books,
    *,
    kind: str,
    account: Json,
    contact: Json,
    total: Decimal,
    currency: str,
    when: datetime,
    reference: str,
    lines: list[Json],
    reconciled: bool = False,
) -> Json:
    now = books.clock()
    btid = str(uuid.uuid4())
    data: Json = {
        "BankTransactionID": btid,
        "Type": kind,
        "Status": "AUTHORISED",
        "IsReconciled": reconciled,
        "Date": ms_date(when.date()),
        "BankAccount": {"AccountID": account["AccountID"], "Code": account.get("Code", ""), "Name": account["Name"]},
        "Contact": contact,
        "LineAmountTypes": "NoTax",
        "LineItems": lines,
        "SubTotal": num(total),
        "TotalTax": 0,
        "Total": num(total),
        "CurrencyCode": currency,
        "UpdatedDateUTC": ms_date(now),
        "HasAttachments": False,
    }
    if reference:
        data["Reference"] = reference
    books.bank_transactions[btid] = Record(data=data, updated=now)
    return data


def add_bank_transfer(books: Books, transfer: Json) -> Json:
    """PUT /BankTransfers, one item: between two different bank accounts of the same currency, for a positive
    amount. Xero books it as a SPEND-TRANSFER on the one and a RECEIVE-TRANSFER on the other (BankTransfers document,
    FromBankTransactionID / ToBankTransactionID)."""
    source = account_ref(books, transfer.get("FromBankAccount"), what="FromBankAccount")
    target = account_ref(books, transfer.get("ToBankAccount"), what="ToBankAccount")
    if source.get("Type") != BANK or target.get("Type") != BANK:
        raise BookError("Bank transfers can only be made between bank accounts.")
    if source["AccountID"] == target["AccountID"]:
        raise BookError("The From and To bank accounts must be different.")
    if source.get("CurrencyCode") != target.get("CurrencyCode"):
        raise BookError("The sandbox transfers only between bank accounts of the same currency.")
    amount = money(transfer.get("Amount", 0))
    if amount <= 0:
        raise BookError("Amount must be greater than zero.")
    when = parse_date(transfer.get("Date")) or books.clock()
    reference = str(transfer.get("Reference") or "")
    party = {"ContactID": str(uuid.uuid5(uuid.NAMESPACE_URL, "bank-transfer")), "Name": "Bank Transfer"}
    line = [{"Description": reference or "Bank transfer", "Quantity": 1, "UnitAmount": num(amount)}]
    out = _book(
        books,
        kind="SPEND-TRANSFER",
        account=source,
        contact=party,
        total=amount,
        currency=str(source.get("CurrencyCode")),
        when=when,
        reference=reference,
        lines=[dict(line[0], LineAmount=num(amount))],
    )
    into = _book(
        books,
        kind="RECEIVE-TRANSFER",
        account=target,
        contact=party,
        total=amount,
        currency=str(target.get("CurrencyCode")),
        when=when,
        reference=reference,
        lines=[dict(line[0], LineAmount=num(amount))],
    )
    now = books.clock()
    tid = str(uuid.uuid4())
    data: Json = {
        "BankTransferID": tid,
        "FromBankAccount": {"AccountID": source["AccountID"], "Code": source.get("Code", ""), "Name": source["Name"]},
        "ToBankAccount": {"AccountID": target["AccountID"], "Code": target.get("Code", ""), "Name": target["Name"]},
        "Amount": num(amount),
        "Date": ms_date(when.date()),
        "CurrencyRate": 1,
        "FromBankTransactionID": out["BankTransactionID"],
        "ToBankTransactionID": into["BankTransactionID"],
        "FromIsReconciled": False,
        "ToIsReconciled": False,
        "HasAttachments": False,
        "CreatedDateUTC": ms_date(now),
    }
    if reference:
        data["Reference"] = reference
    books.bank_transfers[tid] = Record(data=data, updated=now)
    return data


def reconcile_transfer(books: Books, transfer_id: str) -> Json:
    """As when the accountant matches the payout's bank statement line to the transfer: the receiving side is
    reconciled."""
    rec = books.bank_transfers[transfer_id]
    rec.data["ToIsReconciled"] = True
    rec.updated = books.clock()
    books.bank_transactions[rec.data["ToBankTransactionID"]].data["IsReconciled"] = True
    return rec.data


def movement(books: Books, code: str) -> Decimal:
    """Money into minus money out of the account with `code`: invoice payments to it, receive money and transfers
    in, less spend money and transfers out. A clearing account emptied by its payouts moves by zero."""
    account = books.account_by_code(code)
    if account is None:
        raise LookupError(code)
    total = Decimal("0")
    for rec in books.payments.values():
        p = rec.data
        if p["Account"]["AccountID"] == account["AccountID"] and p["Status"] == "AUTHORISED":
            total += money(p["Amount"])
    for rec in books.bank_transactions.values():
        bt = rec.data
        if bt["BankAccount"]["AccountID"] != account["AccountID"] or bt["Status"] != "AUTHORISED":
            continue
        total += money(bt["Total"]) if bt["Type"] in MONEY_IN else -money(bt["Total"])
    return total
