"""Approving a review item: a person says which orders a receipt pays. Planned first, applied only as planned.

`plan_approval` gathers the item, its receipt and the orders as they stand, and lets `rules.settlement` work out
exactly what would be recorded and done, or why not. `approve` applies that plan in the caller's transaction: the
decision, the orders paid or part-paid, the Xero payments and the effects through the outbox, a credit for money
over what was owed. Refused, it writes nothing. The command line and the review page run it through
`worker.acting` (rehearsed and rolled back to show the plan, then done with its audit entry), so both follow the
same rules and a person always sees what will happen before it does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update

from config.settings import Settings
from rules.model import Decision, DecisionKind, Receipt
from rules.money import Money
from rules.settlement import PAYABLE, Outcome, Refusal, Settlement, Terms, settle
from rules.words import money_words
from worker.effects import books
from worker.outbox import effect_key, queue_order_effect, queue_payment
from worker.review import (
    CHORE_KINDS,
    CREDIT_KIND,
    REJECTED_KINDS,
    close_item,
    payer_keys,
    store_links,
    write_decision,
)
from worker.review_list import approve_command
from worker.store.orders import order_from_row, owed_orders
from worker.store.receipts import receipt_from_row
from worker.store.review_items import raise_review_item
from worker.store.review_tables import part_payments
from worker.store.tables import decisions, orders, receipts, review_items


@dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalRequest:
    """What a person asked: this item's receipt pays these orders (none named: the item's only candidate)."""

    review_id: int
    orders: tuple[str, ...] = ()
    terms: Terms = field(default_factory=Terms)
    link_payer: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalPlan:
    request: ApprovalRequest
    item_kind: str = ""
    receipt: Receipt | None = None
    settlement: Settlement | None = None
    refusal: Refusal | None = None
    contact_id: str = ""  # for --link-payer: the one customer of the orders
    chosen: tuple[str, ...] = ()  # the orders the rules were asked about

    @property
    def ok(self) -> bool:
        return self.settlement is not None

    def lines(self) -> list[str]:
        """Exactly what approving would record and do, in sentences; or the refusal."""
        if self.settlement is None:
            return [f"Refused: {self.refusal.reason if self.refusal else 'nothing to approve'}."]
        out = self.settlement.lines()
        if self.request.link_payer and self.receipt is not None:
            keys = ", ".join(payer_keys(self.receipt)) or "nothing (the receipt names no payer)"
            out.append(f"Remember the payer ({keys}) as Xero contact {self.contact_id} for future matching.")
        out.append(f"Close review item #{self.request.review_id} as approved.")
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalResult:
    """What `approve` did (ok) or why it did nothing. Not ok after a write (something changed meanwhile) means the
    caller must roll back, as `worker.acting` does."""

    ok: bool
    message: str
    plan: ApprovalPlan | None = None
    outbox_keys: tuple[str, ...] = ()
    payer_keys: tuple[str, ...] = ()
    credit_review_id: int | None = None


class _Conflict(Exception):
    """Something changed between planning and writing; the transaction is rolled back."""


def payment_account(settings: Settings, receipt: Receipt) -> str:
    """The Xero account a receipt's payment is recorded against, as the payment handler would choose it."""
    return books.payment_account(settings, receipt.gateway)


def _refused(request: ApprovalRequest, reason: str, **kw: Any) -> ApprovalPlan:
    return ApprovalPlan(request=request, refusal=Refusal(reason=reason), **kw)


def _credit_receipt(conn: Connection, item: Any) -> Receipt | None:
    detail = item.detail if isinstance(item.detail, Mapping) else {}
    row = conn.execute(select(receipts).where(receipts.c.receipt_id == str(detail.get("receipt_id", "")))).first()
    if row is None:
        return None
    return replace(receipt_from_row(row), money=Money.of(str(detail["amount"]), str(detail["currency"])))


