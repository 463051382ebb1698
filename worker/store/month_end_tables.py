"""Tables of the month-end area: the provider's bills and their lines, the plan history of each hosting service
(which plan was live on which days), hosting starts held for a first payment, and readings of the prepaid registrar
balance."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from worker.store.tables import metadata

provider_bills = Table(
    "provider_bills",
    metadata,
    Column("bill_id", String(64), primary_key=True),  # xero:<InvoiceID> or csv:<digest of the file>
    Column("source", String(8), nullable=False),  # xero | csv
    Column("reference", String(255), nullable=False),  # the bill's number in Xero, or the file's name
    Column("month", String(7), nullable=False),  # YYYY-MM: the month the bill is for
    Column("issued", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", String(32), nullable=False),  # excluding tax, the sum of its lines
    Column("lines", Integer, nullable=False),
    Column("xero_updated", String(40), nullable=False, server_default=""),  # UpdatedDateUTC of the version read
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=True),  # the morning report that showed its month-end
)
Index("ix_provider_bills_month", provider_bills.c.month)

provider_bill_lines = Table(
    "provider_bill_lines",
    metadata,
    Column("bill_id", String(64), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("charged_on", Date, nullable=False),
    Column("action", String(16), nullable=False),  # register, renew, transfer, hosting; "" when unreadable
    Column("item", String(255), nullable=False),  # domain or site
    Column("years", Integer, nullable=False, server_default="1"),
    Column("period_start", Date, nullable=True),  # hosting
    Column("period_end", Date, nullable=True),
    Column("plan", String(64), nullable=False, server_default=""),
    Column("amount", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(255), nullable=False, server_default=""),
    Column("source", String(255), nullable=False),  # "oct.csv line 7", "bill BILL-0042 line 3"
    Column("text", Text, nullable=False, server_default=""),
    PrimaryKeyConstraint("bill_id", "line_no"),
)
Index("ix_provider_bill_lines_charged_on", provider_bill_lines.c.charged_on)

hosting_periods = Table(
    "hosting_periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", Integer, nullable=False),
    Column("domain", String(255), nullable=False),
    Column("plan", String(64), nullable=False),
    Column("rate", String(32), nullable=False),  # the customer's monthly rate on this plan ("" until known)
    Column("currency", String(3), nullable=False),
    Column("contact_id", String(64), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),  # the last day on this plan; None while it is the plan
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_hosting_periods_service_id", hosting_periods.c.service_id)

first_payments = Table(
    "first_payments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(255), nullable=False),
    Column("plan", String(64), nullable=False),
    Column("contact_id", String(64), nullable=False),
    Column("start", Date, nullable=False),  # the day asked for; the site starts on it or when paid, the later
    # waiting (the setup invoice is raised or open), started (paid: hosting started), overridden
    # (`--without-first-payment`), cancelled
    Column("status", String(16), nullable=False),
    Column("invoice_key", String(128), nullable=False, server_default=""),  # the outbox key that raises the invoice
    Column("order_id", String(64), nullable=False, server_default=""),  # the setup order that pays it
    Column("amount", String(32), nullable=False, server_default=""),
    Column("currency", String(3), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("service_id", Integer, nullable=True),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
)
Index("ix_first_payments_domain", first_payments.c.domain)
Index("ix_first_payments_status", first_payments.c.status)

registrar_balances = Table(
    "registrar_balances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registrar", String(16), nullable=False),
    Column("available", String(32), nullable=False),
    Column("locked", String(32), nullable=False, server_default="0"),
    Column("currency", String(3), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)
Index("ix_registrar_balances_checked_at", registrar_balances.c.checked_at)
