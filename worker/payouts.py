"""Payouts as people see them (`payouts list`, the report, the review page): each payout with its gross, fees, net,
the bank line it matched, its state and its card payments; card payments never paid out; and `accept`, by which a
person settles a payout the worker could not (after recording by hand what it held that the worker had no record
of: a refund, a chargeback, a payment taken outside the worker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, select

from config.settings import Settings
from rules.money import Money
from rules.payouts import CardPayment, Outcome, Settlement, never_paid_out
from rules.reasons import reason_words
from rules.services import service_name
from rules.words import date_words, money_words
from worker.store.card_payments import unsettled_payments
from worker.store.payout_tables import card_payments, payout_sightings, payouts


@dataclass(frozen=True, kw_only=True, slots=True)
class PaymentView:
    receipt_id: str
    invoices: tuple[str, ...]
    amount: Money
    paid_on: date
    state: str  # notified, in_payout, settled


@dataclass(frozen=True, kw_only=True, slots=True)
class PayoutView:
    key: str
    service: str  # the payment service's name
    reference: str  # on the fee and the transfer in Xero
    state: str  # settled, waiting, mismatch
    paid_on: date
    net: Money
    gross: Money | None
    fees: Money | None
    bank_line: str  # the bank statement line it matched, '' until seen
    seen_as: tuple[str, ...]  # bank_line, notice, service
    reason: str
    missing: tuple[str, ...]
    payments: tuple[PaymentView, ...]


def _money(value: str, currency: str) -> Money | None:
    return Money.of(value, currency) if value else None


def list_payouts(conn: Connection, *, limit: int = 100, state: str = "") -> list[PayoutView]:
    """Newest first."""
    q = select(payouts).order_by(payouts.c.paid_on.desc(), payouts.c.key).limit(limit)
    if state:
        q = q.where(payouts.c.state == state)
    rows = conn.execute(q).all()
    keys = [r.key for r in rows]
    carried: dict[str, list[PaymentView]] = {}
    sources: dict[str, list[str]] = {}
    if keys:
        for p in conn.execute(select(card_payments).where(card_payments.c.payout_key.in_(keys))):
            carried.setdefault(p.payout_key, []).append(
                PaymentView(
                    receipt_id=p.receipt_id,
                    invoices=tuple(p.invoices or ()),
                    amount=Money.of(p.amount, p.currency),
                    paid_on=date.fromisoformat(p.paid_on),
                    state=p.state,
                )
            )
        for s in conn.execute(select(payout_sightings.c.payout_key, payout_sightings.c.source)):
            if s.payout_key in keys:
                sources.setdefault(s.payout_key, []).append(s.source)
    views: list[PayoutView] = []
    for r in rows:
        detail = r.detail if isinstance(r.detail, dict) else {}
        views.append(
            PayoutView(
                key=r.key,
                service=service_name(r.gateway),
                reference=r.reference,
                state=r.state,
                paid_on=date.fromisoformat(r.paid_on),
                net=Money.of(r.net, r.currency),
                gross=_money(r.gross, r.currency),
                fees=_money(r.fees, r.currency),
                bank_line=r.bank_line,
                seen_as=tuple(sorted(set(sources.get(r.key, [])))),
                reason=r.reason,
                missing=tuple(str(m) for m in detail.get("missing") or ()),
                payments=tuple(sorted(carried.get(r.key, []), key=lambda p: (p.paid_on, p.receipt_id))),
            )
        )
    return views


def payout_json(view: PayoutView) -> dict[str, Any]:
    def amount(m: Money | None) -> str | None:
        return None if m is None else str(m.cents())

    return {
        "key": view.key,
        "service": view.service,
        "reference": view.reference,
        "state": view.state,
        "paid_on": view.paid_on.isoformat(),
        "currency": view.net.currency,
        "gross": amount(view.gross),
        "fees": amount(view.fees),
        "net": amount(view.net),
        "bank_line": view.bank_line or None,
        "seen_as": list(view.seen_as),
        "reason": view.reason,
        "missing": list(view.missing),
        "payments": [
            {
                "receipt": p.receipt_id,
                "invoices": list(p.invoices),
                "amount": str(p.amount.cents()),
                "paid_on": p.paid_on.isoformat(),
                "state": p.state,
            }
            for p in view.payments
        ],
    }


def never_paid(conn: Connection, settings: Settings, today: date) -> list[tuple[CardPayment, date]]:
    """Card payments of a set-up service that no payout carried within its schedule plus three business days."""
    terms = {g.name: g.terms for g in settings.gateways.services}
    return never_paid_out(unsettled_payments(conn), terms, today)


def payouts_text(views: list[PayoutView], late: list[tuple[CardPayment, date]]) -> str:
    """Payouts and card payments never paid out, as `payouts list` prints them."""
    out: list[str] = [] if views else ["No payouts yet."]
    for v in views:
        gross = money_words(v.gross) if v.gross is not None else "?"
        fees = money_words(v.fees) if v.fees is not None else "?"
        out.append(
            f"{date_words(v.paid_on):>11}  {v.service:<8} {v.state:<9} net {money_words(v.net)}  gross {gross}  "
            f"fees {fees}  [{v.key}]"
        )
        seen = ", ".join(s.replace("_", " ") for s in v.seen_as) or "-"
        out.append(f"    bank line: {v.bank_line or 'not seen yet'}; seen as {seen}; {v.reference}")
        for p in v.payments:
            out.append(
                f"    - {date_words(p.paid_on):>11}  {money_words(p.amount)}  {', '.join(p.invoices) or '-'}  "
                f"{p.state}  ({p.receipt_id})"
            )
        if v.state == "mismatch":
            out.append(f"    needs a person: {reason_words(v.reason)}")
    if late:
        out.append(f"\nNotified, never paid out ({len(late)}):")
        for card, since in late:
            invoices = ", ".join(card.invoices) or "-"
            out.append(
                f"  {date_words(card.paid_on):>11}  {service_name(card.gateway):<8} {money_words(card.money)}  "
                f"{invoices}  late since {date_words(since)}  ({card.payment_id})"
            )
    return "\n".join(out)


class AcceptRefused(ValueError):
    """`payouts accept` cannot settle this payout as asked; the message says why."""


def accept_payout(
    conn: Connection,
    settings: Settings,
    key: str,
    *,
    payments: list[str] | None,
    recorded_by_hand: Decimal,
    now: datetime,
) -> Settlement:
    """A person settles a payout: the payments it carried (the ones the service's record names, or `payments`),
    what they recorded by hand on the clearing account for it (`recorded_by_hand`: money in, or out when
    negative), and so the fees; then the fee and the transfer are queued as for a matched payout. Refused when the
    figures cannot add up (fees below zero, a payment another payout carried)."""
    from worker.jobs.payouts import apply_settlement, sighting_from_row

    row = conn.execute(select(payouts).where(payouts.c.key == key)).first()
    if row is None:
        raise AcceptRefused(f"no payout {key}; 'reseller-worker payouts list' shows them")
    if row.matched:
        raise AcceptRefused(f"payout {key} is settled already; its fees and transfer are queued or booked")
    gateway = settings.gateways.get(row.gateway)
    if gateway is None:
        raise AcceptRefused(f"{row.gateway} is not set up ([gateways.{row.gateway}] clearing_account)")
    net = Money.of(row.net, row.currency)
    sightings = [
        sighting_from_row(s) for s in conn.execute(select(payout_sightings).where(payout_sightings.c.payout_key == key))
    ]
    record = next((s for s in sightings if s.lines is not None), None)
    waiting = {p.payment_id: p for p in unsettled_payments(conn, row.gateway)}
    if payments is None:
        detail = row.detail if isinstance(row.detail, dict) else {}
        payments = [str(p) for p in detail.get("candidates") or ()] if record is not None else None
        if payments is None:
            raise AcceptRefused("name the payments this payout carried: --payments RECEIPT,RECEIPT,...")
    chosen: list[CardPayment] = []
    for pid in payments:
        if pid not in waiting:
            raise AcceptRefused(f"{pid} is no card payment of {row.gateway} waiting for a payout")
        chosen.append(waiting[pid])
    gross = Money.zero(net.currency)
    for p in chosen:
        gross = gross + p.money
    if record is not None and record.lines is not None:
        fees = Money.zero(net.currency)
        for line in record.lines:
            if line.fee.currency == net.currency:
                fees = fees + line.fee
    else:
        fees = gross + Money(amount=recorded_by_hand, currency=net.currency) - net
    if fees.amount < 0:
        raise AcceptRefused(
            f"these payments ({gross}) and {recorded_by_hand} recorded by hand come to less than the {net} paid out: "
            "record what else the payout held on the clearing account first, then give it as --recorded-by-hand"
        )
    settlement = Settlement(
        outcome=Outcome.EXACT,
        strategy="accepted",
        net=net,
        payments=tuple(p.payment_id for p in chosen),
        gross=gross,
        fees=fees,
        reason=f"accepted by a person: {len(chosen)} payment(s), gross {gross}, fees {fees}, net {net}"
        + (f", {recorded_by_hand} recorded by hand" if recorded_by_hand else ""),
    )
    outcome = apply_settlement(conn, row, settlement, gateway, now, bank_code=settings.xero.bank_account_code)
    if outcome != "matched":
        raise AcceptRefused("another payout took one of these payments meanwhile; list the payouts and try again")
    return settlement


def parse_amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise AcceptRefused(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise AcceptRefused(f"not an amount: {text!r}")
    return value
