"""First payment before going live: the provider asks resellers to take at least a setup fee or a first month
before a site goes live. `hosting start` starts a site whose customer has paid one for it; otherwise it raises a
setup invoice (once) and holds the start until that invoice is paid, when the paid setup order starts it.
`--without-first-payment` starts it anyway, and says so in the records and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from config.settings import Settings
from rules.model import OrderKind
from rules.words import domain_named
from worker import audit
from worker.outbox import effect_key, enqueue
from worker.store.first_payments import waiting_for
from worker.store.month_end_tables import first_payments
from worker.store.tables import orders

FIRST_PAYMENT_KINDS = (OrderKind.SETUP.value, OrderKind.HOSTING.value)


@dataclass(frozen=True, kw_only=True, slots=True)
class Held:
    """The start waits: why, in a sentence."""

    message: str
    already: bool = False  # it was already waiting: nothing new was done


def _order_for(conn: Connection, domain: str, contact_id: str, statuses: tuple[str, ...]) -> str | None:
    return conn.execute(
        select(orders.c.invoice_number)
        .where(
            orders.c.domain == domain,
            orders.c.contact_id == contact_id,
            orders.c.kind.in_(FIRST_PAYMENT_KINDS),
            orders.c.status.in_(statuses),
        )
        .order_by(orders.c.updated_at.desc())
    ).scalar()


def paid_first_payment(conn: Connection, domain: str, contact_id: str) -> str | None:
    """The invoice number of a setup or hosting invoice this customer paid for this site, if any."""
    return _order_for(conn, domain.lower(), contact_id, ("paid", "done"))


def hold_until_paid(
    conn: Connection, settings: Settings, *, domain: str, plan: str, contact_id: str, start: date, now: datetime
) -> Held | None:
    """None when the customer has paid a first payment for the site (start it); otherwise the start is held: the
    setup invoice is queued (or an open one is waited for) and a waiting row written."""
    domain = domain.lower()
    waiting = waiting_for(conn, domain)
    if waiting is not None:
        return Held(
            message=f"{domain_named(domain)} is already waiting for its first payment (requested "
            f"{waiting.requested_at:%Y-%m-%d}); "
            "it goes live when the setup invoice is paid, or now with --without-first-payment",
            already=True,
        )
    if paid_first_payment(conn, domain, contact_id) is not None:
        return None
    home = settings.worker.home_currency
    fee = settings.hosting.setup_fee(plan)
    open_invoice = _order_for(conn, domain, contact_id, ("open",))
    inserted = conn.execute(
        first_payments.insert()
        .values(
            domain=domain,
            plan=plan,
            contact_id=contact_id,
            start=start,
            status="waiting",
            amount="" if fee is None else str(fee),
            currency=home,
            note=f"waiting for {open_invoice}" if open_invoice else "",
            requested_at=now,
        )
        .returning(first_payments.c.id)
    ).one()
    if open_invoice:
        return Held(
            message=f"{domain_named(domain)} is held until its customer pays {open_invoice} (a setup or hosting "
            "invoice already open "
            "in Xero); it goes live when that is paid"
        )
    key = effect_key("setup_invoice", domain, str(inserted.id))
    enqueue(
        conn,
        key=key,
        kind="setup_invoice",
        payload={
            "request_id": int(inserted.id),
            "domain": domain,
            "plan": plan,
            "contact_id": contact_id,
            "amount": str(fee),
            "currency": home,
            "item_code": next((c for c, k in settings.xero.item_codes.items() if k == OrderKind.SETUP.value), ""),
        },
        now=now,
    )
    conn.execute(first_payments.update().where(first_payments.c.id == inserted.id).values(invoice_key=key))
    return Held(
        message=f"{domain_named(domain)} is held until its customer pays the setup fee of {fee} {home}: the "
        "next dispatch raises the "
        "invoice in Xero, and its payment puts the site live on the plan"
    )


def record_started(
    conn: Connection,
    *,
    domain: str,
    plan: str,
    contact_id: str,
    start: date,
    now: datetime,
    override: bool,
    reason: str,
    paid_by: str,
) -> None:
    """A start that went ahead: paid (which invoice), or `--without-first-payment` (recorded, and audited)."""
    note = f"started without a first payment: {reason or 'no reason given'}" if override else f"paid by {paid_by}"
    conn.execute(
        first_payments.insert().values(
            domain=domain.lower(),
            plan=plan,
            contact_id=contact_id,
            start=start,
            status="overridden" if override else "started",
            note=note,
            requested_at=now,
            resolved_at=now,
        )
    )
    if override:
        audit.record(
            conn,
            actor=audit.shell_actor(),
            via="cli",
            action="start_without_payment",
            ok=True,
            message=f"hosting for {domain_named(domain)} started on {plan} without a first payment",
            now=now,
            subject=domain.lower(),
            detail={"plan": plan, "contact_id": contact_id, "reason": reason},
        )


def cancel_waiting(conn: Connection, *, domain: str, now: datetime) -> bool:
    held = waiting_for(conn, domain)
    if held is None:
        return False
    conn.execute(
        first_payments.update()
        .where(first_payments.c.id == held.id)
        .values(status="cancelled", resolved_at=now, note="cancelled with 'hosting stop' before it was paid")
    )
    return True
