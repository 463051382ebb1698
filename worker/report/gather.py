"""Reads everything the morning report shows from the database into a `MorningReport` value.

Tables owned by other areas (`domains`, `registrar_actions`) are read by reflection and only when present, so
the report works on any migration level.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, select

from config.settings import Settings
from rules.money import Money
from worker.health import JobState
from worker.report.model import (
    ActionDone,
    Alert,
    DecisionNeeded,
    ExpiringDomain,
    FailedAction,
    MorningReport,
    RejectedNotice,
    SourceHealth,
)
from worker.review import FAILED_KINDS, REJECTED_KINDS
from worker.review_list import review_entries
from worker.store.database import aware
from worker.store.tables import decisions, orders, outbox, review_items

ACTION_LABELS = {
    "register_domain": "registration",
    "renew_domain": "renewal",
    "record_payment": "payment recorded",
    "start_hosting": "repeating invoice started",
    "change_hosting": "repeating invoice changed",
    "stop_hosting": "repeating invoice ended",
    "renewal_invoice": "renewal invoice raised",
}
QUIET_ACTIONS = frozenset({"history_note"})
REGISTRAR_ACTIONS = frozenset({"register_domain", "renew_domain"})  # bookkeeping detail, not news for the reseller


def _evidence(detail: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(detail, Mapping):
        return ()
    pairs = []
    for key, value in detail.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        pairs.append((str(key), text))
    return tuple(pairs)


def _money(amount: Any, currency: Any) -> Money | None:
    if amount in (None, "") or not isinstance(currency, str) or len(currency) != 3:
        return None
    try:
        return Money.of(str(amount), currency)
    except (ValueError, TypeError, InvalidOperation):
        return None


def _money_from(value: Any) -> Money | None:
    """A cost as written by a handler: {"amount", "currency"}, or "12.50 NZD"."""
    if isinstance(value, Mapping):
        return _money(value.get("amount"), value.get("currency"))
    if isinstance(value, str) and " " in value.strip():
        amount, currency = value.strip().rsplit(" ", 1)
        return _money(amount.replace(",", ""), currency)
    return None


def _optional_table(conn: Connection, name: str) -> Table | None:
    if not inspect(conn).has_table(name):
        return None
    return Table(name, MetaData(), autoload_with=conn)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def gather_decisions(conn: Connection, settings: Settings) -> list[DecisionNeeded]:
    kinds = [
        k
        for (k,) in conn.execute(select(review_items.c.kind).where(review_items.c.status == "open").distinct())
        if k not in FAILED_KINDS | REJECTED_KINDS
    ]
    items = []
    for entry in review_entries(conn, settings, kinds=kinds):
        items.append(
            DecisionNeeded(
                review_id=entry.id,
                kind=entry.kind,
                subject=entry.subject,
                reason=entry.reason,
                suggested_action=entry.suggested_action,
                evidence=_evidence(entry.detail),
                candidates=tuple(o.order_id for o in entry.candidates),
                commands=entry.commands,
                raised_at=entry.raised_at,
            )
        )
    return items


def _commands(conn: Connection, settings: Settings, kinds: frozenset[str]) -> dict[int, tuple[str, ...]]:
    return {e.id: e.commands for e in review_entries(conn, settings, kinds=sorted(kinds))}


def gather_failed(conn: Connection, settings: Settings) -> list[FailedAction]:
    commands_of = _commands(conn, settings, FAILED_KINDS)
    open_items = {
        row.subject: row
        for row in conn.execute(
            select(review_items).where(review_items.c.status == "open", review_items.c.kind.in_(FAILED_KINDS))
        )
    }
    failed = []
    for row in conn.execute(select(outbox).where(outbox.c.status == "failed").order_by(outbox.c.updated_at)):
        item = open_items.pop(row.idempotency_key, None)
        commands = commands_of.get(item.id, ()) if item is not None else ()
        failed.append(
            FailedAction(
                key=row.idempotency_key,
                kind=row.kind,
                attempts=row.attempts,
                error=row.last_error or (item.reason if item is not None else ""),
                failed_at=aware(row.updated_at) or row.updated_at,
                commands=commands,
            )
        )
    # Failed-action review items whose outbox row is gone or named differently still need a person.
    for item in open_items.values():
        failed.append(
            FailedAction(
                key=item.subject,
                kind=item.kind,
                attempts=0,
                error=item.reason + (f" ({item.suggested_action})" if item.suggested_action else ""),
                failed_at=aware(item.created_at) or item.created_at,
                commands=commands_of.get(item.id, ()),
            )
        )
    return failed


def gather_rejected(conn: Connection, since: datetime, settings: Settings) -> list[RejectedNotice]:
    commands_of = _commands(conn, settings, REJECTED_KINDS)
    found = []
    subjects = set()
    for row in conn.execute(
        select(review_items)
        .where(review_items.c.status == "open", review_items.c.kind.in_(REJECTED_KINDS))
        .order_by(review_items.c.created_at, review_items.c.id)
    ):
        subjects.add(row.subject)
        found.append(
            RejectedNotice(
                review_id=row.id,
                subject=row.subject,
                reason=row.reason,
                evidence=_evidence(row.detail),
                raised_at=aware(row.created_at) or row.created_at,
                commands=commands_of.get(row.id, ()),
            )
        )
    # Notices the inbox rejected since the last report, when the inbox area keeps its own record of them.
    messages = _optional_table(conn, "inbox_messages")
    if messages is not None and {"message_id", "outcome", "reason", "created_at"} <= set(messages.c.keys()):
        rows = conn.execute(
            select(messages)
            .where(messages.c.outcome == "rejected", messages.c.created_at >= since)
            .order_by(messages.c.created_at)
        )
        for row in rows:
            m = row._mapping
            if m["message_id"] in subjects:
                continue
            subjects.add(m["message_id"])
            evidence = tuple((key, str(m[key])) for key in ("gateway", "gateway_txn_id", "folder") if m.get(key))
            found.append(
                RejectedNotice(
                    review_id=0,
                    subject=m["message_id"],
                    reason=m["reason"],
                    evidence=evidence,
                    raised_at=aware(m["created_at"]) or m["created_at"],
                    commands=(),
                )
            )
    # Rejections decided without a review item still belong in the report, once.
    for row in conn.execute(select(decisions).where(decisions.c.kind == "reject", decisions.c.decided_at >= since)):
        if row.receipt_id in subjects:
            continue
        found.append(
            RejectedNotice(
                review_id=0,
                subject=row.receipt_id,
                reason=row.reason,
                evidence=(("strategy", row.strategy),) if row.strategy else (),
                raised_at=aware(row.decided_at) or row.decided_at,
                commands=(),
            )
        )
    return found


def gather_expiring(conn: Connection, *, today: date, within_days: int, now: datetime) -> list[ExpiringDomain]:
    domains = _optional_table(conn, "domains")
    if domains is None or not {"domain", "expires"} <= set(domains.c.keys()):
        return []
    horizon = today + timedelta(days=within_days)
    names: dict[str, str] = {}
    for row in conn.execute(select(orders.c.contact_id, orders.c.contact)):
        contact = row.contact if isinstance(row.contact, Mapping) else {}
        names[row.contact_id] = str(contact.get("name", "")) or row.contact_id
    recent = now - timedelta(days=within_days + 30)
    paid = {
        row.domain
        for row in conn.execute(
            select(orders.c.domain, orders.c.status, orders.c.updated_at).where(orders.c.kind == "domain_renewal")
        )
        if row.status == "paid" or (row.status == "done" and (aware(row.updated_at) or now) >= recent)
    }
    found = []
    for row in conn.execute(select(domains)):
        mapping = row._mapping
        expires = _as_date(mapping["expires"])
        if expires is None or not (today <= expires <= horizon) or mapping["domain"] in paid:
            continue
        if str(mapping.get("status", "active") or "active") != "active":
            continue
        contact_id = str(mapping.get("contact_id", "") or "")
        found.append(
            ExpiringDomain(
                domain=mapping["domain"],
                expires=expires,
                days_left=(expires - today).days,
                customer=names.get(contact_id, contact_id),
            )
        )
    return sorted(found, key=lambda d: (d.expires, d.domain))


def gather_done(conn: Connection, since: datetime) -> list[ActionDone]:
    actions = _optional_table(conn, "registrar_actions")
    costs: dict[str, tuple[Money | None, Money | None]] = {}
    if actions is not None and {"idempotency_key", "cost", "cost_currency"} <= set(actions.c.keys()):
        has_sale = {"sale", "sale_currency"} <= set(actions.c.keys())
        for row in conn.execute(select(actions)):
            m = row._mapping
            sale = _money(m["sale"], m["sale_currency"]) if has_sale else None
            costs[m["idempotency_key"]] = (_money(m["cost"], m["cost_currency"]), sale)
    amounts = {
        row.order_id: (_money(row.amount_due, row.currency), row.invoice_number)
        for row in conn.execute(
            select(orders.c.order_id, orders.c.amount_due, orders.c.currency, orders.c.invoice_number)
        )
    }
    done = []
    rows = conn.execute(
        select(outbox).where(outbox.c.status == "done", outbox.c.updated_at >= since).order_by(outbox.c.updated_at)
    )
    for row in rows:
        payload = row.payload if isinstance(row.payload, Mapping) else {}
        result = row.result if isinstance(row.result, Mapping) else {}
        order_amount, invoice_number = amounts.get(str(payload.get("order_id", "")), (None, ""))
        cost, sale = costs.get(row.idempotency_key, (None, None))
        cost = cost or _money_from(result.get("cost"))
        if row.kind in QUIET_ACTIONS:
            continue
        if row.kind in REGISTRAR_ACTIONS and actions is not None:
            # Registrations and renewals are read from registrar_actions below: an outbox row that is done may
            # only have raised a manual to-do, and one done by hand completes later than its outbox row.
            continue
        amount = (
            _money(payload.get("amount"), payload.get("currency"))
            or _money(payload.get("sale"), payload.get("sale_currency"))
            or sale
            or _money(result.get("rate") or result.get("amount"), result.get("currency"))
            or order_amount
        )
        subject = str(
            payload.get("domain")
            or payload.get("invoice_number")
            or invoice_number
            or payload.get("invoice_id")
            or row.idempotency_key
        )
        done.append(
            ActionDone(
                kind=ACTION_LABELS.get(row.kind, row.kind.replace("_", " ")),
                subject=subject,
                amount=amount,
                upstream_cost=cost,
                done_at=aware(row.updated_at) or row.updated_at,
            )
        )
    if actions is not None and {"status", "completed_at", "action"} <= set(actions.c.keys()):
        finished = conn.execute(
            select(actions)
            .where(actions.c.status == "done", actions.c.completed_at >= since)
            .order_by(actions.c.completed_at)
        )
        for row in finished:
            m = row._mapping
            by_hand = bool(m.get("reference"))
            label = "registration" if m["action"] == "register" else "renewal"
            done.append(
                ActionDone(
                    kind=f"{label} (by hand)" if by_hand else label,
                    subject=str(m["domain"]),
                    amount=_money(m.get("sale"), m.get("sale_currency")),
                    upstream_cost=_money(m.get("cost"), m.get("cost_currency")),
                    done_at=aware(m["completed_at"]) or m["completed_at"],
                )
            )
        done.sort(key=lambda action: action.done_at)
    return done


def gather_report(
    conn: Connection,
    *,
    now: datetime,
    since: datetime,
    timezone: str,
    states: Sequence[JobState],
    expiring_within_days: int,
    today: date,
    settings: Settings,
) -> MorningReport:
    """Everything the report shows, read in one connection."""
    alerts = tuple(
        Alert(
            job=s.name,
            late=s.late,
            failing=s.failing,
            last_success_at=s.last_success_at,
            last_failure_at=s.last_failure_at,
            error=s.last_error if s.failing else "",
        )
        for s in states
        if s.late or s.failing
    )
    sources = tuple(
        SourceHealth(
            job=s.name,
            plan=s.plan,
            last_success_at=s.last_success_at,
            late=s.late,
            failing=s.failing,
            last_error=s.last_error,
        )
        for s in states
    )
    return MorningReport(
        generated_at=now,
        since=since,
        timezone=timezone,
        alerts=alerts,
        decisions=tuple(gather_decisions(conn, settings)),
        failed=tuple(gather_failed(conn, settings)),
        rejected=tuple(gather_rejected(conn, since, settings)),
        expiring=tuple(gather_expiring(conn, today=today, within_days=expiring_within_days, now=now)),
        expiring_within_days=expiring_within_days,
        done=tuple(gather_done(conn, since)),
        sources=sources,
    )
