"""Review items: whatever a person must decide or do by hand, kept until it is resolved, and resolving them.

One open item per (kind, subject): raising the same problem twice updates nothing and adds nothing. An approval
goes through the outbox like any automatic decision; a payer link is remembered in `payer_links`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from rules.model import Decision, DecisionKind, Receipt
from worker.outbox import enqueue_effects_for_decision
from worker.store.orders import order_from_row
from worker.store.receipts import receipt_from_row
from worker.store.tables import decisions, orders, payer_links, receipts, review_items

# ---- resolving review items (the `review` commands) ----------------------------------------------------------

FAILED_KINDS = frozenset({"failed_action"})
REJECTED_KINDS = frozenset({"rejected_notice", "quarantined"})
# Kinds about a person's chore rather than a receipt: a failed action is closed with `review done`, a to-do by
# `orders done`.
# A registrar order still unfinished (registrar_pending) closes by itself when it completes; `review done` dismisses it.
CHORE_KINDS = FAILED_KINDS | frozenset({"to_do", "registrar_pending"})
CLI = "reseller-worker review"


def commands_for(
    review_id: int, kind: str, candidates: Sequence[str], detail: Mapping[str, Any] | None
) -> tuple[str, ...]:
    """The exact commands that resolve an item, the suggested one first."""
    if kind == "to_do":
        # A manual registration or renewal: only `orders done` records the registrar's reference, finishes the
        # order and closes the item (`review done` refuses, so the order cannot be left paid but never done).
        order = candidates[0] if candidates else "ORDER_ID"
        return (f"reseller-worker orders done {order} --ref REGISTRAR_REFERENCE",)
    if kind in CHORE_KINDS:
        return (f"{CLI} done {review_id}",)
    payout = (detail or {}).get("payout_key")
    if kind.startswith("payout_") and isinstance(payout, str):
        # A payout that does not add up: a person records what is missing by hand, then settles it.
        return (f"reseller-worker payouts accept {payout} --payments RECEIPT,... --recorded-by-hand AMOUNT",)
    if kind in REJECTED_KINDS:
        return (f"{CLI} reject {review_id}", f"{CLI} ignore {review_id}")
    commands: list[str] = []
    suggested = (detail or {}).get("suggested_orders")
    if isinstance(suggested, list | tuple) and suggested and all(isinstance(o, str) for o in suggested):
        commands.append(f"{CLI} approve {review_id} --orders {','.join(suggested)}")
    for order_id in candidates[:3]:
        command = f"{CLI} approve {review_id} --orders {order_id}"
        if command not in commands:
            commands.append(command)
    if not commands:
        commands.append(f"{CLI} approve {review_id} --orders ORDER_ID --link-payer")
    commands.append(f"{CLI} ignore {review_id}")
    return tuple(commands)


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """What a `review` command did, or why it did nothing."""

    ok: bool
    message: str
    outbox_keys: tuple[str, ...] = ()
    payer_keys: tuple[str, ...] = ()


def normalise_payer_name(name: str) -> str:
    """Case, punctuation and spacing removed: "J. & K.  SMITH" -> "j k smith"."""
    return " ".join(re.sub(r"[^\w]+", " ", name.casefold()).split())


def payer_keys(receipt: Receipt) -> tuple[str, ...]:
    """The `payer_links.payer_key` values for a receipt's payer: `email:<address>` and `name:<normalised>`."""
    keys = []
    if receipt.payer_email.strip():
        keys.append(f"email:{receipt.payer_email.strip().casefold()}")
    name = normalise_payer_name(receipt.payer_name)
    if name:
        keys.append(f"name:{name}")
    return tuple(key[:255] for key in keys)


def open_items(conn: Connection) -> list[Any]:
    return list(conn.execute(select(review_items).where(review_items.c.status == "open").order_by(review_items.c.id)))


def _item(conn: Connection, review_id: int) -> Any:
    return conn.execute(select(review_items).where(review_items.c.id == review_id)).first()


