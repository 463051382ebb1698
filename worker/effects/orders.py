"""An order is `done` once every effect queued for it is done and no registration waits for a person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, and_, exists, select, update

from worker.store.outbox_tables import outbox_orders, registrar_actions
from worker.store.tables import orders, outbox

# A registration in these states is not finished, whatever its outbox row says.
UNFINISHED_ACTIONS = ("in_flight", "awaiting", "to_do", "failed")


def settle_orders(conn: Connection, *, now: datetime, order_ids: Iterable[str] | None = None) -> int:
    """Turn paid orders whose effects have all completed into done; returns how many. Safe to run any time: it
    is also the recovery sweep after a crash between recording an effect and settling its order."""
    open_effect = exists(
        select(outbox_orders.c.order_id)
        .join(outbox, outbox.c.idempotency_key == outbox_orders.c.idempotency_key)
        .where(and_(outbox_orders.c.order_id == orders.c.order_id, outbox.c.status != "done"))
    )
    open_action = exists(
        select(registrar_actions.c.order_id).where(
            and_(registrar_actions.c.order_id == orders.c.order_id, registrar_actions.c.status.in_(UNFINISHED_ACTIONS))
        )
    )
    stmt = update(orders).where(orders.c.status == "paid", ~open_effect, ~open_action)
    if order_ids is not None:
        ids = list(order_ids)
        if not ids:
            return 0
        stmt = stmt.where(orders.c.order_id.in_(ids))
    return int(conn.execute(stmt.values(status="done", updated_at=now)).rowcount or 0)
