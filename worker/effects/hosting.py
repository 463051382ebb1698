"""Hosting services as repeating Xero invoices at the reseller's own monthly rate for the plan: start creates one,
change replaces it (new plan, new rate), stop ends it.

Xero's API cannot edit a repeating invoice, only create and delete one (OAS: POST "Deletes a specific repeating
invoice template"; live: "Repeating invoice status must be set to DELETED", XeroAPI/xero-mcp-server#192). So a change
deletes the template and creates a new one from the old one's next billing date, exactly once across crashes: the
old template's status says whether it was deleted, and a template made after it carries the same reference."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from integrations.errors import TransientError
from integrations.ports import InvoiceLine, RepeatingInvoiceDraft, RepeatingInvoiceInfo
from rules.money import Money
from rules.words import domain_named, domain_words
from worker.effects import Checkpoint, Done, Failed, Outcome
from worker.hosting_history import end_service
from worker.store.month_end_tables import hosting_periods
from worker.store.outbox_tables import hosting_services
from worker.store.tables import outbox

if TYPE_CHECKING:
    from worker.app import App
    from worker.outbox import OutboxRow


def _service(app: App, row: OutboxRow) -> Any:
    with app.engine.connect() as conn:
        return conn.execute(
            select(hosting_services).where(hosting_services.c.id == int(row.payload["service_id"]))
        ).first()


def start_action(conn: Connection, service_id: int) -> Any:
    """The outbox row that starts this service's repeating invoice (None for a service started elsewhere)."""
    for row in conn.execute(
        select(outbox.c.idempotency_key, outbox.c.status, outbox.c.last_error, outbox.c.payload).where(
            outbox.c.kind == "start_hosting"
        )
    ):
        if int((row.payload or {}).get("service_id", -1)) == service_id:
            return row
    return None


def never_started(conn: Connection, service: Any) -> str:
    """Why this service will never have a repeating invoice (its start failed for good), or "" when it has one or
    its start may still make one. A stop or change then needs nothing from Xero and must not wait for ever."""
    if service.repeating_invoice_id:
        return ""
    action = start_action(conn, service.id)
    if action is None or action.status == "failed":
        return (action.last_error if action is not None else "") or "no start was queued"
    if action.status == "done":
        return "it was stopped before its repeating invoice was created"
    return ""


def retire_if_never_started(conn: Connection, service: Any, now: Any, *, today: date) -> str:
    """Mark an active service whose start failed as `failed`, so a corrected `hosting start` can follow; returns
    the reason, or "" when the service is live or still starting. `today` is the reseller's business day."""
    reason = never_started(conn, service)
    if reason and service.status == "active":
        conn.execute(
            update(hosting_services)
            .where(hosting_services.c.id == service.id)
            .values(status="failed", stopped_on=today, updated_at=now)
        )
        # Its plan period ends too, so month-end does not count it beside the corrected start's own period.
        end_service(conn, service_id=service.id, last_day=today - timedelta(days=1))
    return reason


def _never_live(service: Any) -> bool:
    # A service stopped after its start date was live for those days and is billed for them (the stop then ends
    # the repeating invoice); one stopped on or before its first day never was.
    if service.status == "failed":
        return True
    return service.status == "stopped" and service.stopped_on is not None and service.stopped_on <= service.started_on


def _draft(app: App, service: Any, rate: Decimal) -> RepeatingInvoiceDraft:
    return RepeatingInvoiceDraft(
        contact_id=service.contact_id,
        lines=(
            InvoiceLine(
                description=f"Hosting: {service.plan} plan for {domain_words(service.domain)}",
                quantity=Decimal(1),
                unit_amount=Money(amount=rate, currency=service.currency),
                item_code=next((c for c, kind in app.settings.xero.item_codes.items() if kind == "hosting"), ""),
                account_code=app.settings.hosting.account_code,
            ),
        ),
        start=service.started_on,
        period_months=1,
        reference=f"HOSTING {domain_words(service.domain)}",
    )


def _rate(app: App, service: Any) -> Decimal | None:
    if service.rate:
        return Decimal(service.rate)
    return app.settings.hosting.plans.get(service.plan)


def _no_plan(service: Any) -> Failed:
    return Failed(
        reason=f"Hosting plan {service.plan!r} for {domain_named(service.domain)} has no rate in [hosting] plans.",
        suggested_action=f"Add plans.{service.plan} to [hosting], then requeue; or start it by hand.",
    )


