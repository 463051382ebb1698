"""A person's action, run the same way from the command line and the review page.

`rehearse` runs the very function the command runs, in a transaction that is rolled back, and reads back what it
wrote: that is "exactly what will be recorded and done", with a fingerprint. `act` runs it for real in one
transaction with its audit entry; given the fingerprint the person confirmed, it commits only when the same
things would happen, so what was confirmed is what happens. A refused action writes nothing but its audit entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, or_, select

from rules.money import Money
from rules.services import service_name
from rules.words import date_words, money_words
from worker import audit
from worker.store.outbox_tables import registrar_actions
from worker.store.tables import orders, outbox, payer_links, review_items


class Result(Protocol):
    """What the shared action functions return (`worker.review.Outcome`, `worker.chores.ChoreOutcome`)."""

    @property
    def ok(self) -> bool: ...

    @property
    def message(self) -> str: ...


Run = Callable[[Connection, datetime], Result]


@dataclass(frozen=True, kw_only=True, slots=True)
class Queued:
    """An outbox row the action wrote or put back in the queue."""

    kind: str
    key: str
    status: str
    payload: Mapping[str, Any]

    @property
    def words(self) -> str:
        return effect_words(self.kind, self.payload)


@dataclass(frozen=True, kw_only=True, slots=True)
class Changes:
    """What one action wrote, read back from the rows it stamped with its own time."""

    queued: tuple[Queued, ...] = ()
    orders: tuple[tuple[str, str, str], ...] = ()  # order id, what it is, its new status
    items: tuple[tuple[int, str, str], ...] = ()  # review item, its kind, its new status
    # The same items as the fingerprint knows them: one the action created by its subject, not its number, which
    # PostgreSQL draws anew from its sequence each time (a rehearsal's rolled-back number is never given again).
    item_keys: tuple[tuple[str, str, str], ...] = ()
    registrations: tuple[tuple[str, str, str, str], ...] = ()  # domain, status, reference, new expiry
    links: tuple[tuple[str, str], ...] = ()  # payer key, contact id

    def lines(self) -> list[str]:
        """In words, the money and the registrar first."""
        out = [q.words for q in self.queued]
        out += [f"{what} becomes {status}" for _, what, status in self.orders]
        out += [
            f"{domain} recorded as {status} at the registrar (reference {ref}, expires {expires})"
            for domain, status, ref, expires in self.registrations
        ]
        out += [f"the payer {key.partition(':')[2]!r} is remembered as customer {c}" for key, c in self.links]
        out += [f"review item #{rid} ({kind.replace('_', ' ')}) becomes {status}" for rid, kind, status in self.items]
        return out

    def digest(self) -> str:
        data = {
            "queued": sorted([q.kind, q.key, q.status, dict(q.payload)] for q in self.queued),
            "orders": sorted(self.orders),
            "items": sorted(self.item_keys),
            "registrations": sorted(self.registrations),
            "links": sorted(self.links),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True, slots=True)
class Acted:
    ok: bool
    message: str
    changes: Changes = field(default_factory=Changes)
    fingerprint: str = ""
    audit_id: int | None = None
    stale: bool = False  # the confirmed plan no longer holds: nothing was done
    plan: tuple[str, ...] = ()  # the action's own account of what it records and does (an approval's plan)
    options: tuple[tuple[str, str], ...] = ()  # after a refusal: (flags, what they would do) the action offers


def _planned(result: Result) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """An approval's plan in sentences, and the ways out of its refusal, when the result carries them."""
    plan = getattr(result, "plan", None)
    if plan is None:
        return (), ()
    lines = tuple(str(line) for line in plan.lines()) if callable(getattr(plan, "lines", None)) else ()
    refusal = getattr(plan, "refusal", None)
    options = tuple((str(o.flags), str(o.says)) for o in getattr(refusal, "options", ()) or ())
    return (lines if result.ok else ()), options


def _money(amount: Any, currency: Any) -> str:
    """NZ$45.00, as the report writes money."""
    try:
        return money_words(Money.of(Decimal(str(amount)), str(currency)))
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}".strip()


