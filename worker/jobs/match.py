"""The `match_receipts` job: decide every new receipt in time order with the same code replay runs, and apply
each decision in its own transaction (decision row, orders paid, review item, outbox effects).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Connection, and_, insert, select, update

from config.settings import Settings
from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.model import Decision, DecisionKind, Order, Receipt, ReceiptSource
from rules.money import Money
from rules.policy import apply, decide
from rules.references import builtin_patterns
from rules.settlement import PAYABLE
from worker.outbox import enqueue_effects_for_decision
from worker.store.orders import order_from_row, part_paid_sums, still_owed
from worker.store.receipts import receipt_from_row, was_forwarded
from worker.store.review_items import raise_review_item
from worker.store.tables import decisions, orders, outbox, payer_links, receipts

if TYPE_CHECKING:
    from worker.app import App

log = structlog.get_logger(__name__)

SOURCE_RANK = {ReceiptSource.XERO_PAYMENT.value: 0, ReceiptSource.BANK_LINE.value: 1, ReceiptSource.NOTICE.value: 2}
# How far back Xero's payments are loaded to confirm Xero notices, and closed orders to explain repeats.
HISTORY = timedelta(days=60)


def match_policy(settings: Settings) -> MatchPolicy:
    """The matching policy from the `[matching]` settings."""
    m = settings.matching
    patterns = builtin_patterns().extended(m.extra_patterns)
    return MatchPolicy(
        home_currency=settings.worker.home_currency,
        auto_tolerance=m.fee_tolerance,
        max_candidates=m.max_candidates,
        min_domain_prefix=m.min_domain_prefix,
        bank_field_length=m.bank_field_length,
        notice_confirm_window=timedelta(hours=m.notice_confirm_hours),
        amount_only_candidates=m.amount_only_candidates,
        own_names=m.own_account_names,
        platform_gateways=frozenset(g.lower() for g in m.platform_gateways),
        patterns=patterns,
    )


def stored_receipt(row: Any) -> tuple[Receipt, bool]:
    """A receipt row as the rules see it, with Xero's flags, and whether staff forwarded it."""
    return receipt_from_row(row), was_forwarded(row)


def _load_book(conn: Connection, policy: MatchPolicy, since: datetime) -> OrderBook:
    rows = conn.execute(
        select(orders).where(
            orders.c.status.in_(PAYABLE) | (orders.c.status.in_(("paid", "done")) & (orders.c.updated_at >= since))
        )
    ).all()
    # A part-paid order owes only the rest: a later payment of exactly that completes it.
    part_paid = part_paid_sums(conn, [r.order_id for r in rows if r.status == "part_paid"])
    loaded: list[Order] = []
    closed: dict[str, str] = {}
    for row in rows:
        try:
            loaded.append(still_owed(order_from_row(row), part_paid.get(row.order_id)))
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("order_unreadable", order_id=row.order_id, error=str(exc))
            continue
        if row.status not in PAYABLE:
            closed[row.order_id] = row.paid_by or "an earlier receipt"
    seen = conn.execute(
        select(receipts.c.gateway, receipts.c.gateway_txn_id, receipts.c.receipt_id)
        .join(decisions, decisions.c.receipt_id == receipts.c.receipt_id)
        .where(
            receipts.c.gateway_txn_id != "",
            decisions.c.kind.in_((DecisionKind.AUTO.value, DecisionKind.REVIEW.value)),
            receipts.c.received_at >= since,
        )
    ).all()
    links = {r.payer_key: r.contact_id for r in conn.execute(select(payer_links.c.payer_key, payer_links.c.contact_id))}
    return OrderBook(
        loaded,
        patterns=policy.patterns,
        closed=closed,
        seen_transactions={(r.gateway, r.gateway_txn_id): r.receipt_id for r in seen},
        payer_links=links,
    )


def own_payments(conn: Connection, since: datetime) -> dict[str, str]:
    """Xero PaymentIDs of the payments the worker recorded since `since`, each with the receipt it recorded."""
    rows = conn.execute(
        select(outbox.c.payload, outbox.c.result).where(
            outbox.c.kind == "record_payment", outbox.c.status == "done", outbox.c.updated_at >= since
        )
    )
    found: dict[str, str] = {}
    for payload, result in rows:
        if isinstance(result, dict) and result.get("payment_id") and isinstance(payload, dict):
            found[str(result["payment_id"])] = str(payload.get("receipt_id", ""))
    return found


def _load_record(conn: Connection, since: datetime) -> PaymentRecord:
    rows = conn.execute(
        select(receipts).where(receipts.c.source == ReceiptSource.XERO_PAYMENT.value, receipts.c.received_at >= since)
    ).all()
    return PaymentRecord(stored_receipt(r)[0] for r in rows)


def _new_receipts(conn: Connection, limit: int) -> list[Any]:
    rows = conn.execute(
        select(receipts).where(receipts.c.status == "new").order_by(receipts.c.received_at).limit(limit)
    ).all()
    return sorted(rows, key=lambda r: (r.received_at, SOURCE_RANK.get(r.source, 9)))


def _waits_for_platform(decision: Decision, receipt: Receipt, policy: MatchPolicy, now: datetime) -> bool:
    """A platform notice not yet confirmed may only be early: Xero's payment record arrives with the next sync.
    It is rejected only once the confirmation window has passed."""
    return (
        decision.kind is DecisionKind.REJECT
        and decision.strategy == "platform_notice"
        and now - receipt.received_at < policy.notice_confirm_window
    )