def _close_item(conn: Connection, review_id: int, *, status: str, resolution: str, now: datetime) -> bool:
    """Mark an open item resolved; False when someone (the daemon, another command) got there first."""
    result = conn.execute(
        update(review_items)
        .where(review_items.c.id == review_id, review_items.c.status == "open")
        .values(status=status, resolution=resolution, resolved_at=now)
    )
    return (result.rowcount or 0) == 1


def _write_decision(conn: Connection, decision: Decision, now: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = {
        "kind": decision.kind.value,
        "orders": list(decision.orders),
        "reason": decision.reason,
        "strategy": decision.strategy,
        "decided_at": now,
    }
    conn.execute(
        insert(decisions)
        .values(receipt_id=decision.receipt_id, **values)
        .on_conflict_do_update(index_elements=["receipt_id"], set_=values)
    )
    conn.execute(update(receipts).where(receipts.c.receipt_id == decision.receipt_id).values(status="decided"))


def _store_links(conn: Connection, keys: Sequence[str], contact_id: str, now: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for key in keys:
        conn.execute(
            insert(payer_links)
            .values(payer_key=key, contact_id=contact_id, created_at=now)
            .on_conflict_do_update(index_elements=["payer_key"], set_={"contact_id": contact_id, "created_at": now})
        )


def approve(
    conn: Connection,
    review_id: int,
    *,
    order_ids: Sequence[str] | None,
    now: datetime,
    link_payer: bool = False,
) -> Outcome:
    """The reseller says: this receipt pays exactly these orders. Writes the `auto` decision, marks the orders
    paid and queues their effects through the outbox, all in the caller's transaction."""
    item = _item(conn, review_id)
    if item is None:
        return Outcome(ok=False, message=f"no review item #{review_id}")
    if item.status != "open":
        return Outcome(ok=False, message=f"review item #{review_id} is already {item.status}")
    if item.kind in REJECTED_KINDS:
        return Outcome(
            ok=False,
            message=f"#{review_id} is a {item.kind.replace('_', ' ')}: it failed authentication and cannot pay "
            "anything. If the money really arrived, approve the bank line or Xero payment that shows it.",
        )
    if item.kind in CHORE_KINDS:
        return Outcome(
            ok=False, message=f"#{review_id} is a {item.kind}; once done by hand use: {CLI} done {review_id}"
        )
    row = conn.execute(select(receipts).where(receipts.c.receipt_id == item.subject)).first()
    if row is None:
        return Outcome(ok=False, message=f"#{review_id} is about {item.subject!r}, which is not a stored receipt")
    chosen = [o for o in (order_ids or ()) if o] or list(item.candidates or ())[:1]
    if not order_ids and len(item.candidates or ()) > 1:
        return Outcome(ok=False, message=f"#{review_id} has several candidates; name them: --orders ORD-1,ORD-2")
    if not chosen:
        return Outcome(ok=False, message=f"#{review_id} has no candidate order; name it: --orders ORDER_ID")
    existing = conn.execute(select(decisions).where(decisions.c.receipt_id == item.subject)).first()
    if existing is not None and existing.kind == DecisionKind.AUTO.value:
        return Outcome(ok=False, message=f"receipt {item.subject} was already applied to {', '.join(existing.orders)}")
    found = {r.order_id: r for r in conn.execute(select(orders).where(orders.c.order_id.in_(chosen)))}
    missing = [o for o in chosen if o not in found]
    if missing:
        return Outcome(ok=False, message=f"no such order: {', '.join(missing)}")
    not_open = [f"{o} is {found[o].status}" for o in chosen if found[o].status != "open"]
    if not_open:
        return Outcome(ok=False, message="only open orders can be paid: " + "; ".join(not_open))
    receipt = receipt_from_row(row)
    chosen_orders = [order_from_row(found[o]) for o in chosen]
    contacts = {o.contact.contact_id for o in chosen_orders}
    if link_payer and len(contacts) != 1:
        return Outcome(ok=False, message="--link-payer needs orders of one customer")
    if not _close_item(conn, review_id, status="approved", resolution=f"approved for {', '.join(chosen)}", now=now):
        return Outcome(ok=False, message=f"review item #{review_id} was resolved meanwhile")
    decision = Decision(
        receipt_id=receipt.receipt_id,
        kind=DecisionKind.AUTO,
        orders=tuple(chosen),
        reason=f"approved by the reseller (review #{review_id}, was: {item.reason})"[:2000],
        strategy="reviewer_approval",
    )
    _write_decision(conn, decision, now)
    conn.execute(
        update(orders)
        .where(orders.c.order_id.in_(chosen), orders.c.status == "open")
        .values(status="paid", paid_by=receipt.receipt_id, updated_at=now)
    )
    keys = enqueue_effects_for_decision(conn, decision=decision, receipt=receipt, orders=chosen_orders, now=now)
    linked: tuple[str, ...] = ()
    if link_payer:
        linked = payer_keys(receipt)
        _store_links(conn, linked, contacts.pop(), now)
    message = f"#{review_id} approved: {receipt.receipt_id} pays {', '.join(chosen)}; queued {len(keys)} action(s)"
    if linked:
        message += f"; payer remembered as {', '.join(linked)}"
    return Outcome(ok=True, message=message, outbox_keys=tuple(keys), payer_keys=linked)


def dismiss(conn: Connection, review_id: int, *, status: str, now: datetime, note: str = "") -> Outcome:
    """`ignore` (not a customer payment), `reject` (not genuine) or `done` (handled by hand)."""
    verdicts = {"ignored": DecisionKind.IGNORE, "rejected": DecisionKind.REJECT, "done": None}
    if status not in verdicts:
        raise ValueError(f"unknown resolution {status!r}")
    item = _item(conn, review_id)
    if item is None:
        return Outcome(ok=False, message=f"no review item #{review_id}")
    if item.status != "open":
        return Outcome(ok=False, message=f"review item #{review_id} is already {item.status}")
    if status == "done" and item.kind == "to_do":
        # Closing only the item would leave the order paid but never done; `orders done` records the registrar
        # reference and new expiry, queues the History note and closes the item too.
        return Outcome(
            ok=False,
            message=f"#{review_id} is a registrar to-do: record it with "
            f"`reseller-worker orders done {item.subject} --ref REGISTRAR_REFERENCE`",
        )
    resolution = note or f"{status} by the reseller"
    if not _close_item(conn, review_id, status=status, resolution=resolution, now=now):
        return Outcome(ok=False, message=f"review item #{review_id} was resolved meanwhile")
    verdict = verdicts[status]
    stored = conn.execute(select(receipts.c.receipt_id).where(receipts.c.receipt_id == item.subject)).first()
    if verdict is not None and stored is not None:
        existing = conn.execute(select(decisions.c.kind).where(decisions.c.receipt_id == item.subject)).first()
        if existing is None or existing.kind != DecisionKind.AUTO.value:
            reason = f"{status} by the reseller (review #{review_id}, was: {item.reason})"[:2000]
            _write_decision(
                conn, Decision(receipt_id=item.subject, kind=verdict, reason=reason, strategy="reviewer"), now
            )
    return Outcome(ok=True, message=f"#{review_id} {status}")


def link(conn: Connection, review_id: int, *, contact_id: str, now: datetime) -> Outcome:
    """Remember that this item's payer is `contact_id`; matching reads `payer_links` next time. The item stays
    open (approving it is a separate decision)."""
    item = _item(conn, review_id)
    if item is None:
        return Outcome(ok=False, message=f"no review item #{review_id}")
    row = conn.execute(select(receipts).where(receipts.c.receipt_id == item.subject)).first()
    if row is None:
        return Outcome(ok=False, message=f"#{review_id} is about {item.subject!r}, which is not a stored receipt")
    if item.kind in REJECTED_KINDS:
        return Outcome(ok=False, message=f"#{review_id} failed authentication; its payer is not evidence of anyone")
    keys = payer_keys(receipt_from_row(row))
    if not keys:
        return Outcome(ok=False, message=f"receipt {item.subject} names no payer (no name, no e-mail) to remember")
    _store_links(conn, keys, contact_id, now)
    return Outcome(ok=True, message=f"payer {', '.join(keys)} linked to contact {contact_id}", payer_keys=keys)
