"""The sandbox organisation's books as Xero returns them (its JSON shapes), and the bookkeeping rules it enforces.

Plain dicts in Xero's field names so the server can hand them out as they are; no field is ever None, because
Xero's documents declare nothing nullable.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from integrations.xero.dates import add_months, organisation_zone

Json = dict[str, Any]

_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def ms_date(value: datetime | date) -> str:
    """Xero's JSON date: /Date(<ms since epoch>+0000)/; a plain date counts from its UTC midnight."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return f"/Date({int(value.timestamp() * 1000)}+0000)/"


def parse_date(value: Any) -> datetime | None:
    """An MS date, an ISO date or date-time (the SDK and people send both); naive means UTC."""
    if not isinstance(value, str) or not value:
        return None
    m = _MS_DATE.fullmatch(value.strip())
    if m:
        return datetime.fromtimestamp(int(m.group(1)) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def num(value: Decimal) -> float | int:
    """Amounts go out as JSON numbers, as Xero sends them."""
    return int(value) if value == value.to_integral_value() else float(value)


class BookError(Exception):
    """A Xero validation error: the message is what Xero would put in ValidationErrors."""


_WHERE_CLAUSE = re.compile(r'\s*([A-Za-z.]+)\s*(==|!=)\s*(?:Guid\()?(?:"([^"]*)"|(\w+))\)?\s*')


def where_matches(where: str, record: Json) -> bool:
    """Xero's `where` filter, the part the adapter uses: Field=="x" clauses joined by AND (case-insensitive)."""
    if not where.strip():
        return True
    for clause in re.split(r"\s+(?:AND|&&)\s+", where.strip(), flags=re.IGNORECASE):
        clause = clause.strip().strip("()")
        m = _WHERE_CLAUSE.fullmatch(clause)
        if m is None:
            raise BookError(f"unsupported where clause: {clause}")
        path, op, quoted, bare = m.groups()
        wanted = quoted if quoted is not None else bare
        value: Any = record
        for part in path.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        equal = str(value).lower() == str(wanted).lower()
        if equal != (op == "=="):
            return False
    return True


@dataclass
class Record:
    data: Json
    updated: datetime
    history: list[Json] = field(default_factory=list)


@dataclass
class Books:
    """One organisation. Every mutation stamps UpdatedDateUTC from `clock`."""

    clock: Callable[[], datetime]
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    name: str = "Sandbox Reseller Ltd"
    currency: str = "NZD"
    # Organisation.Timezone, a Windows zone name as Xero spells it (OAS TimeZone enum): the organisation's "today"
    # is its date there, which is what Xero holds requests to (a bank statement may not end after it).
    timezone: str = "NEWZEALANDSTANDARDTIME"
    country: str = "NZ"
    contacts: dict[str, Record] = field(default_factory=dict)
    invoices: dict[str, Record] = field(default_factory=dict)
    payments: dict[str, Record] = field(default_factory=dict)
    repeating: dict[str, Record] = field(default_factory=dict)
    bank_transactions: dict[str, Record] = field(default_factory=dict)
    bank_transfers: dict[str, Record] = field(default_factory=dict)
    accounts: dict[str, Json] = field(default_factory=dict)
    statement_lines: list[Json] = field(default_factory=list)
    statement: Json = field(default_factory=dict)  # bankAccountId, name, currency, statementId, imported
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(9001))

    def __post_init__(self) -> None:
        if not self.accounts:
            self.add_bank_account("090", "Business Cheque")
            # The sales and bank-fees accounts of Xero's default chart, which invoices and payout fees are coded to.
            self.add_account("200", "Sales", "REVENUE")
            self.add_account("404", "Bank Fees", "EXPENSE")

    # ---- accounts and contacts ----------------------------------------------------------------------------

    def add_bank_account(self, code: str, name: str, account_id: str | None = None) -> str:
        aid = account_id or str(uuid.uuid4())
        self.accounts[aid] = {
            "AccountID": aid,
            **({"Code": code} if code else {}),  # a bank account may have no code
            "Name": name,
            "Type": "BANK",
            "Status": "ACTIVE",
            "BankAccountType": "BANK",
            "CurrencyCode": self.currency,
            "EnablePaymentsToAccount": False,
        }
        if not self.statement:
            self.statement = {"bankAccountId": aid, "bankAccountName": name, "bankAccountCurrencyCode": self.currency}
        return aid

    def add_account(
        self, code: str, name: str, account_type: str, *, payments_enabled: bool = False, account_id: str | None = None
    ) -> Json:
        """One account of the chart: a bank account carries BankAccountType (Accounts document, "BankAccountType: for
        bank accounts only"); any other type may enable payments to it (EnablePaymentsToAccount)."""
        if any(a.get("Code") == code for a in self.accounts.values()):
            raise BookError(f"Please enter a unique Code. {code} is already in use.")
        aid = account_id or str(uuid.uuid4())
        data: Json = {
            "AccountID": aid,
            "Code": code,
            "Name": name,
            "Type": account_type,
            "Status": "ACTIVE",
            "CurrencyCode": self.currency,
            "EnablePaymentsToAccount": payments_enabled,
        }
        if account_type == "BANK":
            data["BankAccountType"] = "BANK"
        self.accounts[aid] = data
        return data

    def account_by_code(self, code: str) -> Json | None:
        # Not every account has a code (OAS Payment.Code: "note- not all accounts have a code value").
        if not code:
            return None
        return next((a for a in self.accounts.values() if a.get("Code") == code), None)

    def today(self) -> date:
        """The organisation's date now, in its own time zone."""
        return self.clock().astimezone(organisation_zone(self.timezone)).date()

    def organisation(self) -> Json:
        """GET /Organisation's one record (OAS Organisation), with the fields the worker reads."""
        return {
            "OrganisationID": self.tenant_id,
            "Name": self.name,
            "LegalName": self.name,
            "BaseCurrency": self.currency,
            "CountryCode": self.country,
            "Timezone": self.timezone,
            "OrganisationType": "COMPANY",
            "IsDemoCompany": False,
            "OrganisationStatus": "ACTIVE",
            "Version": self.country,
        }

    def _name_taken(self, name: str, *, other_than: str = "") -> None:
        # "The contact name ... is already assigned to another contact. The contact name must be unique across all
        # active contacts." (Xero's validation message, quoted in Pinelab-studio/pinelab-vendure-plugins#505.)
        for other in self.contacts.values():
            if other.data["ContactID"] == other_than:
                continue
            if other.data["Name"].lower() == name.lower() and other.data["ContactStatus"] == "ACTIVE":
                raise BookError(
                    f"The contact name {name} is already assigned to another contact. The contact name "
                    "must be unique across all active contacts."
                )

    def update_contact(self, contact_id: str, c: Json) -> Json:
        """POST /Contacts/{ContactID}: change fields or ContactStatus (archive, or restore to ACTIVE, as xero-node#397
        archives one with updateContact); a restored or renamed contact must still have a unique active name."""
        rec = self.contacts.get(contact_id)
        if rec is None:
            raise LookupError(contact_id)
        status = str(c.get("ContactStatus") or rec.data["ContactStatus"])
        if status not in ("ACTIVE", "ARCHIVED"):
            raise BookError(f"ContactStatus {status} cannot be set.")
        name = str(c.get("Name") or rec.data["Name"]).strip()
        if status == "ACTIVE":
            self._name_taken(name, other_than=contact_id)
        rec.data.update(Name=name, ContactStatus=status)
        for key in ("EmailAddress", "ContactNumber", "FirstName", "LastName"):
            if c.get(key):
                rec.data[key] = str(c[key])
        self._touch(rec)
        return rec.data

    def archive_contact(self, contact_id: str) -> Json:
        return self.update_contact(contact_id, {"ContactStatus": "ARCHIVED"})

    def add_contact(self, c: Json) -> Json:
        name = str(c.get("Name", "")).strip()
        if not name:
            raise BookError("The contact name must be specified.")
        self._name_taken(name)
        cid = str(c.get("ContactID") or uuid.uuid4())
        data: Json = {"ContactID": cid, "Name": name, "ContactStatus": "ACTIVE"}
        for key in ("EmailAddress", "ContactNumber", "FirstName", "LastName"):
            if c.get(key):
                data[key] = str(c[key])
        now = self.clock()
        data["UpdatedDateUTC"] = ms_date(now)
        self.contacts[cid] = Record(data=data, updated=now)
        return data

    def contact_ref(self, contact: Any) -> Json:
        cid = contact.get("ContactID") if isinstance(contact, dict) else None
        rec = self.contacts.get(str(cid)) if cid else None
        if rec is None:
            raise BookError("The Contact does not exist or is not valid.")
        return {"ContactID": rec.data["ContactID"], "Name": rec.data["Name"]}

    # ---- invoices -----------------------------------------------------------------------------------------

    def _lines(self, items: Iterable[Json]) -> tuple[list[Json], Decimal]:
        lines: list[Json] = []
        total = Decimal("0")
        for item in items:
            description = str(item.get("Description", "")).strip()
            if not description:
                raise BookError("Description must be specified.")
            qty = Decimal(str(item.get("Quantity", 1)))
            unit = Decimal(str(item.get("UnitAmount", 0)))
            amount = (qty * unit).quantize(Decimal("0.01"))
            line: Json = {
                "LineItemID": str(uuid.uuid4()),
                "Description": description,
                "Quantity": num(qty),
                "UnitAmount": num(unit),
                "LineAmount": num(amount),
                "TaxAmount": 0,
            }
            for key in ("ItemCode", "AccountCode", "TaxType"):
                if item.get(key):
                    line[key] = str(item[key])
            lines.append(line)
            total += amount
        if not lines:
            raise BookError("At least one line item must be specified.")
        return lines, total

    def add_invoice(self, inv: Json) -> Json:
        if inv.get("Type") not in ("ACCREC", "ACCPAY"):
            raise BookError("Invoice Type must be specified.")
        contact = self.contact_ref(inv.get("Contact"))
        lines, total = self._lines(inv.get("LineItems") or [])
        # Xero numbers sales invoices; a bill's InvoiceNumber is the supplier's own, blank when none is given.
        number = str(inv.get("InvoiceNumber") or (self._next_number() if inv["Type"] == "ACCREC" else ""))
        if inv["Type"] == "ACCREC" and any(
            r.data.get("InvoiceNumber") == number and r.data["Type"] == "ACCREC" for r in self.invoices.values()
        ):
            raise BookError("Invoice # must be unique.")
        status = str(inv.get("Status") or "DRAFT")
        if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            raise BookError(f"Invoice cannot be created with status {status}.")
        now = self.clock()
        issued = parse_date(inv.get("Date")) or now
        due = parse_date(inv.get("DueDate"))
        if due is None and status == "AUTHORISED":
            raise BookError("Due Date is required.")
        iid = str(inv.get("InvoiceID") or uuid.uuid4())
        data: Json = {
            "Type": inv["Type"],
            "InvoiceID": iid,
            "InvoiceNumber": number,
            "Contact": contact,
            "Date": ms_date(issued.date()),
            "Status": status,
            "LineAmountTypes": str(inv.get("LineAmountTypes") or "Exclusive"),
            "LineItems": lines,
            "SubTotal": num(total),
            "TotalTax": 0,
            "Total": num(total),
            "AmountDue": num(total),
            "AmountPaid": 0,
            "CurrencyCode": str(inv.get("CurrencyCode") or self.currency),
            "UpdatedDateUTC": ms_date(now),
            "Payments": [],
            "HasAttachments": False,
        }
        if due is not None:
            data["DueDate"] = ms_date(due.date())
        if inv.get("Reference"):
            data["Reference"] = str(inv["Reference"])
        if inv.get("RepeatingInvoiceID"):
            data["RepeatingInvoiceID"] = str(inv["RepeatingInvoiceID"])
        self.invoices[iid] = Record(data=data, updated=now)
        return data

    def _next_number(self) -> str:
        taken = {r.data.get("InvoiceNumber") for r in self.invoices.values()}
        while True:
            number = f"INV-{next(self._numbers):04d}"
            if number not in taken:
                return number

    def set_invoice_status(self, invoice_id: str, status: str) -> Json:
        rec = self.invoices[invoice_id]
        rec.data["Status"] = status
        self._touch(rec)
        return rec.data

    def _touch(self, rec: Record) -> None:
        rec.updated = self.clock()
        rec.data["UpdatedDateUTC"] = ms_date(rec.updated)

    # ---- payments -----------------------------------------------------------------------------------------

    def add_payment(self, p: Json, *, payment_id: str | None = None, updated: datetime | None = None) -> Json:
        inv_ref = p.get("Invoice") or {}
        rec = self.invoices.get(str(inv_ref.get("InvoiceID", ""))) if isinstance(inv_ref, dict) else None
        if rec is None and isinstance(inv_ref, dict) and inv_ref.get("InvoiceNumber"):
            rec = next((r for r in self.invoices.values() if r.data["InvoiceNumber"] == inv_ref["InvoiceNumber"]), None)
        if rec is None:
            raise BookError("Invoice could not be found.")
        if rec.data["Status"] != "AUTHORISED":
            raise BookError("Payment cannot be created against an invoice that is not AUTHORISED.")
        acct_ref = p.get("Account") or {}
        account = None
        if isinstance(acct_ref, dict):
            account = self.accounts.get(str(acct_ref.get("AccountID", ""))) or self.account_by_code(
                str(acct_ref.get("Code", ""))
            )
        # Payments go to bank accounts or to accounts with payments enabled (Payments document, "Account").
        if account is None or not (account.get("Type") == "BANK" or account.get("EnablePaymentsToAccount")):
            raise BookError("Account code must be specified and must be a bank account.")
        amount = money(p.get("Amount", 0))
        due = money(rec.data["AmountDue"])
        if amount <= 0:
            raise BookError("Payment amount must be greater than zero.")
        # A payment above what the invoice still owes is refused as a validation error (OAS xero_accounting.yaml,
        # Payment.Amount: "Must be less than or equal to the outstanding amount owing on the invoice"); an
        # overpayment is a separate Overpayment document in Xero, never a larger Payment.
        if amount > due:
            raise BookError("Payment amount exceeds the amount outstanding on this document.")
        when = parse_date(p.get("Date")) or self.clock()
        now = updated or self.clock()
        pid = payment_id or str(uuid.uuid4())
        data: Json = {
            "PaymentID": pid,
            "Date": ms_date(when.date()),
            "Amount": num(amount),
            "CurrencyRate": 1,
            "PaymentType": "ACCRECPAYMENT" if rec.data["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "Status": "AUTHORISED",
            "IsReconciled": bool(p.get("IsReconciled", False)),
            "HasAccount": True,
            "HasValidationErrors": False,
            "UpdatedDateUTC": ms_date(now),
            "Account": {k: account[k] for k in ("AccountID", "Code") if k in account},
            "Invoice": {
                "InvoiceID": rec.data["InvoiceID"],
                "InvoiceNumber": rec.data["InvoiceNumber"],
                "Type": rec.data["Type"],
                "CurrencyCode": rec.data["CurrencyCode"],
                "Contact": dict(rec.data["Contact"]),
            },
        }
        if p.get("Reference"):
            data["Reference"] = str(p["Reference"])
        self.payments[pid] = Record(data=data, updated=now)
        left = due - amount
        rec.data["AmountDue"] = num(left)
        rec.data["AmountPaid"] = num(money(rec.data["AmountPaid"]) + amount)
        rec.data["Payments"].append(
            {k: data[k] for k in ("PaymentID", "Date", "Amount", "CurrencyRate", "HasAccount", "HasValidationErrors")}
            | ({"Reference": data["Reference"]} if "Reference" in data else {})
        )
        if left == 0:
            rec.data["Status"] = "PAID"
            rec.data["FullyPaidOnDate"] = data["Date"]
        rec.updated = now
        rec.data["UpdatedDateUTC"] = ms_date(now)
        return data

    # ---- repeating invoices -------------------------------------------------------------------------------

    def put_repeating(self, r: Json, *, repeating_id: str | None = None) -> Json:
        """PUT or POST /RepeatingInvoices, or POST /RepeatingInvoices/{id}. The API creates and deletes templates and
        edits none: the OAS calls the POSTs "Creates or deletes" and "Deletes a specific repeating invoice
        template"; on a live tenant a POST naming an existing template with any other status is refused with
        "Repeating invoice status must be set to DELETED" (XeroAPI/xero-mcp-server#192, xero-python#105: a soft
        delete). An id Xero does not know is ignored and a new template is created (XeroAPI/Xero-Java#341)."""
        existing = self.repeating.get(repeating_id or str(r.get("RepeatingInvoiceID", "")))
        if existing is not None:
            if r.get("Status") != "DELETED":
                raise BookError("Repeating invoice status must be set to DELETED")
            existing.data["Status"] = "DELETED"
            self._touch(existing)
            return existing.data
        contact = self.contact_ref(r.get("Contact"))
        lines, total = self._lines(r.get("LineItems") or [])
        sched = r.get("Schedule") or {}
        if not isinstance(sched, dict) or sched.get("Unit") not in ("WEEKLY", "MONTHLY"):
            raise BookError("Schedule Unit must be WEEKLY or MONTHLY.")
        period = int(sched.get("Period") or 0)
        if period < 1:
            raise BookError("Schedule Period must be at least 1.")
        start = parse_date(sched.get("StartDate")) or self.clock()
        schedule: Json = {
            "Period": period,
            "Unit": sched["Unit"],
            "DueDate": int(sched.get("DueDate") or 20),
            "DueDateType": str(sched.get("DueDateType") or "OFFOLLOWINGMONTH"),
            "StartDate": ms_date(start.date()),
            "NextScheduledDate": ms_date(start.date()),
        }
        if sched.get("EndDate"):
            end = parse_date(sched["EndDate"])
            if end is not None:
                schedule["EndDate"] = ms_date(end.date())
        rid = str(uuid.uuid4())
        data: Json = {
            "RepeatingInvoiceID": rid,
            "ID": rid,
            "Type": str(r.get("Type") or "ACCREC"),
            "Contact": contact,
            "Schedule": schedule,
            "LineItems": lines,
            "LineAmountTypes": str(r.get("LineAmountTypes") or "Exclusive"),
            "Status": str(r.get("Status") or "DRAFT"),
            "SubTotal": num(total),
            "TotalTax": 0,
            "Total": num(total),
            "CurrencyCode": str(r.get("CurrencyCode") or self.currency),
            "HasAttachments": False,
            "ApprovedForSending": bool(r.get("ApprovedForSending", False)),
            "SendCopy": bool(r.get("SendCopy", False)),
            "MarkAsSent": bool(r.get("MarkAsSent", False)),
            "IncludePDF": bool(r.get("IncludePDF", False)),
        }
        if r.get("Reference"):
            data["Reference"] = str(r["Reference"])
        self.repeating[rid] = Record(data=data, updated=self.clock())
        return data

    def schedule_now(self, rec: Record) -> Json:
        """The template with NextScheduledDate as of today ("the calendar date of the next invoice in the schedule
        to be generated", OAS Schedule): the first date of the schedule that is not before today."""
        sched = rec.data["Schedule"]
        start = parse_date(sched["StartDate"])
        if start is not None and rec.data["Status"] == "AUTHORISED":
            step, today, n = int(sched["Period"]), self.today(), 0
            when = start.date()
            while when < today:
                n += 1
                when = (
                    start.date() + timedelta(weeks=step * n)
                    if sched["Unit"] == "WEEKLY"
                    else add_months(start.date(), step * n)
                )
            sched["NextScheduledDate"] = ms_date(when)
        return rec.data

    # ---- history ------------------------------------------------------------------------------------------

    def add_history(self, invoice_id: str, details: str) -> Json:
        rec = self.invoices.get(invoice_id)
        if rec is None:
            raise LookupError(invoice_id)
        if not details.strip():
            raise BookError("Details must be specified.")
        if len(details) > 250:
            # History and notes: Details is documented at 250 characters at most (developer.xero.com
            # .../historyandnotes, as Pipedream's Xero "Create History Note" action repeats: "Max Length 250").
            raise BookError("The Details field must not be more than 250 characters long.")
        note = {
            "Changes": "Note",
            "DateUTCString": self.clock().strftime("%Y-%m-%dT%H:%M:%S"),
            "DateUTC": ms_date(self.clock()),
            "User": "reseller-worker",
            "Details": details,
        }
        rec.history.append(note)
        return note

    # ---- bank ---------------------------------------------------------------------------------------------

    def add_statement_line(self, line: Json) -> Json:
        """A Finance API statement line, in its own camelCase shape."""
        clean = {k: v for k, v in line.items() if v is not None}
        clean.setdefault("statementLineId", str(uuid.uuid4()))
        clean.setdefault("type", "CREDIT" if Decimal(str(clean.get("amount", 0))) >= 0 else "DEBIT")
        for flag in ("isReconciled", "isDuplicate", "isDeleted"):
            clean.setdefault(flag, False)
        clean.setdefault("payments", [])
        clean.setdefault("bankTransactions", [])
        clean["_imported"] = self.clock()
        self.statement_lines.append(clean)
        return clean

    def add_bank_transaction(self, bt: Json) -> Json:
        """A RECEIVE (or SPEND) bank transaction: what a reconciled bank line becomes in the Accounting API."""
        now = self.clock()
        btid = str(bt.get("BankTransactionID") or uuid.uuid4())
        account = self.account_by_code(str((bt.get("BankAccount") or {}).get("Code", "090"))) or next(
            iter(self.accounts.values())
        )
        data: Json = {
            "BankTransactionID": btid,
            "Type": str(bt.get("Type") or "RECEIVE"),
            "Status": "AUTHORISED",
            "IsReconciled": bool(bt.get("IsReconciled", True)),
            "Date": ms_date((parse_date(bt.get("Date")) or now).date()),
            "BankAccount": {k: account[k] for k in ("AccountID", "Code", "Name") if k in account},
            "Contact": {
                "ContactID": str((bt.get("Contact") or {}).get("ContactID") or uuid.uuid4()),
                "Name": str((bt.get("Contact") or {}).get("Name") or "Unknown payer"),
            },
            "Total": num(money(bt.get("Total", 0))),
            "SubTotal": num(money(bt.get("Total", 0))),
            "TotalTax": 0,
            "CurrencyCode": str(bt.get("CurrencyCode") or self.currency),
            "LineAmountTypes": "NoTax",
            "LineItems": [
                {
                    "Description": str(bt.get("Reference") or "Receipt"),
                    "Quantity": 1,
                    "UnitAmount": num(money(bt.get("Total", 0))),
                    "LineAmount": num(money(bt.get("Total", 0))),
                    "AccountCode": "200",
                }
            ],
            "UpdatedDateUTC": ms_date(now),
            "HasAttachments": False,
        }
        if bt.get("Reference"):
            data["Reference"] = str(bt["Reference"])
        self.bank_transactions[btid] = Record(data=data, updated=now)
        return data
