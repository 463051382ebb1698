"""What the review page shows, read in a few set-based queries (a page of 500 items is three queries, not 1,500).

Reading only: every change goes through the same functions as the command line (`worker.review`,
`worker.chores`), run by `worker.acting`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select

from rules.model import Receipt
from rules.money import Money
from rules.settlement import PAYABLE
from rules.words import domain_words
from worker.health import aware
from worker.review import CREDIT_KIND, FAILED_KINDS, REJECTED_KINDS
from worker.store.orders import owed_from_row, part_paid_sums
from worker.store.outbox_tables import outbox_orders, registrar_actions
from worker.store.receipts import receipt_from_row
from worker.store.tables import orders, outbox, receipts, review_items

# Review kinds that are a chore rather than a decision about money; they have pages of their own.
TODO_KIND = "to_do"
NOT_DECISIONS = FAILED_KINDS | {TODO_KIND}


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderView:
    order_id: str
    kind: str
    invoice_id: str
    invoice_number: str
    contact_id: str
    customer: str
    email: str
    domain: str
    plan: str
    years: int
    amount: str
    currency: str
    due: str
    status: str

    @property
    def payable(self) -> bool:
        """Still owes money: open, or paid in part (it then owes the rest, shown as its amount)."""
        return self.status in PAYABLE

    @property
    def what(self) -> str:
        label = {
            "domain_registration": "registration",
            "domain_renewal": "renewal",
            "hosting": "hosting",
            "setup": "site setup",
        }.get(self.kind, self.kind.replace("_", " "))
        subject = domain_words(self.domain) or self.plan
        return f"{label} of {subject}" if subject else label


def _order_view(row: Any, paid: Money | None = None) -> OrderView:
    contact = row.contact if isinstance(row.contact, Mapping) else {}
    owed = owed_from_row(row, paid).owed if row.status == "part_paid" else None
    return OrderView(
        order_id=row.order_id,
        kind=row.kind,
        invoice_id=row.invoice_id,
        invoice_number=row.invoice_number,
        contact_id=row.contact_id,
        customer=str(contact.get("name") or row.contact_id),
        email=str(contact.get("email") or ""),
        domain=row.domain or "",
        plan=row.plan or "",
        years=int(row.term_years or 1),
        amount=str(owed.amount) if owed is not None else row.amount_due,
        currency=row.currency,
        due=row.due,
        status=row.status,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemView:
    """An open review item with its receipt (when it is about one) and its candidate orders as they stand now."""

    review_id: int
    kind: str
    subject: str
    reason: str
    suggested_action: str
    status: str
    resolution: str
    raised_at: datetime
    detail: Mapping[str, Any]
    receipt: Receipt | None
    candidates: tuple[OrderView, ...]
    candidate_ids: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.kind.replace("_", " ")

    @property
    def possible_fraud(self) -> bool:
        return self.kind in REJECTED_KINDS

    @property
    def open_candidates(self) -> tuple[OrderView, ...]:
        return tuple(o for o in self.candidates if o.payable)

    @property
    def candidates_paid_meanwhile(self) -> bool:
        return bool(self.candidates) and not self.open_candidates


def _receipt_id(row: Any) -> str:
    """The receipt an item is about: its subject, or for a credit the receipt whose money is left over."""
    if row.kind == CREDIT_KIND and isinstance(row.detail, Mapping):
        return str(row.detail.get("receipt_id", ""))
    return str(row.subject)


def _receipt_for(row: Any, found: Mapping[str, Receipt]) -> Receipt | None:
    receipt = found.get(_receipt_id(row))
    if receipt is not None and row.kind == CREDIT_KIND:
        detail = row.detail if isinstance(row.detail, Mapping) else {}
        try:
            receipt = replace(receipt, money=Money.of(str(detail["amount"]), str(detail["currency"])))
        except (KeyError, ValueError, TypeError):
            return None
    return receipt


def _items(conn: Connection, rows: Sequence[Any]) -> list[ItemView]:
    subjects = {_receipt_id(r) for r in rows}
    found = (
        {
            r.receipt_id: receipt_from_row(r)
            for r in conn.execute(select(receipts).where(receipts.c.receipt_id.in_(subjects)))
        }
        if subjects
        else {}
    )
    wanted = {str(c) for r in rows for c in (r.candidates or ())}
    paid = part_paid_sums(conn, wanted) if wanted else {}
    by_id = (
        {
            r.order_id: _order_view(r, paid.get(r.order_id))
            for r in conn.execute(select(orders).where(orders.c.order_id.in_(wanted)))
        }
        if wanted
        else {}
    )
    out = []
    for r in rows:
        ids = tuple(str(c) for c in (r.candidates or ()))
        out.append(
            ItemView(
                review_id=r.id,
                kind=r.kind,
                subject=r.subject,
                reason=r.reason,
                suggested_action=r.suggested_action or "",
                status=r.status,
                resolution=r.resolution or "",
                raised_at=aware(r.created_at) or r.created_at,
                detail=r.detail if isinstance(r.detail, Mapping) else {},
                receipt=_receipt_for(r, found),
                candidates=tuple(by_id[c] for c in ids if c in by_id),
                candidate_ids=ids,
            )
        )
    return out


def open_decisions(conn: Connection) -> list[ItemView]:
    """Open items that need a decision about money or a notice, possible fraud first, then oldest first."""
    rows = list(
        conn.execute(
            select(review_items)
            .where(review_items.c.status == "open", review_items.c.kind.not_in(NOT_DECISIONS))
            .order_by(review_items.c.created_at, review_items.c.id)
        )
    )
    items = _items(conn, rows)
    return sorted(items, key=lambda i: not i.possible_fraud)  # stable: oldest first within each group


def item(conn: Connection, review_id: int) -> ItemView | None:
    row = conn.execute(select(review_items).where(review_items.c.id == review_id)).first()
    return _items(conn, [row])[0] if row is not None else None


@dataclass(frozen=True, kw_only=True, slots=True)
class TodoView:
    """A registration or renewal the reseller makes at the registrar by hand (`orders done` closes it)."""

    order_id: str
    domain: str
    action: str  # register | renew
    years: int
    pre_expiry: date | None
    customer: str
    invoice_number: str
    sale: str
    sale_currency: str
    review_id: int | None
    since: datetime

    @property
    def needs_expiry(self) -> bool:
        """A renewal from an expiry the worker does not know: the new one must be typed in."""
        return self.action == "renew" and self.pre_expiry is None


def todos(conn: Connection) -> list[TodoView]:
    rows = conn.execute(
        select(registrar_actions, orders.c.contact, orders.c.contact_id, orders.c.invoice_number)
        .join(orders, orders.c.order_id == registrar_actions.c.order_id, isouter=True)
        .where(registrar_actions.c.status == "to_do")
        .order_by(registrar_actions.c.created_at, registrar_actions.c.domain)
    ).all()
    items = {
        r.subject: r.id
        for r in conn.execute(
            select(review_items.c.id, review_items.c.subject).where(
                review_items.c.kind == TODO_KIND, review_items.c.status == "open"
            )
        )
    }
    out = []
    for r in rows:
        contact = r.contact if isinstance(r.contact, Mapping) else {}
        out.append(
            TodoView(
                order_id=r.order_id,
                domain=r.domain,
                action=r.action,
                years=r.years,
                pre_expiry=r.pre_expiry,
                customer=str(contact.get("name") or r.contact_id or ""),
                invoice_number=r.invoice_number or "",
                sale=r.sale or "",
                sale_currency=r.sale_currency or "",
                review_id=items.get(r.order_id),
                since=aware(r.created_at) or r.created_at,
            )
        )
    return out


def todo(conn: Connection, order_id: str) -> TodoView | None:
    return next((t for t in todos(conn) if t.order_id == order_id), None)


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxView:
    key: str
    kind: str
    status: str
    attempts: int
    last_error: str
    payload: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    orders: tuple[str, ...] = ()


def _outbox_view(r: Any, linked: Mapping[str, tuple[str, ...]] | None = None) -> OutboxView:
    return OutboxView(
        key=r.idempotency_key,
        kind=r.kind,
        status=r.status,
        attempts=r.attempts,
        last_error=r.last_error or "",
        payload=dict(r.payload or {}),
        created_at=aware(r.created_at) or r.created_at,
        updated_at=aware(r.updated_at) or r.updated_at,
        orders=(linked or {}).get(r.idempotency_key, ()),
    )


def failed_actions(conn: Connection) -> list[OutboxView]:
    rows = list(conn.execute(select(outbox).where(outbox.c.status == "failed").order_by(outbox.c.updated_at)))
    return [_outbox_view(r) for r in rows]


def failed_action(conn: Connection, key: str) -> OutboxView | None:
    row = conn.execute(select(outbox).where(outbox.c.idempotency_key == key)).first()
    return _outbox_view(row) if row is not None else None


def outbox_rows(conn: Connection, *, search: str = "", keys: Sequence[str] = (), limit: int = 200) -> list[OutboxView]:
    """The newest outbox rows, or those whose key or order matches `search`, or exactly `keys`."""
    query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if keys:
        query = query.where(outbox.c.idempotency_key.in_(list(keys)))
    elif search.strip():
        needle = f"%{search.strip().lower()}%"
        by_order = select(outbox_orders.c.idempotency_key).where(func.lower(outbox_orders.c.order_id).like(needle))
        query = query.where(
            or_(func.lower(outbox.c.idempotency_key).like(needle), outbox.c.idempotency_key.in_(by_order))
        )
    rows = list(conn.execute(query))
    found = [r.idempotency_key for r in rows]
    linked: dict[str, tuple[str, ...]] = {}
    if found:
        for r in conn.execute(select(outbox_orders).where(outbox_orders.c.idempotency_key.in_(found))):
            linked[r.idempotency_key] = (*linked.get(r.idempotency_key, ()), r.order_id)
    return [_outbox_view(r, linked) for r in rows]


def counts(conn: Connection) -> dict[str, int]:
    """How many of each thing wait for the reseller, for the navigation and the summary."""
    by_kind: dict[str, int] = dict(
        conn.execute(
            select(review_items.c.kind, func.count())
            .where(review_items.c.status == "open")
            .group_by(review_items.c.kind)
        ).all()
    )
    decisions = sum(n for k, n in by_kind.items() if k not in NOT_DECISIONS)
    fraud = sum(n for k, n in by_kind.items() if k in REJECTED_KINDS)
    by_status: dict[str, int] = dict(
        conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
    )
    to_do = conn.execute(select(func.count()).where(registrar_actions.c.status == "to_do")).scalar_one()
    return {
        "decisions": int(decisions),
        "fraud": int(fraud),
        "todos": int(to_do),
        "failed": int(by_status.get("failed", 0)),
        "waiting": int(by_status.get("pending", 0)) + int(by_status.get("running", 0)),
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class Customer:
    contact_id: str
    name: str
    email: str
    domains: tuple[str, ...]


def find_customers(conn: Connection, text: str, *, limit: int = 20) -> list[Customer]:
    """Customers the worker knows from their invoices, by a piece of their name, e-mail, domain or contact id.

    Filtered here rather than in SQL: names are stored inside JSON (escaped differently by each database), and a
    reseller's customers number in the thousands at most."""
    needle = text.strip().casefold()
    if len(needle) < 2:
        return []
    names: dict[str, tuple[str, str]] = {}
    domains: dict[str, list[str]] = {}
    for r in conn.execute(select(orders.c.contact_id, orders.c.contact, orders.c.domain).order_by(orders.c.order_id)):
        contact = r.contact if isinstance(r.contact, Mapping) else {}
        names[r.contact_id] = (str(contact.get("name") or ""), str(contact.get("email") or ""))
        if r.domain and r.domain not in domains.setdefault(r.contact_id, []):
            domains[r.contact_id].append(r.domain)
    found = [
        Customer(contact_id=cid, name=name or cid, email=email, domains=tuple(domains.get(cid, ())))
        for cid, (name, email) in names.items()
        # A domain is found as typed in either form: 'münchen' or 'xn--mnchen'.
        if any(
            needle in v.casefold()
            for v in (name, email, cid, *domains.get(cid, ()), *map(domain_words, domains.get(cid, ())))
        )
    ]
    return sorted(found, key=lambda c: c.name.casefold())[:limit]


def payout_candidates(conn: Connection, key: str) -> tuple[str, ...]:
    """The card payments the worker thinks a payout carried (its review detail), for the settle form."""
    from worker.store.payout_tables import payouts

    row = conn.execute(select(payouts.c.detail).where(payouts.c.key == key)).first()
    detail = row.detail if row is not None and isinstance(row.detail, Mapping) else {}
    return tuple(str(c) for c in detail.get("candidates") or ())
