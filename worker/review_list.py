"""The open review items as a person sees them, worked out again each time they are listed or reported.

Candidates are re-read from the orders as they are now: only orders still owing are offered, with what each owes;
one paid or closed since the item was raised is named as such, never offered. The commands are exact and runnable
as printed (with `--config` / `--data-dir`), and each approval command is one the approval rules accept.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from config.settings import Settings
from rules.model import Receipt
from rules.money import Money
from rules.settlement import PAYABLE, OwedOrder, Refusal, Terms, settle
from worker.invocation import cli_prefix
from worker.review import CREDIT_KIND, FAILED_KINDS, REJECTED_KINDS
from worker.store.database import aware
from worker.store.orders import owed_orders
from worker.store.outbox_tables import registrar_actions
from worker.store.receipts import receipt_from_row, was_forwarded
from worker.store.tables import receipts, review_items

REGISTRAR_KINDS = frozenset({"register_domain", "renew_domain"})
MAX_APPROVE_COMMANDS = 3


@dataclass(frozen=True, kw_only=True, slots=True)
class ReviewEntry:
    """One open item with its receipt, its candidates as they stand, and the commands that resolve it."""

    id: int
    kind: str
    subject: str
    reason: str
    suggested_action: str
    raised_at: datetime
    detail: Mapping[str, Any]
    receipt: Receipt | None
    forwarded: bool
    candidates: tuple[OwedOrder, ...]  # still owing, best first
    gone: tuple[OwedOrder, ...]  # named when raised, paid or closed since
    commands: tuple[str, ...]  # the suggested one first
    credit: Money | None = None  # a credit item's money

    @property
    def money(self) -> Money | None:
        if self.credit is not None:
            return self.credit
        return self.receipt.money if self.receipt is not None else None


def _detail(row: Any) -> Mapping[str, Any]:
    return row.detail if isinstance(row.detail, Mapping) else {}


def _credit(detail: Mapping[str, Any]) -> Money | None:
    try:
        return Money.of(str(detail["amount"]), str(detail["currency"]))
    except (KeyError, ValueError, TypeError):
        return None


def approve_command(prefix: str, review_id: int, order_ids: Sequence[str], flags: str = "") -> str:
    command = f"{prefix} review approve {review_id} --orders {shlex.quote(','.join(order_ids))}"
    return f"{command} {flags}" if flags else command


def approval_commands(
    prefix: str,
    review_id: int,
    receipt: Receipt | None,
    candidates: Sequence[OwedOrder],
    settings: Settings,
    suggested: Sequence[str] = (),
) -> list[str]:
    """Approve commands the rules accept as printed: for the suggested set and each of the first candidates,
    with `--part`, `--overpaid` or `--home-amount AMOUNT` where settling needs it; a set no option can settle is
    left out."""
    if receipt is None:
        return []
    by_id = {c.order_id: c for c in candidates}
    sets: list[list[OwedOrder]] = []
    if len(suggested) > 1 and all(o in by_id for o in suggested):
        sets.append([by_id[o] for o in suggested])
    sets += [[c] for c in candidates[:MAX_APPROVE_COMMANDS]]
    commands: list[str] = []
    for chosen in sets:
        result = settle(
            receipt,
            chosen,
            Terms(),
            home_currency=settings.worker.home_currency,
            account_code=settings.xero.bank_account_code,
        )
        flags = ""
        if isinstance(result, Refusal):
            if not result.options:
                continue
            flags = result.options[0].flags
        command = approve_command(prefix, review_id, [o.order_id for o in chosen], flags)
        if command not in commands:
            commands.append(command)
    return commands


def to_do_command(prefix: str, order_id: str, *, needs_expiry: bool) -> str:
    """`orders done` for a registration or renewal made by hand; `--expires` when the worker cannot work the new
    expiry out (a renewal from an expiry it never knew)."""
    command = f"{prefix} orders done {shlex.quote(order_id)} --ref REGISTRAR_REFERENCE"
    return command + " --expires YYYY-MM-DD" if needs_expiry else command


def renewals_without_expiry(conn: Connection) -> set[str]:
    """Orders whose manual renewal waits and whose current expiry the worker does not know."""
    rows = conn.execute(
        select(registrar_actions.c.order_id).where(
            registrar_actions.c.status.in_(("to_do", "failed")),
            registrar_actions.c.action == "renew",
            registrar_actions.c.pre_expiry.is_(None),
        )
    )
    return {r.order_id for r in rows}


def _commands(
    prefix: str,
    row: Any,
    entry_receipt: Receipt | None,
    candidates: Sequence[OwedOrder],
    settings: Settings,
    no_expiry: set[str],
) -> tuple[str, ...]:
    review = f"{prefix} review"
    detail = _detail(row)
    if row.kind == "to_do":
        order = (list(row.candidates or ()) or [row.subject])[0]
        return (to_do_command(prefix, order, needs_expiry=order in no_expiry),)
    if row.kind in FAILED_KINDS:
        commands = [f"{prefix} orders retry {shlex.quote(row.subject)}"]
        order = (list(row.candidates or ()) or [""])[0]
        if str(detail.get("kind", "")) in REGISTRAR_KINDS and order:
            commands.append(to_do_command(prefix, order, needs_expiry=order in no_expiry))
        else:
            commands.append(f"{review} done {row.id}")
        return tuple(commands)
    payout = detail.get("payout_key")
    if row.kind.startswith("payout_") and isinstance(payout, str):
        # A payout that does not add up: a person records what is missing by hand, then settles it.
        return (f"{prefix} payouts accept {shlex.quote(payout)} --payments RECEIPT,... --recorded-by-hand AMOUNT",)
    if row.kind in REJECTED_KINDS:
        return (f"{review} reject {row.id}", f"{review} ignore {row.id}")
    suggested = detail.get("suggested_orders")
    suggested_ids = [str(o) for o in suggested] if isinstance(suggested, list | tuple) else []
    commands = approval_commands(prefix, row.id, entry_receipt, candidates, settings, suggested_ids)
    if row.kind == CREDIT_KIND:
        return (*commands, f"{review} done {row.id} --note 'refunded'")
    if not commands and entry_receipt is not None:
        commands.append(approve_command(prefix, row.id, ["ORDER_ID"], "--link-payer"))
    commands.append(f"{review} ignore {row.id}")
    return tuple(commands)


def review_entries(conn: Connection, settings: Settings, *, kinds: Sequence[str] | None = None) -> list[ReviewEntry]:
    """Every open item (or those of `kinds`), oldest first, with candidates and commands worked out now."""
    query = select(review_items).where(review_items.c.status == "open")
    if kinds is not None:
        query = query.where(review_items.c.kind.in_(list(kinds)))
    rows = conn.execute(query.order_by(review_items.c.created_at, review_items.c.id)).all()
    subjects = {str(_detail(r).get("receipt_id", "")) if r.kind == CREDIT_KIND else r.subject for r in rows}
    stored = {
        r.receipt_id: r
        for r in conn.execute(select(receipts).where(receipts.c.receipt_id.in_([s for s in subjects if s])))
    }
    named = {str(o) for r in rows for o in (r.candidates or ())}
    orders_now = owed_orders(conn, named)
    prefix = cli_prefix(settings)
    no_expiry = renewals_without_expiry(conn)
    entries = []
    for row in rows:
        detail = _detail(row)
        credit = _credit(detail) if row.kind == CREDIT_KIND else None
        receipt_row = stored.get(str(detail.get("receipt_id", "")) if row.kind == CREDIT_KIND else row.subject)
        receipt: Receipt | None = None
        forwarded = False
        if receipt_row is not None:
            try:
                receipt = receipt_from_row(receipt_row)
                forwarded = was_forwarded(receipt_row)
            except (ValueError, TypeError, KeyError):
                receipt = None
        if receipt is not None and credit is not None:
            receipt = replace(receipt, money=credit)
        named_here = [orders_now[str(o)] for o in (row.candidates or ()) if str(o) in orders_now]
        chore = row.kind in FAILED_KINDS or row.kind == "to_do"
        candidates = tuple(o for o in named_here if o.status in PAYABLE) if not chore else tuple(named_here)
        gone = () if chore else tuple(o for o in named_here if o.status not in PAYABLE)
        entries.append(
            ReviewEntry(
                id=row.id,
                kind=row.kind,
                subject=row.subject,
                reason=row.reason,
                suggested_action=row.suggested_action or "",
                raised_at=aware(row.created_at) or row.created_at,
                detail=detail,
                receipt=receipt,
                forwarded=forwarded,
                candidates=candidates,
                gone=gone,
                commands=_commands(prefix, row, receipt, candidates, settings, no_expiry),
                credit=credit,
            )
        )
    return entries


def entry_json(entry: ReviewEntry) -> dict[str, Any]:
    """One item for `review list --json`: exactly these keys, money as decimal strings."""
    money = entry.money
    receipt = entry.receipt
    return {
        "id": entry.id,
        "kind": entry.kind,
        "amount": str(money.cents()) if money is not None else None,
        "currency": money.currency if money is not None else None,
        "payer": (receipt.payer_name or receipt.payer_email) if receipt is not None else None,
        "received": receipt.received_at.isoformat() if receipt is not None else None,
        "source": (receipt.gateway or receipt.source.value) if receipt is not None else None,
        "reason": entry.reason + _gone_words(entry),
        "candidates": [order_json(o) for o in entry.candidates],
        "commands": list(entry.commands),
    }


def _gone_words(entry: ReviewEntry) -> str:
    """An item whose candidates were all paid or closed since it was raised says so."""
    if entry.candidates or not entry.gone:
        return ""
    return "; since then " + ", ".join(f"{o.named} {gone_words(o)}" for o in entry.gone)


def gone_words(order: OwedOrder) -> str:
    """How an order stopped owing: 'was paid by bank:line-2', 'was closed in Xero'."""
    if order.status == "closed":
        return "was closed in Xero (paid, voided or deleted there)"
    return f"was paid by {order.paid_by}" if order.paid_by else "was paid"


def order_json(order: OwedOrder) -> dict[str, Any]:
    return {
        "order": order.order_id,
        "invoice": order.invoice_number,
        "customer": order.customer,
        "domain": order.domain,
        "owed": {"amount": str(order.owed.cents()), "currency": order.owed.currency},
        "status": order.status,
    }
