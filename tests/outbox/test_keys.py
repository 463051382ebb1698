"""Idempotency keys: business keys as they are, shortened with a digest when longer than Xero's 128 characters."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, update

from config.settings import Settings
from integrations.ports import ContactDraft
from integrations.xero.fake import FakeAccounting
from worker.app import App
from worker.commands.order_actions import hosting_start, hosting_stop, orders_new, orders_retry
from worker.jobs.dispatch import dispatch
from worker.jobs.xero_sync import sync_xero
from worker.outbox import effect_key, enqueue
from worker.store.outbox_tables import hosting_services
from worker.store.tables import outbox

from .conftest import Clock


def test_short_keys_are_kept_and_long_ones_stay_distinct_and_stable() -> None:
    """A normal key is readable; two long keys differing only at the end do not collide."""
    assert effect_key("register", "example.co.nz", "ORD-1") == "register:example.co.nz:ORD-1"
    long_a = effect_key("note", "inv-" + "a" * 60, "register:" + "x" * 80 + ".nz:ORD-1")
    long_b = effect_key("note", "inv-" + "a" * 60, "register:" + "x" * 80 + ".nz:ORD-2")
    assert len(long_a) == len(long_b) == 128 and long_a != long_b
    assert long_a == effect_key("note", "inv-" + "a" * 60, "register:" + "x" * 80 + ".nz:ORD-1")


def test_enqueue_refuses_an_overlong_key(sqlite_engine: Engine) -> None:
    """A key Xero would reject is refused before it is stored."""
    with sqlite_engine.begin() as conn, pytest.raises(ValueError, match="128"):
        enqueue(conn, key="k" * 129, kind="history_note", payload={}, now=datetime.now(UTC))


def test_two_hosting_starts_in_the_same_instant_are_two_services(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock
) -> None:
    """A start, a stop and a second start of the same site at the very same clock reading (a fast script, a clock
    that does not move): each start is keyed by its own service, never by the time, so the second is queued and
    billed, not taken for the first."""
    accounting.add_contact("c-1", ContactDraft(name="Kiri"))
    args = argparse.Namespace(
        domain="site.nz", plan="starter", contact="c-1", start=None, without_first_payment=True, reason=""
    )
    assert hosting_start(app.engine, settings, args, clock) == 0
    assert hosting_stop(app.engine, settings, argparse.Namespace(domain="site.nz"), clock) == 0
    assert hosting_start(app.engine, settings, args, clock) == 0
    with app.engine.connect() as conn:
        services = [r.id for r in conn.execute(select(hosting_services.c.id).order_by(hosting_services.c.id))]
        starts = sorted(r.idempotency_key for r in conn.execute(select(outbox).where(outbox.c.kind == "start_hosting")))
    assert starts == sorted(f"hosting:start:{sid}" for sid in services) and len(services) == 2
    dispatch(app)
    live = [r for r in accounting.repeating.values() if r.status == "AUTHORISED"]
    assert len(live) == 1 and accounting.calls["create_repeating_invoice"] == 1  # the first stopped before its day


def test_an_order_invoice_is_the_domains_next_order_not_the_days(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same `orders new` twice queues one invoice, whenever the second comes; once that invoice is voided in
    Xero, ordering the domain again in the very same instant queues a new one (a key made of the day would have
    taken it for the first, and one made of the time would have let the repeat through on another day)."""
    accounting.add_contact("c-2", ContactDraft(name="Aroha"))
    settings = replace(settings, hosting=replace(settings.hosting, domain_rates={"nz": Decimal("30.00")}))
    args = argparse.Namespace(domain="aroha.nz", years=1, contact="c-2", email=None, name=None, price=None)
    assert orders_new(app.engine, settings, args, clock) == 0
    assert orders_new(app.engine, settings, args, clock) == 1
    assert "already has an invoice queued (order_invoice:aroha.nz:1)" in capsys.readouterr().err
    dispatch(app)
    clock.advance(days=3)
    assert orders_new(app.engine, settings, args, clock) == 1  # raised, not yet read back: still open
    [(invoice_id, invoice)] = accounting.invoices.items()
    assert f"already has invoice {invoice.invoice_number} raised in Xero" in capsys.readouterr().err

    clock.advance(minutes=10)
    accounting.set_invoice_status(invoice_id, "VOIDED")
    clock.advance(minutes=10)
    sync_xero(app)  # the voided invoice is read, and no open order is left for it
    assert orders_new(app.engine, settings, args, clock) == 0
    with app.engine.connect() as conn:
        keys = sorted(r.idempotency_key for r in conn.execute(select(outbox).where(outbox.c.kind == "order_invoice")))
    assert keys == ["order_invoice:aroha.nz:1", "order_invoice:aroha.nz:2"]


def test_a_failed_order_invoice_is_not_retried_once_the_domain_was_ordered_again(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first order's invoice failed, the domain was ordered again (allowed: no invoice was raised); retrying the
    first afterwards would raise a second invoice for the same domain, so it is refused and nothing is queued.
    Retrying the newest order's failed invoice still works."""
    accounting.add_contact("c-3", ContactDraft(name="Mere"))
    settings = replace(settings, hosting=replace(settings.hosting, domain_rates={"nz": Decimal("30.00")}))
    args = argparse.Namespace(domain="mere.nz", years=1, contact="c-3", email=None, name=None, price=None)
    assert orders_new(app.engine, settings, args, clock) == 0
    with app.engine.begin() as conn:
        conn.execute(
            update(outbox).where(outbox.c.idempotency_key == "order_invoice:mere.nz:1").values(status="failed")
        )
    assert orders_new(app.engine, settings, args, clock) == 0  # the failed one raised nothing: a new order goes ahead
    capsys.readouterr()

    assert orders_retry(app.engine, settings, argparse.Namespace(key="order_invoice:mere.nz:1"), clock) == 1
    assert "mere.nz was ordered again after this one failed (order_invoice:mere.nz:2)" in capsys.readouterr().err
    dispatch(app)
    assert len(accounting.invoices) == 1
    with app.engine.connect() as conn:
        first = conn.execute(select(outbox.c.status).where(outbox.c.idempotency_key == "order_invoice:mere.nz:1"))
        assert first.scalar_one() == "failed"

    with app.engine.begin() as conn:
        conn.execute(
            update(outbox).where(outbox.c.idempotency_key == "order_invoice:mere.nz:2").values(status="failed")
        )
    assert orders_retry(app.engine, settings, argparse.Namespace(key="order_invoice:mere.nz:2"), clock) == 0
