"""Tables of card money: each card payment the worker recorded on a clearing account (its first evidence, and the
payout that settled it), each payout seen (its net, what it settled, its fees, whether it reached the bank), and
every sign of a payout (bank line, payout notice, the service's record) with the payout it was found to be."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from worker.store.tables import metadata

card_payments = Table(
    "card_payments",
    metadata,
    Column("receipt_id", String(255), primary_key=True),  # the notice (or the service's record) it came from
    Column("gateway", String(32), nullable=False),
    Column("txn_id", String(255), nullable=False, server_default=""),  # the service's id for it
    Column("amount", String(32), nullable=False),  # gross, what the customer paid
    Column("currency", String(3), nullable=False),
    Column("paid_on", String(10), nullable=False),  # ISO date
    Column("invoices", JSON, nullable=False),  # invoice numbers it paid
    # notified (first evidence only), in_payout (a payout carries it, not yet seen at the bank), settled
    Column("state", String(16), nullable=False, server_default="notified"),
    Column("payout_key", String(128), nullable=True),
    Column("notified_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=True),
)
Index("ix_card_payments_gateway_state", card_payments.c.gateway, card_payments.c.state)

payouts = Table(
    "payouts",
    metadata,
    Column("key", String(128), primary_key=True),  # <gateway>:<the service's payout id, or the first sighting's id>
    Column("gateway", String(32), nullable=False),
    Column("service_ref", String(255), nullable=False, server_default=""),  # po_... when known
    Column("reference", String(255), nullable=False),  # the Reference on the fee and the transfer in Xero
    Column("net", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("gross", String(32), nullable=False, server_default=""),
    Column("fees", String(32), nullable=False, server_default=""),
    Column("paid_on", String(10), nullable=False),  # the day it reached (or reaches) the bank
    # waiting (not matched, or not yet at the bank), settled (matched and at the bank), mismatch (with a person)
    Column("state", String(16), nullable=False, server_default="waiting"),
    Column("matched", Integer, nullable=False, server_default="0"),  # 1 once its fee and transfer are queued
    Column("strategy", String(32), nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),
    Column("detail", JSON, nullable=False),  # missing contents, candidates
    Column("bank_line", String(255), nullable=False, server_default=""),  # the bank line it became
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_payouts_gateway_state", payouts.c.gateway, payouts.c.state)

payout_sightings = Table(
    "payout_sightings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),  # bank_line, notice, service
    Column("ref", String(255), nullable=False),  # bank line id, message id, the service's payout id
    Column("gateway", String(32), nullable=False),
    Column("service_ref", String(255), nullable=False, server_default=""),
    Column("net", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("seen_on", String(10), nullable=False),  # ISO date
    Column("lines", JSON, nullable=True),  # the service's itemised contents (its record only)
    Column("reconciled", Integer, nullable=False, server_default="0"),  # a bank line already reconciled in Xero
    Column("payout_key", String(128), nullable=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "ref", name="uq_payout_sightings_source_ref"),
)
Index("ix_payout_sightings_payout_key", payout_sightings.c.payout_key)
