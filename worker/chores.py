"""What a person did by hand and tells the worker: a registration or renewal done at the registrar (`orders done`),
a failed action given another go (`orders retry`), a payout settled by hand (`payouts accept`). The command line
and the review page both call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from rules.money import Money
from rules.words import domain_named
from worker.effects.orders import settle_orders
from worker.effects.registrations import finish_by_hand
from worker.outbox import requeue
from worker.store.tables import outbox

if TYPE_CHECKING:
    from config.settings import Settings


@dataclass(frozen=True, kw_only=True, slots=True)
class ChoreOutcome:
    ok: bool
    message: str


def parse_cost(text: str, currency: str) -> Money:
    """What the reseller paid upstream, as typed ("18.50"); ValueError says what is wrong."""
    try:
        cost = Money.of(text.strip(), currency)
    except ValueError:
        raise ValueError(f"the cost must be an amount like 18.50, not {text!r}") from None
    if not cost.amount.is_finite() or cost.amount < 0 or cost.amount != cost.amount.quantize(Decimal("0.01")):
        raise ValueError(f"the cost must be an amount like 18.50, not {text!r}")
    return cost


def record_done(
    conn: Connection, *, order_id: str, reference: str, now: datetime, expires: date | None, cost: Money | None
) -> ChoreOutcome:
    """`orders done`: record the registrar's reference and the new expiry, queue the History note, close the to-do
    and settle the order. On a refusal the caller rolls back (a failed action may already have been taken over)."""
    if not reference.strip():
        return ChoreOutcome(ok=False, message="give the registrar's reference (its order id or receipt number)")
    try:
        domain = finish_by_hand(
            conn, order_id=order_id, reference=reference.strip(), now=now, expires=expires, cost=cost
        )
    except (LookupError, ValueError) as exc:
        return ChoreOutcome(ok=False, message=str(exc))
    settled = settle_orders(conn, now=now, order_ids=[order_id])
    state = "done" if settled else "waiting for its other effects (see 'orders list')"
    message = f"{order_id}: {domain_named(domain)} recorded (reference {reference.strip()}); the order is {state}"
    return ChoreOutcome(ok=True, message=message)


def retry_action(conn: Connection, key: str, *, now: datetime) -> ChoreOutcome:
    """`orders retry`: a failed action gets a fresh set of attempts; the next dispatch runs it, checking first."""
    superseded = _ordered_again(conn, key)
    if superseded:
        return ChoreOutcome(ok=False, message=superseded)
    if not requeue(conn, key, now=now):
        return ChoreOutcome(ok=False, message=f"no failed action with key {key!r}")
    return ChoreOutcome(ok=True, message=f"{key} queued again; the next dispatch runs it")


def _ordered_again(conn: Connection, key: str) -> str:
    """Why a failed order invoice must not be raised now ("" when it may): the domain was ordered again after it,
    so raising this one as well would invoice the customer twice for one domain."""
    row = conn.execute(
        select(outbox.c.id, outbox.c.kind, outbox.c.payload).where(outbox.c.idempotency_key == key)
    ).first()
    if row is None or row.kind != "order_invoice":
        return ""
    domain = (row.payload or {}).get("domain")
    later = [
        r.idempotency_key
        for r in conn.execute(
            select(outbox.c.idempotency_key, outbox.c.payload)
            .where(outbox.c.kind == "order_invoice", outbox.c.id > row.id)
            .order_by(outbox.c.id)
        )
        if (r.payload or {}).get("domain") == domain
    ]
    if not later:
        return ""
    return (
        f"{domain_named(str(domain))} was ordered again after this one failed ({later[-1]}): retrying {key} would "
        "invoice it twice; nothing queued (close it with 'review done' if the later order stands)"
    )


def settle_payout(
    conn: Connection,
    settings: Settings,
    key: str,
    *,
    payments: list[str] | None,
    recorded_by_hand: Decimal,
    now: datetime,
) -> ChoreOutcome:
    """`payouts accept`: the payout's fees and the transfer of its net are queued, or the refusal says why."""
    from worker.payouts import AcceptRefused, accept_payout

    try:
        done = accept_payout(conn, settings, key, payments=payments, recorded_by_hand=recorded_by_hand, now=now)
    except AcceptRefused as exc:
        return ChoreOutcome(ok=False, message=f"refused: {exc}")
    return ChoreOutcome(
        ok=True, message=f"queued: fees {done.fees} and a transfer of {done.net} for {key}; {done.reason}"
    )