def record_decision(
    conn: Connection, *, decision: Decision, receipt: Receipt, book: OrderBook, now: datetime, zone: tzinfo
) -> Decision:
    """Write one decision and everything it means, inside the caller's transaction. Returns the decision as
    written (an auto decision whose order was closed meanwhile becomes a review)."""
    claimed = conn.execute(
        update(receipts)
        .where(receipts.c.receipt_id == receipt.receipt_id, receipts.c.status == "new")
        .values(status="decided")
    )
    if (claimed.rowcount or 0) != 1:
        return decision  # another worker decided it first; nothing to write
    if decision.kind is DecisionKind.AUTO:
        before = dict(
            conn.execute(select(orders.c.order_id, orders.c.status).where(orders.c.order_id.in_(decision.orders)))
            .tuples()
            .all()
        )
        paid = conn.execute(
            update(orders)
            .where(and_(orders.c.order_id.in_(decision.orders), orders.c.status.in_(PAYABLE)))
            .values(status="paid", paid_by=receipt.receipt_id, updated_at=now)
        )
        if (paid.rowcount or 0) != len(decision.orders):
            # Someone closed an order between loading and now: never act twice, let a person look.
            for order_id, status in before.items():
                if status in PAYABLE:
                    conn.execute(
                        update(orders)
                        .where(and_(orders.c.order_id == order_id, orders.c.paid_by == receipt.receipt_id))
                        .values(status=status, paid_by=None, updated_at=now)
                    )
            decision = replace(
                decision,
                kind=DecisionKind.REVIEW,
                review_kind="already_paid",
                reason=decision.reason + "; but an order was closed meanwhile",
                suggested_action="Check for a double payment; refund or credit it if so.",
            )
    conn.execute(
        insert(decisions).values(
            receipt_id=receipt.receipt_id,
            kind=decision.kind.value,
            orders=list(decision.orders),
            reason=decision.reason,
            strategy=decision.strategy,
            decided_at=now,
        )
    )
    if decision.kind is DecisionKind.AUTO:
        chosen = [book.orders[o] for o in decision.orders]
        enqueue_effects_for_decision(conn, decision=decision, receipt=receipt, orders=chosen, now=now, zone=zone)
    elif decision.kind in (DecisionKind.REVIEW, DecisionKind.REJECT):
        raise_review_item(
            conn,
            kind=(decision.review_kind or ("rejected_notice" if decision.kind is DecisionKind.REJECT else "unmatched"))[
                :32
            ],
            subject=receipt.receipt_id,
            reason=decision.reason,
            now=now,
            suggested_action=decision.suggested_action,
            candidates=decision.orders,
            detail={
                "source": receipt.source.value,
                "amount": str(receipt.money.rounded().amount),
                "currency": receipt.money.currency,
                "payer": receipt.payer_name,
                "received_at": receipt.received_at.isoformat(),
                "strategy": decision.strategy,
                "decision": decision.kind.value,
            },
        )
    return decision


def _review_kind(decision: Decision) -> str:
    fallback = "rejected_notice" if decision.kind is DecisionKind.REJECT else "unmatched"
    return (decision.review_kind or fallback)[:32]


def decide_stored(app: App, *, limit: int = 5000) -> Counter[str]:
    """Decide the new receipts in time order; one transaction per receipt."""
    policy = match_policy(app.settings)
    now = app.clock()
    since = now - HISTORY
    with app.engine.connect() as conn:
        book = _load_book(conn, policy, since)
        record = _load_record(conn, since)
        own = own_payments(conn, since)
        rows = _new_receipts(conn, limit)
    counts: Counter[str] = Counter()
    for row in rows:
        try:
            receipt, forwarded = stored_receipt(row)
        except (ValueError, TypeError, KeyError) as exc:
            receipt, forwarded = None, False
            log.warning("receipt_unreadable", receipt_id=row.receipt_id, error=str(exc))
        if receipt is None:
            decision = Decision(
                receipt_id=row.receipt_id,
                kind=DecisionKind.REVIEW,
                strategy="unreadable",
                reason="the stored receipt could not be read",
                review_kind="unreadable",
            )
            receipt = _placeholder(row)
        elif receipt.receipt_id in own:
            # Xero hands back the payments the worker recorded; they are the receipt they came from, not new money.
            decision = Decision(
                receipt_id=receipt.receipt_id,
                kind=DecisionKind.IGNORE,
                strategy="own_payment",
                reason=f"the worker recorded this payment in Xero itself, for receipt {own[receipt.receipt_id]}",
            )
        else:
            decision = decide(receipt, book, record, policy, forwarded=forwarded)
            if _waits_for_platform(decision, receipt, policy, now):
                counts["waiting"] += 1
                continue
        with app.engine.begin() as conn:
            decision = record_decision(
                conn, decision=decision, receipt=receipt, book=book, now=now, zone=app.settings.worker.zone
            )
        apply(book, receipt, decision)
        counts[decision.kind.value] += 1
    counts["decided"] = sum(counts[k.value] for k in DecisionKind)
    return counts


def _placeholder(row: Any) -> Receipt:
    return Receipt(
        receipt_id=row.receipt_id, source=ReceiptSource.BANK_LINE, received_at=row.received_at, money=Money.zero("NZD")
    )


def match_receipts(app: App) -> dict[str, int | str]:
    """Job: decide new receipts against open orders and apply each decision."""
    counts = decide_stored(app)
    return {k: counts[k] for k in ("decided", "auto", "review", "ignore", "reject", "waiting")}
