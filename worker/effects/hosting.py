"""Hosting services as repeating Xero invoices at the reseller's own monthly rate for the plan: start creates one,
change updates it (new plan, new rate), stop ends it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from integrations.errors import TransientError
from integrations.ports import InvoiceLine, RepeatingInvoiceDraft
from rules.money import Money
from worker.effects import Checkpoint, Done, Failed, Outcome
from worker.store.month_end_tables import hosting_periods
from worker.store.outbox_tables import hosting_services

if TYPE_CHECKING:
    from worker.app import App
    from worker.outbox import OutboxRow


def _service(app: App, row: OutboxRow) -> Any:
    with app.engine.connect() as conn:
        return conn.execute(
            select(hosting_services).where(hosting_services.c.id == int(row.payload["service_id"]))
        ).first()


def _draft(app: App, service: Any, rate: Decimal) -> RepeatingInvoiceDraft:
    return RepeatingInvoiceDraft(
        contact_id=service.contact_id,
        lines=(
            InvoiceLine(
                description=f"Hosting: {service.plan} plan for {service.domain}",
                quantity=Decimal(1),
                unit_amount=Money(amount=rate, currency=service.currency),
                item_code=next((c for c, kind in app.settings.xero.item_codes.items() if kind == "hosting"), ""),
                account_code=app.settings.hosting.account_code,
            ),
        ),
        start=service.started_on,
        period_months=1,
        reference=f"HOSTING {service.domain}",
    )


def _rate(app: App, service: Any) -> Decimal | None:
    if service.rate:
        return Decimal(service.rate)
    return app.settings.hosting.plans.get(service.plan)


def _no_plan(service: Any) -> Failed:
    return Failed(
        reason=f"Hosting plan {service.plan!r} for {service.domain} has no rate in [hosting] plans.",
        suggested_action=f"Add plans.{service.plan} to [hosting], then requeue; or start it by hand.",
    )


def start_hosting(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    service = _service(app, row)
    if service is None:
        return Failed(reason=f"hosting service {row.payload['service_id']} vanished", suggested_action="Start again.")
    if service.repeating_invoice_id:
        return Done(result={"repeating_invoice_id": service.repeating_invoice_id, "already": True})
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
        raise TransientError(f"the repeating invoice for {service.domain} is not created yet", system="outbox")
    rate = _rate(app, service)
    if rate is None:
        return _no_plan(service)
    app.accounting.update_repeating_invoice(
        service.repeating_invoice_id, _draft(app, service, rate), idempotency_key=row.key
    )
    checkpoint("after_xero_write")
    return Done(result={"repeating_invoice_id": service.repeating_invoice_id, "plan": service.plan})


def stop_hosting(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    service = _service(app, row)
    if service is None:
        return Failed(reason=f"hosting service {row.payload['service_id']} vanished", suggested_action="Check it.")
    if not service.repeating_invoice_id:
        raise TransientError(f"the repeating invoice for {service.domain} is not created yet", system="outbox")
    app.accounting.update_repeating_invoice(service.repeating_invoice_id, None, idempotency_key=row.key)
    checkpoint("after_xero_write")
    return Done(result={"repeating_invoice_id": service.repeating_invoice_id, "stopped": True})
