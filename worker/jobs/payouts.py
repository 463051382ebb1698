"""`match_payouts`: recognise payouts (a payment service's line on the bank statement, its payout notice, its own
record through its API), find the card payments each one settles (pure: `rules.payouts`), and queue what empties the
clearing account: the fees as spend money and the net as a transfer to the bank, through the outbox. A payout that
does not add up, or holds something the worker has no record of, goes to a person with the candidates.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Connection, select, update

from config.gateways import GatewaySettings
from integrations.errors import IntegrationError
from rules.model import DecisionKind, ReceiptSource
from rules.money import Money
from rules.payouts import (
    Outcome,
    PayoutLine,
    Settlement,
    Sighting,
    SightingSource,
    payout_service,
    same_payout,
    settle,
)
from rules.services import service_name
from worker.outbox import effect_key, enqueue
from worker.store.card_payments import insert_card_payment, unsettled_payments
from worker.store.payout_tables import card_payments, payout_sightings, payouts
from worker.store.receipts import receipt_from_row
from worker.store.review_items import raise_review_item
from worker.store.tables import decisions, outbox, receipts, review_items

if TYPE_CHECKING:
    from worker.app import App

log = structlog.get_logger(__name__)

LOOKBACK = timedelta(days=60)  # bank lines and payouts older than this are not looked at again
SERVICE_LOOKBACK = timedelta(days=30)  # how far back the service's API is asked for payouts
SERVICE_WAIT = timedelta(days=2)  # with the API set up, a payout seen elsewhere waits this long for its record
ATTACH_DAYS = 10  # sightings are compared with payouts this many days either side
RECHECK = timedelta(hours=1)  # how often Xero is asked whether a booked payout's transfer was reconciled
RECONCILED_IN_XERO = "reconciled in Xero"  # the bank line a payout matched, when only Xero's reconciliation shows it

REVIEW_ACTIONS = {
    "payout_unknown": "Find what the payout holds that the worker has no record of (a payment taken outside the "
    "worker, a refund, a chargeback, a dispute) and record it on the clearing account by hand; then "
    "'reseller-worker payouts accept {key}' books the fees and the transfer.",
    "payout_mismatch": "Compare the payout with the service's own statement; record what differs by hand, then "
    "'reseller-worker payouts accept {key} --payments ...' with the payments it carried.",
    "payout_ambiguous": "Pick the payments this payout carried from the service's statement, then "
    "'reseller-worker payouts accept {key} --payments ...'.",
    "payout_reconciled": "The payout's bank line is already reconciled in Xero: check how it was coded; if it was "
    "booked as income, undo that and run 'reseller-worker payouts accept {key}'.",
    "payout_negative": "The service took money back: record it on the clearing account by hand.",
}


def match_payouts(app: App) -> dict[str, int | str]:
    """The job: gather the signs of payouts, group them into payouts, settle each one once."""
    counts: Counter[str] = Counter()
    services = {g.name: g for g in app.settings.gateways.services}
    if not services:
        return {"sighted": 0, "matched": 0, "review": 0, "waiting": 0, "settled": 0, "service_errors": 0}
    now = app.clock()
    with app.engine.begin() as conn:
        _note_xero_payments(conn, services, now)
        counts["sighted"] += _sight_bank_lines(conn, services, now)
    counts["sighted"] += _sight_service_records(app, services, now, counts)
    with app.engine.begin() as conn:
        counts["settled"] += _attach(conn, services, now)
    counts["settled"] += _reconciled_in_xero(app, now)
    for key in _undecided(app):
        with app.engine.begin() as conn:
            outcome = _decide(conn, key, services, now, bank_code=app.settings.xero.bank_account_code)
        if outcome:
            counts[outcome] += 1
    return {k: counts[k] for k in ("sighted", "matched", "review", "waiting", "settled", "service_errors")}


# ---- gather --------------------------------------------------------------------------------------------------


def _note_xero_payments(conn: Connection, services: dict[str, GatewaySettings], now: datetime) -> int:
    """Xero's own online payments: Xero records them itself, on the account its payment service is set to. Those
    on `[gateways.xero]`'s clearing account are card payments the worker follows until a payout carries them."""
    xero = services.get("xero")
    if xero is None:
        return 0
    known = select(card_payments.c.receipt_id)
    rows = conn.execute(
        select(receipts).where(
            receipts.c.source == ReceiptSource.XERO_PAYMENT.value,
            receipts.c.received_at >= now - LOOKBACK,
            receipts.c.receipt_id.not_in(known),
        )
    ).all()
    noted = 0
    for row in rows:
        try:
            receipt = receipt_from_row(row)
        except (ValueError, TypeError, KeyError):
            continue
        if receipt.account_code != xero.clearing_account or receipt.flags or receipt.money.amount <= 0:
            continue
        # Xero puts the payment service's transaction id in the payment's Reference.
        reference = next((v for k, v in receipt.text if k == "reference"), "")
        noted += insert_card_payment(
            conn,
            receipt=receipt,
            gateway="xero",
            txn_id=reference,
            invoices=[receipt.invoice_number] if receipt.invoice_number else [],
            now=now,
        )
    return noted