def _day(value: Any) -> str:
    """25 Nov 2026 for a stored YYYY-MM-DD; anything else as it is."""
    try:
        return date_words(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def effect_words(kind: str, p: Mapping[str, Any]) -> str:
    """One outbox row as the reseller would say it."""
    invoice = p.get("invoice_number") or p.get("invoice_id") or ""
    years = p.get("years", 1)
    term = f"{years} year" + ("" if str(years) == "1" else "s")
    if kind == "record_payment":
        return (
            f"record a payment of {_money(p.get('amount'), p.get('currency'))} on {invoice} in Xero, "
            f"dated {_day(p.get('paid_on'))}, reference {p.get('reference')}"
        )
    if kind == "register_domain":
        return f"register {p.get('domain')} for {term} at the registrar (for {p.get('contact_name') or invoice})"
    if kind == "renew_domain":
        return f"renew {p.get('domain')} for {term} at the registrar (for {p.get('contact_name') or invoice})"
    if kind == "history_note":
        return f"add a History note to {invoice} in Xero: {p.get('note') or p.get('text') or ''}".rstrip(": ")
    if kind == "start_hosting":
        return f"start hosting {p.get('domain')} on plan {p.get('plan')}: a repeating invoice in Xero"
    if kind == "change_hosting":
        return f"move hosting service {p.get('service_id')} to plan {p.get('plan')}"
    if kind == "stop_hosting":
        return f"end the repeating invoice of hosting service {p.get('service_id')}"
    service = service_name(str(p.get("gateway") or ""))
    if kind == "payout_fee":
        return (
            f"book {_money(p.get('amount'), p.get('currency'))} of {service} fees out of clearing account "
            f"{p.get('clearing_account')} to account {p.get('fee_account')} in Xero, dated {_day(p.get('on'))}"
        )
    if kind == "payout_transfer":
        return (
            f"transfer {_money(p.get('amount'), p.get('currency'))} from clearing account {p.get('clearing_account')} "
            f"to bank account {p.get('bank_account')} in Xero, dated {_day(p.get('on'))} (the {service} payout)"
        )
    if kind in ("renewal_invoice", "order_invoice", "setup_invoice"):
        return f"raise an invoice in Xero for {p.get('domain')} ({_money(p.get('amount'), p.get('currency'))})"
    return f"{kind.replace('_', ' ')} {invoice}".strip()


def _read_changes(conn: Connection, now: datetime) -> Changes:
    queued = tuple(
        Queued(kind=r.kind, key=r.idempotency_key, status=r.status, payload=dict(r.payload or {}))
        for r in conn.execute(select(outbox).where(outbox.c.updated_at == now).order_by(outbox.c.id))
    )
    changed_orders = tuple(
        (r.order_id, f"{r.order_id} ({r.invoice_number}{', ' + r.domain if r.domain else ''})", r.status)
        for r in conn.execute(select(orders).where(orders.c.updated_at == now).order_by(orders.c.order_id))
    )
    item_rows = conn.execute(
        select(review_items)
        .where(or_(review_items.c.resolved_at == now, review_items.c.created_at == now))
        .order_by(review_items.c.id)
    ).all()
    items = tuple((r.id, r.kind, r.status) for r in item_rows)
    item_keys = tuple(
        (f"new {r.subject}" if _same_moment(r.created_at, now) else f"#{r.id}", r.kind, r.status) for r in item_rows
    )
    registrations = tuple(
        (r.domain, r.status, r.reference or "-", r.expires.isoformat() if r.expires else "unknown")
        for r in conn.execute(
            select(registrar_actions)
            .where(registrar_actions.c.completed_at == now)
            .order_by(registrar_actions.c.domain)
        )
    )
    links = tuple(
        (r.payer_key, r.contact_id)
        for r in conn.execute(select(payer_links).where(payer_links.c.created_at == now).order_by(payer_links.c.id))
    )
    return Changes(
        queued=queued,
        orders=changed_orders,
        items=items,
        item_keys=item_keys,
        registrations=registrations,
        links=links,
    )


def _same_moment(value: datetime | None, now: datetime) -> bool:
    if value is None:
        return False
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value == now


def rehearse(engine: Engine, run: Run, *, now: datetime) -> Acted:
    """Run the action and roll it back: what it would record and do, and its fingerprint. Writes nothing."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            result = run(conn, now)
            changes = _read_changes(conn, now) if result.ok else Changes()
        finally:
            transaction.rollback()
    plan, options = _planned(result)
    return Acted(
        ok=result.ok,
        message=result.message,
        changes=changes,
        fingerprint=changes.digest() if result.ok else "",
        plan=plan,
        options=options,
    )


def act(
    engine: Engine,
    run: Run,
    *,
    now: datetime,
    actor: str,
    via: str,
    action: str,
    review_id: int | None = None,
    subject: str = "",
    request: Mapping[str, Any] | None = None,
    confirmed: str | None = None,
) -> Acted:
    """Run the action for real and record who did it. With `confirmed` (a fingerprint from `rehearse`), commit
    only if exactly that would happen; otherwise roll back and say so (`stale`)."""
    entry: dict[str, Any] = {"request": dict(request or {})}
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            result = run(conn, now)
            changes = _read_changes(conn, now) if result.ok else Changes()
            fingerprint = changes.digest() if result.ok else ""
            stale = result.ok and confirmed is not None and confirmed != fingerprint
            if not result.ok or stale:
                transaction.rollback()
                transaction = conn.begin()
            message = (
                "Nothing was done: things changed since you looked (another decision, a payment or the worker "
                "itself). Here is what would happen now; confirm again if it is still right."
                if stale
                else result.message
            )
            entry["changes"] = changes.lines() if result.ok and not stale else []
            entry["queued"] = [q.key for q in changes.queued] if result.ok and not stale else []
            audit_id = audit.record(
                conn,
                actor=actor,
                via=via,
                action=action,
                ok=result.ok and not stale,
                message=message,
                now=now,
                review_id=review_id,
                subject=subject,
                detail=entry,
            )
            transaction.commit()
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
    plan, options = _planned(result)
    return Acted(
        ok=result.ok and not stale,
        message=message,
        changes=changes,
        fingerprint=fingerprint,
        audit_id=audit_id,
        stale=stale,
        plan=plan,
        options=options,
    )
