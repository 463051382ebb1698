"""The demo's last month: the registrations and renewals the worker recorded in October (as it leaves them), the
hosting services started, changed and stopped through the worker's own commands and dispatch on the days they
happened (so the repeating invoices exist in the sandbox), and the provider's October bill in Xero, holding one of
each kind of difference month-end names."""

from __future__ import annotations

import argparse
import contextlib
import io
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from integrations.xero.sandbox.demo import seed_supplier_bill
from rules.model import Contact, Order, OrderKind
from rules.money import Money
from worker.commands.order_actions import hosting_change, hosting_stop
from worker.domains import hold_domain
from worker.jobs.dispatch import dispatch
from worker.outbox import effect_key, queue_hosting_start
from worker.store.orders import order_values
from worker.store.outbox_tables import registrar_actions
from worker.store.tables import orders

if TYPE_CHECKING:
    from integrations.xero.sandbox.server import XeroSandbox
    from worker.app import App


def _at(day: str, zone: ZoneInfo) -> datetime:
    """14:00 on `day` in the reseller's time zone (the same day in UTC, which the hosting commands date by)."""
    return datetime.combine(date.fromisoformat(day), time(14, 0), tzinfo=zone).astimezone(UTC)


def seed_last_month(app: App, sandbox: XeroSandbox, data: Mapping[str, Any]) -> dict[str, int]:
    """Records, hosting history and the provider's bill; returns counts."""
    zone = app.settings.worker.zone
    contacts = {
        str(r.data["ContactID"]): Contact(contact_id=str(r.data["ContactID"]), name=str(r.data["Name"]))
        for r in sandbox.books.contacts.values()
    }
    for work in data["domain_work"]:
        _record_work(app, work, contacts[work["contact"]], _at(work["on"], zone))
    with sandbox.spread_over_time():  # months of history: Xero's per-minute limit is not in play
        for event in data["hosting"]:
            _hosting_event(app, event, _at(event["on"], zone))
    seed_supplier_bill(sandbox, data["bill"])
    return {"domain_work": len(data["domain_work"]), "hosting_events": len(data["hosting"]), "bills": 1}


def _record_work(app: App, work: Mapping[str, Any], contact: Contact, done: datetime) -> None:
    """A registration or renewal done and recorded, as the registrar effect (or `orders done`) leaves it."""
    action, domain, years = str(work["action"]), str(work["domain"]), int(work["years"])
    sale = Money.of(str(work["sale"]), app.settings.worker.home_currency)
    order = Order(
        order_id=str(work["order_id"]),
        kind=OrderKind.DOMAIN_REGISTRATION if action == "register" else OrderKind.DOMAIN_RENEWAL,
        invoice_number=str(work["invoice_number"]),
        invoice_id=f"demo-{work['order_id']}",
        contact=contact,
        domain=domain,
        amount_due=sale,
        issued=done.date(),
        due=done.date(),
        term_years=years,
    )
    by_hand = str(work.get("by_hand", ""))
    with app.engine.begin() as conn:
        conn.execute(
            orders.insert().values(order_id=order.order_id, status="done", updated_at=done, **order_values(order))
        )
        conn.execute(
            registrar_actions.insert().values(
                idempotency_key=effect_key(action, domain, order.order_id),
                order_id=order.order_id,
                domain=domain,
                action=action,
                years=years,
                status="done",
                registrar_order_id=str(work.get("registrar_order", "")),
                reference=by_hand,
                sale=str(sale.amount),
                sale_currency=sale.currency,
                created_at=done,
                updated_at=done,
                completed_at=done,
            )
        )
        hold_domain(
            conn,
            domain=domain,
            expires=date(done.year + years, done.month, min(done.day, 28)),
            now=done,
            contact_id=contact.contact_id,
            order_id=order.order_id,
            sell_amount=str((sale.amount / years).quantize(Decimal("0.01"))),
            sell_currency=sale.currency,
        )


def _hosting_event(app: App, event: Mapping[str, Any], when: datetime) -> None:
    """One day of hosting history, through the worker's own commands and dispatch at that day's time."""
    then = replace(app, clock=lambda: when)
    kind = event["do"]
    quiet = contextlib.redirect_stdout(io.StringIO())  # the commands' own confirmations are not the demo's output
    if kind == "dispatch":
        dispatch(then)
    elif kind == "start":
        domain, plan = str(event["domain"]), str(event["plan"])
        with app.engine.begin() as conn:
            queue_hosting_start(
                conn,
                domain=domain,
                plan=plan,
                contact_id=str(event["contact"]),
                rate=app.settings.hosting.plans[plan],
                currency=app.settings.worker.home_currency,
                start=when.date(),
                source="cli",
                now=when,
            )
    elif kind == "change":
        with quiet:
            hosting_change(then.engine, then.settings, argparse.Namespace(**_args(event)), then.clock)
    elif kind == "stop":
        with quiet:
            hosting_stop(then.engine, then.settings, argparse.Namespace(domain=event["domain"]), then.clock)
    else:
        raise ValueError(f"unknown hosting event {kind!r}")


def _args(event: Mapping[str, Any]) -> dict[str, Any]:
    return {"domain": event["domain"], "plan": event["plan"]}