def _sight_bank_lines(conn: Connection, services: dict[str, GatewaySettings], now: datetime) -> int:
    """Bank lines the matching job ignored as a payment service's settlement become sightings of its payouts."""
    payees = {name: g.payees for name, g in services.items()}
    seen = select(payout_sightings.c.ref).where(payout_sightings.c.source == SightingSource.BANK_LINE.value)
    rows = conn.execute(
        select(receipts)
        .join(decisions, decisions.c.receipt_id == receipts.c.receipt_id)
        .where(
            receipts.c.source == ReceiptSource.BANK_LINE.value,
            receipts.c.received_at >= now - LOOKBACK,
            decisions.c.kind == DecisionKind.IGNORE.value,
            receipts.c.receipt_id.not_in(seen),
        )
    ).all()
    added = 0
    for row in rows:
        try:
            receipt = receipt_from_row(row)
        except (ValueError, TypeError, KeyError):
            continue
        if receipt.money.amount <= 0 or {"deleted", "duplicate"} & set(receipt.flags):
            continue
        gateway = payout_service(receipt.payer_name, " ".join(v for _, v in receipt.text), payees)
        if not gateway:
            continue
        added += add_sighting(
            conn,
            Sighting(
                source=SightingSource.BANK_LINE,
                ref=receipt.receipt_id,
                gateway=gateway,
                net=receipt.money,
                on=receipt.received_at.date(),
            ),
            now,
            reconciled="reconciled" in receipt.flags,
        )
    return added


def _sight_service_records(app: App, services: dict[str, GatewaySettings], now: datetime, counts: Counter[str]) -> int:
    """Payouts the service's own API reports, each with its itemised contents (automatic payouts only)."""
    added = 0
    for name, gateway in services.items():
        service = app.payment_services.get(name)
        if gateway.api == "none" or service is None:
            continue
        try:
            found = service.payouts(arriving_since=(now - SERVICE_LOOKBACK).date())
            with app.engine.connect() as conn:
                known = {
                    r.ref
                    for r in conn.execute(
                        select(payout_sightings.c.ref).where(payout_sightings.c.source == SightingSource.SERVICE.value)
                    )
                }
            for payout in found:
                if payout.payout_id in known:
                    continue
                lines = tuple(service.payout_lines(payout)) if payout.automatic else None
                sighting = Sighting(
                    source=SightingSource.SERVICE,
                    ref=payout.payout_id,
                    gateway=name,
                    net=payout.net,
                    on=payout.arrives,
                    service_ref=payout.payout_id,
                    lines=lines,
                )
                with app.engine.begin() as conn:
                    added += add_sighting(conn, sighting, now)
        except IntegrationError as exc:
            counts["service_errors"] += 1
            log.warning("payout_service_unreachable", gateway=name, error=str(exc))
    return added


def add_sighting(conn: Connection, s: Sighting, now: datetime, *, reconciled: bool = False) -> int:
    exists = conn.execute(
        select(payout_sightings.c.id).where(
            payout_sightings.c.source == s.source.value, payout_sightings.c.ref == s.ref[:255]
        )
    ).first()
    if exists is not None:
        return 0
    conn.execute(
        payout_sightings.insert().values(
            source=s.source.value,
            ref=s.ref[:255],
            gateway=s.gateway,
            service_ref=s.service_ref,
            net=str(s.net.amount),
            currency=s.net.currency,
            seen_on=s.on.isoformat(),
            lines=None if s.lines is None else [_line_json(line) for line in s.lines],
            reconciled=1 if reconciled else 0,
            payout_key=None,
            seen_at=now,
        )
    )
    return 1


