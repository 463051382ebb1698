"""Tables of the outbox area: the domains we hold (expiry for renewals and sync), what was asked of the registrar
(intent before the call, result after it, cost for the margin line), hosting services, and which outbox rows
belong to which order (so an order turns `done` when all of them are)."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, String, Table, Text

from worker.store.tables import metadata

domains = Table(
    "domains",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("contact_id", String(64), nullable=False, server_default=""),
    Column("expires", Date, nullable=True),
    # active, transferred_out (the registrar no longer lists it as ours), cancelled (do not renew)
    Column("status", String(16), nullable=False, server_default="active"),
    Column("registrar_order_id", String(64), nullable=False, server_default=""),
    Column("sell_amount", String(32), nullable=False, server_default=""),  # last price the customer paid, per year
    Column("sell_currency", String(3), nullable=False, server_default=""),
    Column("last_order_id", String(64), nullable=False, server_default=""),
    Column("renewal_invoiced_for", Date, nullable=True),  # the expiry the last renewal invoice was raised for
    Column("renewal_invoice_id", String(64), nullable=False, server_default=""),
    Column("synced_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_domains_expires", domains.c.expires)

registrar_actions = Table(
    "registrar_actions",
    metadata,
    Column("idempotency_key", String(128), primary_key=True),  # the outbox key
    Column("order_id", String(64), nullable=False),
    Column("domain", String(255), nullable=False),
    Column("action", String(16), nullable=False),  # register, renew
    Column("years", Integer, nullable=False),
    Column("pre_expiry", Date, nullable=True),  # renewals: the expiry the renewal starts from
    Column("expires", Date, nullable=True),  # after the action
    # in_flight (asked; outcome unknown until recorded), awaiting (the registrar took the order and has not finished
    # it: only looked at, never asked again), done, to_do (manual: a person buys it), failed
    Column("status", String(16), nullable=False),
    Column("registrar_order_id", String(64), nullable=False, server_default=""),
    Column("cost", String(32), nullable=False, server_default=""),  # what the reseller paid upstream
    Column("cost_currency", String(3), nullable=False, server_default=""),
    Column("sale", String(32), nullable=False, server_default=""),  # what the customer paid
    Column("sale_currency", String(3), nullable=False, server_default=""),
    # manual: the registrar's reference; awaiting: what the registrar said when it took the order
    Column("reference", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
)
Index("ix_registrar_actions_order_id", registrar_actions.c.order_id)
Index("ix_registrar_actions_status", registrar_actions.c.status)

outbox_orders = Table(
    "outbox_orders",
    metadata,
    Column("idempotency_key", String(128), primary_key=True),
    Column("order_id", String(64), primary_key=True),  # one payment row can settle several orders on one invoice
)
Index("ix_outbox_orders_order_id", outbox_orders.c.order_id)

hosting_services = Table(
    "hosting_services",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(255), nullable=False),
    Column("plan", String(64), nullable=False),
    Column("contact_id", String(64), nullable=False),
    Column("rate", String(32), nullable=False),  # monthly, excl. tax
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),  # active, stopped
    Column("repeating_invoice_id", String(64), nullable=False, server_default=""),
    Column("revision", Integer, nullable=False, server_default="0"),  # bumps on each change: part of its key
    Column("started_on", Date, nullable=False),
    Column("stopped_on", Date, nullable=True),
    Column("source", String(64), nullable=False, server_default=""),  # "cli" or the setup order id
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_hosting_services_domain", hosting_services.c.domain)
