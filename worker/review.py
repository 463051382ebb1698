"""Resolving review items: ignore, reject or done, linking a payer, and the pieces an approval writes with.

Items are raised through `worker.store.review_items`; approving one is `worker.approval` (planned, then applied
through the outbox like any automatic decision); a payer link is remembered in `payer_links`. Each resolution
records who made it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from rules.model import Decision, DecisionKind, Receipt
from worker.store.receipts import receipt_from_row
from worker.store.tables import decisions, payer_links, receipts, review_items

# ---- resolving review items (the `review` commands) ----------------------------------------------------------

FAILED_KINDS = frozenset({"failed_action"})
REJECTED_KINDS = frozenset({"rejected_notice", "quarantined"})
# Kinds about a person's chore rather than a receipt: a failed action is closed with `review done`, a to-do by
# `orders done`.
# A registrar order still unfinished (registrar_pending) closes by itself when it completes; `review done` dismisses it.
CHORE_KINDS = FAILED_KINDS | frozenset({"to_do", "registrar_pending"})
# Money over what a receipt's orders owed, kept for the reseller to refund or apply (raised by an approval).
CREDIT_KIND = "credit"


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


def item_row(conn: Connection, review_id: int) -> Any:
    return conn.execute(select(review_items).where(review_items.c.id == review_id)).first()


def close_item(conn: Connection, review_id: int, *, status: str, resolution: str, now: datetime) -> bool:
    """Mark an open item resolved; False when someone (the daemon, another command) got there first."""
    result = conn.execute(
        update(review_items)
        .where(review_items.c.id == review_id, review_items.c.status == "open")
        .values(status=status, resolution=resolution, resolved_at=now)
    )
    return (result.rowcount or 0) == 1


def write_decision(conn: Connection, decision: Decision, now: datetime) -> None:
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


def store_links(conn: Connection, keys: Sequence[str], contact_id: str, now: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for key in keys:
        conn.execute(
            insert(payer_links)
            .values(payer_key=key, contact_id=contact_id, created_at=now)
            .on_conflict_do_update(index_elements=["payer_key"], set_={"contact_id": contact_id, "created_at": now})
        )


def dismiss(conn: Connection, review_id: int, *, status: str, now: datetime, note: str = "") -> Outcome:
    """`ignore` (not a customer payment), `reject` (not genuine) or `done` (handled by hand: a failed action, a
    credit refunded)."""
    verdicts = {"ignored": DecisionKind.IGNORE, "rejected": DecisionKind.REJECT, "done": None}
    if status not in verdicts:
        raise ValueError(f"unknown resolution {status!r}")
    item = item_row(conn, review_id)
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
    if not close_item(conn, review_id, status=status, resolution=resolution, now=now):
        return Outcome(ok=False, message=f"review item #{review_id} was resolved meanwhile")
    verdict = verdicts[status]
    stored = conn.execute(select(receipts.c.receipt_id).where(receipts.c.receipt_id == item.subject)).first()
    if verdict is not None and stored is not None:
        existing = conn.execute(select(decisions.c.kind).where(decisions.c.receipt_id == item.subject)).first()
        if existing is None or existing.kind != DecisionKind.AUTO.value:
            reason = f"{status} by the reseller (review #{review_id}, was: {item.reason})"[:2000]
            write_decision(
                conn, Decision(receipt_id=item.subject, kind=verdict, reason=reason, strategy="reviewer"), now
            )
    return Outcome(ok=True, message=f"#{review_id} {status}")


def link(conn: Connection, review_id: int, *, contact_id: str, now: datetime) -> Outcome:
    """Remember that this item's payer is `contact_id`; matching reads `payer_links` next time. The item stays
    open (approving it is a separate decision)."""
    item = item_row(conn, review_id)
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
    store_links(conn, keys, contact_id, now)
    return Outcome(ok=True, message=f"payer {', '.join(keys)} linked to contact {contact_id}", payer_keys=keys)