def plan_approval(conn: Connection, request: ApprovalRequest, *, settings: Settings) -> ApprovalPlan:
    """What approving would record and do, from the database as it is now. Writes nothing."""
    review_id = request.review_id
    item = conn.execute(select(review_items).where(review_items.c.id == review_id)).first()
    if item is None:
        return _refused(request, f"there is no review item #{review_id}")
    kind = item.kind
    if item.status != "open":
        return _refused(request, f"review item #{review_id} is already {item.status}", item_kind=kind)
    if kind in REJECTED_KINDS:
        return _refused(
            request,
            f"#{review_id} is a {kind.replace('_', ' ')}: it failed authentication and cannot pay anything. If the "
            "money really arrived, approve the bank line or Xero payment that shows it",
            item_kind=kind,
        )
    if kind in CHORE_KINDS:
        return _refused(request, f"#{review_id} is a {kind.replace('_', ' ')}, not a payment", item_kind=kind)
    if kind == CREDIT_KIND:
        receipt = _credit_receipt(conn, item)
    else:
        row = conn.execute(select(receipts).where(receipts.c.receipt_id == item.subject)).first()
        receipt = receipt_from_row(row) if row is not None else None
    if receipt is None:
        return _refused(
            request, f"#{review_id} is about {item.subject!r}, which is not a stored receipt", item_kind=kind
        )
    if kind != CREDIT_KIND:
        existing = conn.execute(select(decisions).where(decisions.c.receipt_id == receipt.receipt_id)).first()
        if existing is not None and existing.kind == DecisionKind.AUTO.value:
            return _refused(
                request,
                f"receipt {receipt.receipt_id} was already applied to {', '.join(existing.orders)}",
                item_kind=kind,
                receipt=receipt,
            )
    chosen = list(dict.fromkeys(o for o in request.orders if o)) or list(item.candidates or ())[:1]
    if not request.orders and len(item.candidates or ()) > 1:
        return _refused(
            request,
            "it has several candidate orders: name the ones it pays (--orders)",
            item_kind=kind,
            receipt=receipt,
        )
    found = owed_orders(conn, chosen)
    missing = [o for o in chosen if o not in found]
    if missing:
        return _refused(request, f"there is no order {', '.join(missing)}", item_kind=kind, receipt=receipt)
    contact_id = ""
    if request.link_payer:
        contacts = {
            r.contact_id for r in conn.execute(select(orders.c.contact_id).where(orders.c.order_id.in_(chosen)))
        }
        if len(contacts) != 1:
            return _refused(request, "--link-payer needs orders of one customer", item_kind=kind, receipt=receipt)
        contact_id = contacts.pop()
    result = settle(
        receipt,
        [found[o] for o in chosen],
        request.terms,
        home_currency=settings.worker.home_currency,
        account_code=payment_account(settings, receipt),
    )
    found_by = {"request": request, "item_kind": kind, "receipt": receipt, "contact_id": contact_id}
    if isinstance(result, Refusal):
        return ApprovalPlan(refusal=result, chosen=tuple(chosen), **found_by)
    return ApprovalPlan(settlement=result, chosen=tuple(chosen), **found_by)


def approve(conn: Connection, request: ApprovalRequest, *, settings: Settings, now: datetime) -> ApprovalResult:
    """Plan the approval and, unless refused, apply exactly that plan in the caller's transaction."""
    plan = plan_approval(conn, request, settings=settings)
    if not plan.ok:
        return ApprovalResult(ok=False, message=refusal_words(plan), plan=plan)
    try:
        return _apply(conn, plan, now=now, zone=settings.worker.zone)
    except _Conflict as exc:
        return ApprovalResult(ok=False, message=f"{exc}; nothing was recorded", plan=plan)


def refusal_words(plan: ApprovalPlan) -> str:
    """Why not, with the difference, and each way forward in words (the review page's and the CLI's message)."""
    refusal = plan.refusal
    text = refusal.reason if refusal is not None else "nothing to approve"
    for option in refusal.options if refusal is not None else ():
        text += f". With {option.flags}: {option.says}"
    return text