def sighting_from_row(row: Any) -> Sighting:
    lines = None if row.lines is None else tuple(_line_from_json(item) for item in row.lines)
    return Sighting(
        source=SightingSource(row.source),
        ref=row.ref,
        gateway=row.gateway,
        net=Money.of(row.net, row.currency),
        on=date.fromisoformat(row.seen_on),
        service_ref=row.service_ref,
        lines=lines,
    )


def _line_json(line: PayoutLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "source_id": line.source_id,
        "gross": str(line.gross.amount),
        "fee": str(line.fee.amount),
        "net": str(line.net.amount),
        "currency": line.net.currency,
        "related_ids": list(line.related_ids),
        "description": line.description,
    }


def _line_from_json(item: dict[str, Any]) -> PayoutLine:
    currency = str(item["currency"])
    return PayoutLine(
        kind=str(item["kind"]),
        source_id=str(item["source_id"]),
        gross=Money.of(str(item["gross"]), currency),
        fee=Money.of(str(item["fee"]), currency),
        net=Money.of(str(item["net"]), currency),
        related_ids=tuple(str(i) for i in item.get("related_ids") or ()),
        description=str(item.get("description") or ""),
    )


# ---- group ---------------------------------------------------------------------------------------------------


def payout_key(s: Sighting) -> str:
    return effect_key(s.gateway, s.service_ref or s.ref)


def payout_reference(s: Sighting) -> str:
    """The Reference the fee and the transfer carry in Xero: unique per payout, readable by the accountant."""
    name = service_name(s.gateway)
    if s.service_ref:
        return f"{name} payout {s.service_ref}"[:255]
    digest = hashlib.sha256(f"{s.source.value}:{s.ref}".encode()).hexdigest()[:6]
    return f"{name} payout {s.on.isoformat()} #{digest}"


def _attach(conn: Connection, services: dict[str, GatewaySettings], now: datetime) -> int:
    """Each new sighting joins the payout it is a sign of (the same payout id, or the same net amount within a few
    days and no sighting of its kind yet), or starts one. Returns how many payouts reached the bank just now."""
    settled = 0
    loose = conn.execute(
        select(payout_sightings).where(payout_sightings.c.payout_key.is_(None)).order_by(payout_sightings.c.id)
    ).all()
    for row in loose:
        if row.gateway not in services:
            continue
        s = sighting_from_row(row)
        key = _payout_for(conn, s)
        if key is None:
            key = payout_key(s)
            conn.execute(
                payouts.insert().values(
                    key=key,
                    gateway=s.gateway,
                    service_ref=s.service_ref,
                    reference=payout_reference(s),
                    net=str(s.net.amount),
                    currency=s.net.currency,
                    paid_on=s.on.isoformat(),
                    state="waiting",
                    matched=0,
                    detail={},
                    created_at=now,
                    updated_at=now,
                )
            )
        conn.execute(update(payout_sightings).where(payout_sightings.c.id == row.id).values(payout_key=key))
        changes: dict[str, Any] = {"updated_at": now}
        if s.service_ref:
            changes["service_ref"] = s.service_ref
            # Named by the service's own id from now on, unless its fee and transfer already carry the old name.
            conn.execute(
                update(payouts)
                .where(payouts.c.key == key, payouts.c.matched == 0)
                .values(reference=payout_reference(s))
            )
        if s.source is SightingSource.BANK_LINE:
            changes.update(bank_line=s.ref, paid_on=s.on.isoformat())  # the bank's own date wins
        conn.execute(update(payouts).where(payouts.c.key == key).values(**changes))
        if s.source is SightingSource.BANK_LINE:
            settled += _reached_the_bank(conn, key, now)
    return settled


def _payout_for(conn: Connection, s: Sighting) -> str | None:
    """The payout this sighting belongs to, if one is known."""
    if s.service_ref:
        found = conn.execute(
            select(payouts.c.key).where(payouts.c.gateway == s.gateway, payouts.c.service_ref == s.service_ref)
        ).first()
        if found is not None:
            return str(found.key)
    low, high = (s.on - timedelta(days=ATTACH_DAYS)).isoformat(), (s.on + timedelta(days=ATTACH_DAYS)).isoformat()
    nearby = conn.execute(
        select(payout_sightings)
        .join(payouts, payouts.c.key == payout_sightings.c.payout_key)
        .where(payouts.c.gateway == s.gateway, payouts.c.paid_on >= low, payouts.c.paid_on <= high)
    ).all()
    by_payout: dict[str, list[Sighting]] = {}
    for row in nearby:
        by_payout.setdefault(str(row.payout_key), []).append(sighting_from_row(row))
    fits = [
        (min(abs((o.on - s.on).days) for o in others), key)
        for key, others in by_payout.items()
        if all(o.source is not s.source for o in others) and any(same_payout(o, s) for o in others)
    ]
    return min(fits)[1] if fits else None


