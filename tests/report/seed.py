"""Rows for report, review and health tests, written the way the jobs write them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, select

from worker.store.tables import decisions, job_runs, orders, outbox, receipts, review_items

# 07:00 on 26 November 2026 in Auckland (NZDT, UTC+13).
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def add_order(
    conn: Connection,
    order_id: str,
    *,
    kind: str = "domain_registration",
    domain: str = "example.nz",
    amount: str = "45.00",
    currency: str = "NZD",
    contact_id: str = "C-1",
    name: str = "Example Ltd",
    email: str = "",
    status: str = "open",
    now: datetime = NOW,
    plan: str = "",
) -> None:
    conn.execute(
        orders.insert().values(
            plan=plan,
            order_id=order_id,
            kind=kind,
            invoice_id=f"inv-{order_id}",
            invoice_number=order_id.replace("ORD", "INV"),
            contact_id=contact_id,
            contact={"name": name, "email": email},
            domain=domain,
            amount_due=amount,
            currency=currency,
            issued="2026-11-01",
            due="2026-11-20",
            status=status,
            updated_at=now,
        )
    )


def add_receipt(
    conn: Connection,
    receipt_id: str,
    *,
    amount: str = "45.00",
    currency: str = "NZD",
    source: str = "bank_line",
    payer_name: str = "",
    payer_email: str = "",
    now: datetime = NOW,
) -> None:
    payload = {
        "receipt_id": receipt_id,
        "source": source,
        "received_at": now.isoformat(),
        "money": {"amount": amount, "currency": currency},
        "payer_name": payer_name,
        "payer_email": payer_email,
        "text": [["reference", "website"]],
    }
    conn.execute(
        receipts.insert().values(
            receipt_id=receipt_id,
            source=source,
            received_at=now,
            amount=amount,
            currency=currency,
            payload=payload,
            status="new",
            created_at=now,
        )
    )


def add_review(
    conn: Connection,
    kind: str,
    subject: str,
    reason: str,
    *,
    candidates: Sequence[str] = (),
    detail: Mapping[str, Any] | None = None,
    suggested: str = "",
    now: datetime = NOW,
) -> int:
    conn.execute(
        review_items.insert().values(
            kind=kind,
            subject=subject,
            reason=reason,
            suggested_action=suggested,
            candidates=list(candidates),
            detail=dict(detail or {}),
            status="open",
            created_at=now,
        )
    )
    row = conn.execute(
        select(review_items.c.id).where(review_items.c.kind == kind, review_items.c.subject == subject)
    ).one()
    return int(row.id)


def add_outbox(
    conn: Connection,
    key: str,
    kind: str,
    payload: Mapping[str, Any],
    *,
    status: str,
    now: datetime = NOW,
    result: Mapping[str, Any] | None = None,
    attempts: int = 1,
    last_error: str = "",
) -> None:
    conn.execute(
        outbox.insert().values(
            idempotency_key=key,
            kind=kind,
            payload=dict(payload),
            status=status,
            attempts=attempts,
            next_attempt_at=now,
            last_error=last_error,
            result=dict(result) if result is not None else None,
            created_at=now,
            updated_at=now,
        )
    )


def add_job_run(
    conn: Connection,
    job: str,
    *,
    success: datetime | None,
    failure: datetime | None = None,
    error: str = "",
) -> None:
    conn.execute(
        job_runs.insert().values(
            job=job,
            last_started_at=success or failure,
            last_success_at=success,
            last_failure_at=failure,
            last_error=error,
            last_summary={},
        )
    )


def optional_table(conn: Connection, name: str) -> Table | None:
    """Another area's table, when its migration has created it."""
    if not inspect(conn).has_table(name):
        return None
    return Table(name, MetaData(), autoload_with=conn)


def add_domain(conn: Connection, domain: str, *, expires: date, contact_id: str = "C-1", now: datetime = NOW) -> bool:
    """A domain we hold (the outbox area's table); False when that table does not exist here."""
    table = optional_table(conn, "domains")
    if table is None:
        return False
    values: dict[str, Any] = {
        "domain": domain,
        "contact_id": contact_id,
        "expires": expires,
        "status": "active",
        "updated_at": now,
    }
    conn.execute(table.insert().values({k: v for k, v in values.items() if k in table.c}))
    return True


def add_registrar_cost(
    conn: Connection, key: str, *, domain: str, cost: str, currency: str, now: datetime = NOW
) -> bool:
    table = optional_table(conn, "registrar_actions")
    if table is None:
        return False
    values: dict[str, Any] = {
        "idempotency_key": key,
        "order_id": "ORD-1",
        "domain": domain,
        "action": "register",
        "years": 1,
        "status": "done",
        "cost": cost,
        "cost_currency": currency,
        "sale": "45.00",
        "sale_currency": currency,
        "created_at": now,
        "updated_at": now,
        "completed_at": now,
    }
    conn.execute(table.insert().values({k: v for k, v in values.items() if k in table.c}))
    return True


def add_to_do(
    conn: Connection,
    order_id: str,
    *,
    domain: str,
    action: str = "renew",
    pre_expiry: date | None = None,
    cost: str = "21.50",
    currency: str = "NZD",
    now: datetime = NOW,
) -> bool:
    """A registration or renewal waiting for a person at the manual registrar (the outbox area's table)."""
    table = optional_table(conn, "registrar_actions")
    if table is None:
        return False
    values: dict[str, Any] = {
        "idempotency_key": f"{action}:{domain}:{order_id}",
        "order_id": order_id,
        "domain": domain,
        "action": action,
        "years": 1,
        "pre_expiry": pre_expiry,
        "status": "to_do",
        "cost": cost,
        "cost_currency": currency,
        "sale": "35.00",
        "sale_currency": currency,
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(table.insert().values({k: v for k, v in values.items() if k in table.c}))
    return True


def add_decision(
    conn: Connection, receipt_id: str, orders_paid: Sequence[str], *, strategy: str, now: datetime = NOW
) -> None:
    """An auto decision, as matching or an approval writes it."""
    conn.execute(
        decisions.insert().values(
            receipt_id=receipt_id,
            kind="auto",
            orders=list(orders_paid),
            reason="test",
            strategy=strategy,
            decided_at=now,
        )
    )