def _apply(conn: Connection, plan: ApprovalPlan, *, now: datetime, zone: tzinfo) -> ApprovalResult:
    settlement, receipt, request = plan.settlement, plan.receipt, plan.request
    assert settlement is not None and receipt is not None
    review_id = request.review_id
    chosen = [a.order.order_id for a in settlement.allocations]
    resolution = f"{settlement.outcome.value}: {money_words(settlement.applied)} for {', '.join(chosen)}"
    if not close_item(conn, review_id, status="approved", resolution=resolution, now=now):
        raise _Conflict(f"review item #{review_id} was resolved meanwhile")
    _record_decision(conn, plan, now=now)
    rows = {r.order_id: r for r in conn.execute(select(orders).where(orders.c.order_id.in_(chosen)))}
    keys: list[str] = []
    for allocation in settlement.allocations:
        order_id = allocation.order.order_id
        values: dict[str, Any] = {"updated_at": now}
        if allocation.complete:
            values.update(status="paid", paid_by=receipt.receipt_id)
        else:
            values.update(status="part_paid")
        done = conn.execute(
            update(orders).where(orders.c.order_id == order_id, orders.c.status.in_(PAYABLE)).values(**values)
        )
        if (done.rowcount or 0) != 1:
            raise _Conflict(f"order {order_id} was paid or closed meanwhile")
        if allocation.order.status == "part_paid" or not allocation.complete:
            conn.execute(
                part_payments.insert().values(
                    order_id=order_id,
                    invoice_id=allocation.order.invoice_id,
                    receipt_id=receipt.receipt_id,
                    amount=str(allocation.applied.amount),
                    currency=allocation.applied.currency,
                    review_id=review_id,
                    created_at=now,
                )
            )
    converted: dict[str, Any] = {}
    if settlement.rate is not None:
        converted = {
            "received": str(settlement.received.amount),
            "received_currency": settlement.received.currency,
            "rate": str(settlement.rate),
        }
    for payment in settlement.payments:
        if payment.already_in_xero:
            continue
        parts = ["payment", payment.invoice_id, receipt.receipt_id]
        if plan.item_kind == CREDIT_KIND:
            parts.append(f"credit{review_id}")  # the same receipt may pay this invoice once more from its credit
        key = effect_key(*parts)
        if not queue_payment(
            conn,
            key=key,
            invoice_id=payment.invoice_id,
            invoice_number=payment.invoice_number,
            order_ids=payment.order_ids,
            receipt=receipt,
            amount=payment.amount,
            now=now,
            extra={"account_code": payment.account_code, "review_id": review_id, **converted},
        ):
            raise _Conflict(
                f"a payment from receipt {receipt.receipt_id} on {payment.invoice_number} is queued already"
            )
        keys.append(key)
    for order in settlement.paid_in_full:
        row = rows[order.order_id]
        key = queue_order_effect(
            conn,
            order=order_from_row(row),
            receipt_id=receipt.receipt_id,
            sale=Money.of(row.amount_due, row.currency),
            now=now,
            zone=zone,
        )
        if key:
            keys.append(key)
    credit_id = _raise_credit(conn, plan, now=now) if settlement.credit is not None else None
    linked: tuple[str, ...] = ()
    if request.link_payer:
        linked = payer_keys(receipt)
        store_links(conn, linked, plan.contact_id, now)
    paid = ", ".join(a.order.order_id for a in settlement.allocations)
    lines = [f"#{review_id} approved: {receipt.receipt_id} pays {paid}; {len(keys)} action(s) queued.", *plan.lines()]
    if credit_id is not None:
        lines.append(f"The credit is review item #{credit_id}.")
    return ApprovalResult(
        ok=True,
        message="\n".join(lines),
        plan=plan,
        outbox_keys=tuple(keys),
        payer_keys=linked,
        credit_review_id=credit_id,
    )


def _record_decision(conn: Connection, plan: ApprovalPlan, *, now: datetime) -> None:
    settlement, receipt, request = plan.settlement, plan.receipt, plan.request
    assert settlement is not None and receipt is not None
    chosen = tuple(a.order.order_id for a in settlement.allocations)
    outcome = {Outcome.EXACT: "paid in full", Outcome.PART: "part payment", Outcome.OVERPAID: "overpaid"}
    if plan.item_kind == CREDIT_KIND:
        # The receipt was decided when it was first approved; its credit now pays more orders too.
        existing = conn.execute(select(decisions).where(decisions.c.receipt_id == receipt.receipt_id)).first()
        earlier = tuple(existing.orders) if existing is not None else ()
        conn.execute(
            update(decisions)
            .where(decisions.c.receipt_id == receipt.receipt_id)
            .values(orders=list(dict.fromkeys(earlier + chosen)))  # received once: its day stays
        )
        return
    item = conn.execute(select(review_items.c.reason).where(review_items.c.id == request.review_id)).first()
    was = item.reason if item is not None else ""
    write_decision(
        conn,
        Decision(
            receipt_id=receipt.receipt_id,
            kind=DecisionKind.AUTO,
            orders=chosen,
            reason=f"approved by the reseller (review #{request.review_id}, {outcome[settlement.outcome]}; was: {was})"[
                :2000
            ],
            strategy="reviewer_approval",
        ),
        now,
    )