def start_hosting(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    service = _service(app, row)
    if service is None:
        return Failed(reason=f"hosting service {row.payload['service_id']} vanished", suggested_action="Start again.")
    if service.repeating_invoice_id:
        return Done(result={"repeating_invoice_id": service.repeating_invoice_id, "already": True})
    if _never_live(service):  # retired after a failure, or stopped before its first day: nothing to bill
        return Done(result={"skipped": f"service {service.status} before it started"})
    rate = _rate(app, service)
    if rate is None:
        return _no_plan(service)
    rid = app.accounting.create_repeating_invoice(_draft(app, service, rate), idempotency_key=row.key)
    checkpoint("after_xero_write")

    def record(conn: Connection) -> None:
        conn.execute(
            update(hosting_services)
            .where(hosting_services.c.id == service.id)
            .values(repeating_invoice_id=rid, rate=str(rate), updated_at=app.clock())
        )
        conn.execute(  # a service started by a paid setup order learns its rate only now
            update(hosting_periods)
            .where(hosting_periods.c.service_id == service.id, hosting_periods.c.rate == "")
            .values(rate=str(rate))
        )

    return Done(result={"repeating_invoice_id": rid}, record=record)


def change_hosting(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    service = _service(app, row)
    if service is None:
        return Failed(reason=f"hosting service {row.payload['service_id']} vanished", suggested_action="Check it.")
    if not service.repeating_invoice_id:
        with app.engine.connect() as conn:
            reason = never_started(conn, service)
        if reason:
            return Failed(
                reason=f"Hosting for {domain_named(service.domain)} never started ({reason}), so there is no "
                "repeating invoice "
                "to change.",
                suggested_action=f"Start it again: reseller-worker hosting start --domain {service.domain} ...",
            )
        raise TransientError(f"the repeating invoice for {service.domain} is not created yet", system="outbox")
    revision = int(row.payload.get("revision", service.revision))
    if revision < service.revision:
        # A later change of the same service is queued; it replaces the template once, with the plan as it is now.
        return Done(result={"superseded_by_revision": service.revision})
    rate = _rate(app, service)
    if rate is None:
        return _no_plan(service)
    old_id = str(service.repeating_invoice_id)
    old = app.accounting.repeating_invoice(old_id)
    if old is None:
        return Failed(
            reason=f"The repeating invoice {old_id} for {domain_named(service.domain)} is not in Xero, so it "
            "cannot be changed to "
            f"the {service.plan} plan.",
            suggested_action="Create the repeating invoice for the new plan in Xero by hand.",
        )
    draft = _draft(app, service, rate)
    # No gap, no second invoice this period.
    draft = replace(draft, start=old.next_scheduled or app.settings.worker.business_day(app.clock()))
    if old.status != "DELETED":
        app.accounting.delete_repeating_invoice(old_id, idempotency_key=f"{row.key}:delete")
        checkpoint("after_xero_delete")
        new_id = ""
    else:
        # Deleted on an earlier attempt: the replacement may exist already (a crash after creating it).
        new_id = _replacement(app, draft, old)
    if not new_id:
        new_id = app.accounting.create_repeating_invoice(draft, idempotency_key=f"{row.key}:create")
        checkpoint("after_xero_write")

    def record(conn: Connection) -> None:
        conn.execute(
            update(hosting_services)
            .where(hosting_services.c.id == service.id)
            .values(repeating_invoice_id=new_id, rate=str(rate), updated_at=app.clock())
        )

    return Done(
        result={"repeating_invoice_id": new_id, "replaced": old_id, "plan": service.plan, "from": str(draft.start)},
        record=record,
    )


def _replacement(app: App, draft: RepeatingInvoiceDraft, old: RepeatingInvoiceInfo) -> str:
    """An AUTHORISED template for the same customer, reference and amount, other than the old one."""
    amount = sum((line.unit_amount.amount * line.quantity for line in draft.lines), Decimal(0))
    for found in app.accounting.repeating_invoices(reference=draft.reference):
        if (
            found.repeating_invoice_id != old.repeating_invoice_id
            and found.status == "AUTHORISED"
            and found.contact_id == draft.contact_id
            and (found.sub_total is None or found.sub_total == amount)
        ):
            return found.repeating_invoice_id
    return ""


def stop_hosting(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    service = _service(app, row)
    if service is None:
        return Failed(reason=f"hosting service {row.payload['service_id']} vanished", suggested_action="Check it.")
    if not service.repeating_invoice_id:
        with app.engine.connect() as conn:
            reason = never_started(conn, service)
        if reason:  # nothing was ever billed, so nothing to end in Xero
            return Done(result={"stopped": True, "never_started": reason[:200]})
        raise TransientError(f"the repeating invoice for {service.domain} is not created yet", system="outbox")
    app.accounting.delete_repeating_invoice(service.repeating_invoice_id, idempotency_key=row.key)
    checkpoint("after_xero_write")
    return Done(result={"repeating_invoice_id": service.repeating_invoice_id, "stopped": True})