def _reached_the_bank(conn: Connection, key: str, now: datetime) -> int:
    """Second evidence: a matched payout's bank line arrived; it and its card payments are settled."""
    done = conn.execute(
        update(payouts)
        .where(payouts.c.key == key, payouts.c.matched == 1, payouts.c.state != "settled")
        .values(state="settled", updated_at=now)
    ).rowcount
    if done:
        conn.execute(
            update(card_payments).where(card_payments.c.payout_key == key).values(state="settled", settled_at=now)
        )
    return int(done or 0)


def _reconciled_in_xero(app: App, now: datetime, *, limit: int = 20) -> int:
    """Second evidence without a bank feed the worker can read: the accountant matched the payout's bank line to the
    worker's transfer, so Xero shows the transfer reconciled on the bank side. Each matched payout not yet seen at
    the bank is asked about at most once per RECHECK, a few per run (one call each)."""
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(payouts)
            .where(
                payouts.c.matched == 1,
                payouts.c.state == "waiting",
                payouts.c.bank_line == "",
                payouts.c.updated_at <= now - RECHECK,
            )
            .order_by(payouts.c.updated_at)
            .limit(limit)
        ).all()
        booked = {
            r.idempotency_key
            for r in conn.execute(
                select(outbox.c.idempotency_key).where(outbox.c.kind == "payout_transfer", outbox.c.status == "done")
            )
        }
    settled = 0
    for row in rows:
        if effect_key("payout-transfer", row.key) not in booked:
            continue
        try:
            entries = app.accounting.transfers_with(reference=row.reference, currency=row.currency)
        except IntegrationError as exc:
            log.warning("payout_transfer_unreadable", payout=row.key, error=str(exc))
            break
        with app.engine.begin() as conn:
            if any(e.reconciled and e.status == "AUTHORISED" for e in entries):
                conn.execute(update(payouts).where(payouts.c.key == row.key).values(bank_line=RECONCILED_IN_XERO))
                settled += _reached_the_bank(conn, row.key, now)
            else:
                conn.execute(update(payouts).where(payouts.c.key == row.key).values(updated_at=now))
    return settled


# ---- decide and apply ------------------------------------------------------------------------------------------


def _undecided(app: App) -> list[str]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(payouts.c.key).where(payouts.c.matched == 0).order_by(payouts.c.paid_on, payouts.c.key)
        ).all()
    return [str(r.key) for r in rows]


def _decide(conn: Connection, key: str, services: dict[str, GatewaySettings], now: datetime, *, bank_code: str) -> str:
    payout = conn.execute(select(payouts).where(payouts.c.key == key, payouts.c.matched == 0)).first()
    if payout is None or payout.gateway not in services:
        return ""
    gateway = services[payout.gateway]
    closed = conn.execute(
        select(review_items.c.id).where(
            review_items.c.subject == key[:255], review_items.c.kind.like("payout%"), review_items.c.status != "open"
        )
    ).first()
    if closed is not None:
        return ""  # a person closed its review item: they handle this payout, the worker leaves it alone
    rows = conn.execute(select(payout_sightings).where(payout_sightings.c.payout_key == key)).all()
    sightings = [sighting_from_row(r) for r in rows]
    record = next((s for s in sightings if s.lines is not None), None)
    bank = next((s for s in sightings if s.source is SightingSource.BANK_LINE), None)
    main = record or bank or sightings[0]
    if record is None and gateway.api != "none" and now.date() - main.on < SERVICE_WAIT:
        return "waiting"  # the service's record, which is exact, is expected shortly
    if any(r.reconciled for r in rows if r.source == SightingSource.BANK_LINE.value):
        settlement = Settlement(
            outcome=Outcome.REVIEW,
            strategy="bank_line",
            net=main.net,
            reason=f"{service_name(payout.gateway)} payout of {main.net} on {main.on}: its bank "
            "line is already reconciled in Xero, so booking its fees and transfer could count the money twice",
            review_kind="payout_reconciled",
        )
    elif main.net.amount <= 0:
        settlement = Settlement(
            outcome=Outcome.REVIEW,
            strategy="bank_line",
            net=main.net,
            reason=f"{service_name(payout.gateway)} took {-main.net} back on {main.on}",
            review_kind="payout_negative",
        )
    else:
        settlement = settle(main, unsettled_payments(conn, payout.gateway), gateway.terms)
        if record is None and gateway.api != "none" and settlement.outcome is Outcome.REVIEW:
            service = service_name(payout.gateway)
            missing = (*settlement.missing, f"{service}'s own records have no such payout")
            settlement = replace(settlement, missing=missing)
    if settlement.outcome is Outcome.EXACT:
        return apply_settlement(conn, payout, settlement, gateway, now, bank_code=bank_code)
    _hold(conn, payout, settlement, now)
    return "review"