def _raise_credit(conn: Connection, plan: ApprovalPlan, *, now: datetime) -> int | None:
    settlement, receipt = plan.settlement, plan.receipt
    assert settlement is not None and settlement.credit is not None and receipt is not None
    first = settlement.allocations[0].order
    contact = conn.execute(select(orders.c.contact_id).where(orders.c.order_id == first.order_id)).scalar_one()
    subject = f"credit:{plan.request.review_id}:{receipt.receipt_id}"[:255]
    raise_review_item(
        conn,
        kind=CREDIT_KIND,
        subject=subject,
        reason=f"{money_words(settlement.credit)} over what {first.customer} owed on "
        f"{', '.join(p.invoice_number for p in settlement.payments)}",
        now=now,
        suggested_action="Refund it, or apply it to another order of this customer.",
        candidates=_open_orders_of(conn, contact),
        detail={
            "receipt_id": receipt.receipt_id,
            "amount": str(settlement.credit.amount),
            "currency": settlement.credit.currency,
            "contact_id": contact,
            "customer": first.customer,
            "from_review": plan.request.review_id,
        },
    )
    return conn.execute(
        select(review_items.c.id).where(review_items.c.kind == CREDIT_KIND, review_items.c.subject == subject)
    ).scalar_one_or_none()


def _open_orders_of(conn: Connection, contact_id: str) -> list[str]:
    rows = conn.execute(
        select(orders.c.order_id)
        .where(orders.c.contact_id == contact_id, orders.c.status.in_(PAYABLE))
        .order_by(orders.c.due, orders.c.order_id)
        .limit(5)
    )
    return [r.order_id for r in rows]


def refusal_text(plan: ApprovalPlan, prefix: str) -> str:
    """A refused approval at the command line: why, that nothing was recorded, and the commands that would go
    ahead, runnable as printed."""
    reason = plan.refusal.reason if plan.refusal is not None else "nothing to approve"
    lines = [f"Refused: {reason}.", "Nothing was recorded or queued."]
    if not plan.chosen or plan.refusal is None:
        return "\n".join(lines)
    review_id = plan.request.review_id
    options = plan.refusal.options
    if options:
        lines.append("Options:")
    for option in options:
        kept = _kept_flags(plan.request)
        flags = " ".join(kept if option.flags in kept else [*kept, option.flags])
        lines.append(f"  {option.flags}: {option.says}")
        lines.append(f"    {approve_command(prefix, review_id, plan.chosen, flags)}")
    lines.append(
        f"If it pays other orders, name them with --orders; if it is no payment for an order: "
        f"{prefix} review ignore {review_id}"
    )
    return "\n".join(lines)


def _kept_flags(request: ApprovalRequest) -> list[str]:
    """The flags already given, so an option's command adds to them rather than dropping them."""
    flags = []
    if request.terms.part:
        flags.append("--part")
    if request.terms.overpaid:
        flags.append("--overpaid")
    if request.terms.home_amount is not None:
        flags.append(f"--home-amount {request.terms.home_amount}")
    if request.link_payer:
        flags.append("--link-payer")
    return flags


def parse_home_amount(text: str | None) -> Decimal | None:
    """`--home-amount 33.50` as a Decimal (no float on the way); None when not given. ValueError when not a number."""
    if text is None:
        return None
    try:
        value = Decimal(text.replace(",", "").strip())
    except ArithmeticError:
        raise ValueError(f"--home-amount must be an amount like 33.50, not {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"--home-amount must be an amount like 33.50, not {text!r}")
    return value


def order_ids(text: str | None) -> tuple[str, ...]:
    """`--orders A,B` as ("A", "B")."""
    return tuple(o.strip() for o in (text or "").split(",") if o.strip())
