"""`dispatch_outbox`: claim due outbox rows, run each one's handler, and record the outcome.

Transient errors come back later with backoff; permanent errors, `Failed` outcomes and rows past the attempt limit
fail into a `failed_action` review item saying what to do by hand. Each completed row settles its orders.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select

from integrations.errors import IntegrationError, PermanentError, RateLimited, TransientError
from worker.effects import Checkpoint, Done, Failed, Handler, Outcome, Waiting, no_checkpoint
from worker.effects.books import add_history_note, raise_order_invoice, raise_renewal_invoice, record_payment
from worker.effects.hosting import change_hosting, start_hosting, stop_hosting
from worker.effects.orders import settle_orders
from worker.effects.payouts import book_payout_fee, transfer_payout
from worker.effects.registrations import register_domain, renew_domain
from worker.effects.setup import raise_setup_invoice
from worker.jobs.claims import ClaimHeartbeat
from worker.outbox import OutboxPolicy, OutboxRow, claim, complete, fail, reschedule
from worker.store.outbox_tables import outbox_orders

if TYPE_CHECKING:
    from worker.app import App

log = structlog.get_logger(__name__)

HANDLERS: dict[str, Handler] = {
    "record_payment": record_payment,
    "payout_fee": book_payout_fee,
    "payout_transfer": transfer_payout,
    "register_domain": register_domain,
    "renew_domain": renew_domain,
    "history_note": add_history_note,
    "renewal_invoice": raise_renewal_invoice,
    "order_invoice": raise_order_invoice,
    "setup_invoice": raise_setup_invoice,
    "start_hosting": start_hosting,
    "change_hosting": change_hosting,
    "stop_hosting": stop_hosting,
}

# Which outside system each kind calls, so a rate limit from one parks only that system's rows.
SYSTEM_OF = {
    "record_payment": "xero",
    "payout_fee": "xero",
    "payout_transfer": "xero",
    "history_note": "xero",
    "renewal_invoice": "xero",
    "order_invoice": "xero",
    "setup_invoice": "xero",
    "start_hosting": "xero",
    "change_hosting": "xero",
    "stop_hosting": "xero",
    "register_domain": "registrar",
    "renew_domain": "registrar",
}

_WHAT_BY_HAND = {
    "record_payment": "Record the payment on the invoice in Xero by hand (reference in the detail), then mark "
    "this item done.",
    "register_domain": "Check the domain at the registrar; register it by hand if it is not ours, then run "
    "'reseller-worker orders done <order> --ref <reference>'.",
    "renew_domain": "Check the expiry at the registrar; renew by hand if it has not moved, then run "
    "'reseller-worker orders done <order> --ref <reference>'.",
    "history_note": "Add the note (in the detail) to the invoice's History in Xero, or ignore it.",
    "payout_fee": "Book the payout's fees (in the detail) as spend money out of the clearing account in Xero by hand.",
    "payout_transfer": "Transfer the payout's net (in the detail) from the clearing account to the bank account in "
    "Xero by hand, dated on the payout.",
    "renewal_invoice": "Raise the renewal invoice in Xero by hand.",
    "order_invoice": "Raise the invoice for this domain order in Xero by hand (item code for a registration).",
    "setup_invoice": "Raise the setup invoice for this site in Xero by hand (item code for setup, the plan and the "
    "domain in the line); its payment puts the site live.",
    "start_hosting": "Create the repeating invoice for this hosting service in Xero by hand.",
    "change_hosting": "Replace the repeating invoice in Xero by hand (delete it; create one at the new rate).",
    "stop_hosting": "End the repeating invoice in Xero by hand.",
}


def worker_identity() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def dispatch_outbox(app: App) -> dict[str, int | str]:
    """The job: run every due outbox row once."""
    return dispatch(app)


def dispatch(
    app: App,
    *,
    policy: OutboxPolicy | None = None,
    worker_id: str | None = None,
    checkpoint: Checkpoint = no_checkpoint,
    handlers: dict[str, Handler] | None = None,
    max_rows: int | None = None,
) -> dict[str, int | str]:
    """Claim and run due rows in batches until none are due (or `max_rows` ran); returns the counts."""
    policy = policy or OutboxPolicy()
    me = worker_id or worker_identity()
    table = handlers if handlers is not None else HANDLERS
    counts: dict[str, int] = {
        "claimed": 0,
        "done": 0,
        "retry": 0,
        "waiting": 0,
        "failed": 0,
        "lost_claim": 0,
        "orders_done": 0,
    }
    with app.engine.begin() as conn:  # recovery sweep: a crash may have left settled effects unsettled
        counts["orders_done"] += settle_orders(conn, now=app.clock())
    counts["parked"] = 0
    parked: dict[str, datetime] = {}  # system -> until when it refuses calls (a rate limit answered)
    while max_rows is None or counts["claimed"] < max_rows:
        limit = policy.batch if max_rows is None else min(policy.batch, max_rows - counts["claimed"])
        rows = claim(app.engine, worker_id=me, now=app.clock(), policy=policy, limit=limit)
        if not rows:
            break
        counts["claimed"] += len(rows)
        completed: list[OutboxRow] = []
        # The whole batch stays claimed while its rows run one by one: a heartbeat renews them all.
        beat = min(policy.heartbeat, policy.lease / 3)
        with ClaimHeartbeat(app, rows[0].claimed_by, every=beat):
            for row in rows:
                system = SYSTEM_OF.get(row.kind, "")
                if system in parked:
                    outcome_name = _park(app, row, until=parked[system], error=f"{system} rate limit")
                else:
                    outcome_name = _run(app, row, table, policy, checkpoint, parked)
                counts[outcome_name] += 1
                if outcome_name == "done":
                    completed.append(row)
        counts["orders_done"] += _settle(app, completed)
    return dict(counts)


def _park(app: App, row: OutboxRow, *, until: datetime, error: str) -> str:
    """Put a row back untouched (attempt refunded) until its system takes calls again."""
    now = app.clock()
    with app.engine.begin() as conn:
        reschedule(
            conn,
            row,
            error=error,
            now=now,
            policy=OutboxPolicy(),
            wait=max(until - now, timedelta(0)),
            refund_attempt=True,
        )
    return "parked"


def _run(
    app: App,
    row: OutboxRow,
    table: dict[str, Handler],
    policy: OutboxPolicy,
    checkpoint: Checkpoint,
    parked: dict[str, datetime],
) -> str:
    bound = log.bind(key=row.key, kind=row.kind, attempt=row.attempts)
    handler = table.get(row.kind)
    try:
        if handler is None:
            raise PermanentError(f"no handler for outbox kind {row.kind!r}", system="outbox")
        outcome: Outcome = handler(app, row, checkpoint)
    except RateLimited as exc:
        # The rest of this run leaves that system alone: every further call would only be refused too.
        until = app.clock() + timedelta(seconds=exc.retry_after)
        parked[SYSTEM_OF.get(row.kind) or exc.system] = until
        bound.warning("outbox_rate_limited", system=exc.system, limit=exc.limit, retry_after=exc.retry_after)
        return _park(app, row, until=until, error=str(exc))
    except TransientError as exc:
        return _retry(app, row, policy, f"{type(exc).__name__}: {exc}", None, bound)
    except PermanentError as exc:
        return _fail(app, row, f"{exc.system or 'outside system'} refused: {exc}", bound)
    except IntegrationError as exc:
        return _retry(app, row, policy, f"{type(exc).__name__}: {exc}", None, bound)
    except Exception as exc:  # a bug must not stop the other rows; the row retries and finally fails to review
        bound.exception("outbox_handler_crashed")
        return _retry(app, row, policy, f"{type(exc).__name__}: {exc}", None, bound)
    if isinstance(outcome, Failed):
        return _fail(app, row, outcome.reason, bound, outcome.suggested_action)
    if isinstance(outcome, Waiting):
        return _wait(app, row, outcome, bound)
    return _complete(app, row, outcome, checkpoint, bound)


def _wait(app: App, row: OutboxRow, outcome: Waiting, bound: structlog.typing.FilteringBoundLogger) -> str:
    """Back to pending until the other side finishes; waiting on it is not a failed attempt."""
    with app.engine.begin() as conn:
        now = app.clock()
        if not reschedule(
            conn,
            row,
            error=f"waiting: {outcome.reason}",
            now=now,
            policy=OutboxPolicy(),
            wait=outcome.check_again_in,
            refund_attempt=True,
        ):
            conn.rollback()
            return "lost_claim"
        if outcome.record is not None:
            outcome.record(conn)
    bound.info("outbox_waiting", reason=outcome.reason)
    return "waiting"


def _complete(
    app: App,
    row: OutboxRow,
    outcome: Done,
    checkpoint: Checkpoint,
    bound: structlog.typing.FilteringBoundLogger,
) -> str:
    with app.engine.begin() as conn:
        if not complete(conn, row, result=outcome.result, now=app.clock()):
            conn.rollback()
            bound.warning("outbox_claim_lost")
            return "lost_claim"
        if outcome.record is not None:
            outcome.record(conn)
    checkpoint("after_record")
    bound.info("outbox_done", **{k: str(v) for k, v in outcome.result.items()})
    if outcome.notify is not None and app.mailer is not None:
        try:
            app.mailer.send(outcome.notify)
        except IntegrationError as exc:  # the to-do is in the report anyway
            bound.warning("to_do_mail_failed", error=str(exc))
    return "done"


def _settle(app: App, completed: list[OutboxRow]) -> int:
    """Settle the orders of a batch's completed rows in one transaction (the sweep at the start of each run
    catches any that a crash left behind)."""
    if not completed:
        return 0
    with app.engine.begin() as conn:
        keys = [r.key for r in completed]
        linked = select(outbox_orders.c.order_id).where(outbox_orders.c.idempotency_key.in_(keys))
        order_ids = sorted({r[0] for r in conn.execute(linked)})
        return settle_orders(conn, now=app.clock(), order_ids=order_ids)


def _retry(
    app: App,
    row: OutboxRow,
    policy: OutboxPolicy,
    error: str,
    wait: timedelta | None,
    bound: structlog.typing.FilteringBoundLogger,
) -> str:
    if row.attempts >= policy.max_attempts:
        return _fail(app, row, f"gave up after {row.attempts} attempts; last error: {error}", bound)
    with app.engine.begin() as conn:
        if not reschedule(conn, row, error=error, now=app.clock(), policy=policy, wait=wait):
            return "lost_claim"
    bound.warning("outbox_retry", error=error)
    return "retry"


def _fail(
    app: App, row: OutboxRow, reason: str, bound: structlog.typing.FilteringBoundLogger, suggested_action: str = ""
) -> str:
    with app.engine.begin() as conn:
        if not fail(
            conn,
            row,
            reason=reason,
            now=app.clock(),
            suggested_action=suggested_action or _WHAT_BY_HAND.get(row.kind, "Do it by hand."),
        ):
            return "lost_claim"
    bound.error("outbox_failed", reason=reason)
    return "failed"