def apply_settlement(
    conn: Connection, payout: Any, settlement: Settlement, gateway: GatewaySettings, now: datetime, *, bank_code: str
) -> str:
    """The payout settles exactly these payments: they are its contents, and its fees and transfer are queued."""
    reached = bool(payout.bank_line)
    state = "settled" if reached else "in_payout"
    claimed = conn.execute(
        update(card_payments)
        .where(card_payments.c.receipt_id.in_(settlement.payments), card_payments.c.payout_key.is_(None))
        .values(payout_key=payout.key, state=state, settled_at=now if reached else None)
    ).rowcount
    if (claimed or 0) != len(settlement.payments):
        # Another payout took one of them meanwhile: undo, and decide again on the next run.
        conn.rollback()
        return "waiting"
    fees = settlement.fees or Money.zero(settlement.net.currency)
    conn.execute(
        update(payouts)
        .where(payouts.c.key == payout.key)
        .values(
            matched=1,
            state="settled" if reached else "waiting",
            gross=str((settlement.gross or settlement.net).amount),
            fees=str(fees.amount),
            strategy=settlement.strategy,
            reason=settlement.reason,
            detail={"payments": list(settlement.payments)},
            updated_at=now,
        )
    )
    common = {
        "payout_key": payout.key,
        "gateway": payout.gateway,
        "currency": settlement.net.currency,
        "on": payout.paid_on,
        "reference": payout.reference,
        "clearing_account": gateway.clearing_account,
    }
    if fees.amount > 0:
        enqueue(
            conn,
            key=effect_key("payout-fee", payout.key),
            kind="payout_fee",
            payload={
                **common,
                "amount": str(fees.amount),
                "fee_account": gateway.fee_account,
                "contact": gateway.fee_contact,
                "description": f"{gateway.display_name} fees on {len(settlement.payments)} payment(s) paid out "
                f"on {payout.paid_on}",
            },
            now=now,
        )
    enqueue(
        conn,
        key=effect_key("payout-transfer", payout.key),
        kind="payout_transfer",
        payload={**common, "amount": str(settlement.net.amount), "bank_account": bank_code},
        now=now,
    )
    conn.execute(
        update(review_items)
        .where(
            review_items.c.subject == payout.key[:255],
            review_items.c.kind.like("payout%"),
            review_items.c.status == "open",
        )
        .values(status="done", resolution=f"matched: {settlement.reason}"[:2000], resolved_at=now)
    )
    return "matched"


def _hold(conn: Connection, payout: Any, settlement: Settlement, now: datetime) -> None:
    """A person decides: the payout waits as a mismatch, with what is missing and the candidates."""
    conn.execute(
        update(payouts)
        .where(payouts.c.key == payout.key)
        .values(
            state="mismatch",
            strategy=settlement.strategy,
            reason=settlement.reason,
            detail={"missing": list(settlement.missing), "candidates": list(settlement.payments)},
            updated_at=now,
        )
    )
    raise_review_item(
        conn,
        kind=settlement.review_kind or "payout_mismatch",
        subject=payout.key,
        reason=settlement.reason,
        suggested_action=REVIEW_ACTIONS.get(settlement.review_kind, REVIEW_ACTIONS["payout_mismatch"]).format(
            key=payout.key
        ),
        candidates=[],
        now=now,
        detail={
            "payout_key": payout.key,
            "gateway": payout.gateway,
            "amount": str(settlement.net.amount),
            "currency": settlement.net.currency,
            "paid_on": payout.paid_on,
            "missing": list(settlement.missing),
            "candidate_payments": list(settlement.payments),
        },
    )
