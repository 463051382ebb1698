"""The worker against the LogicBoxes emulator (issue 15, items 2, 3, 6): nothing is recorded as registered or renewed
until the registrar's own record shows it; an order the registrar queued is never asked for again, keeps being
checked, is reported when it waits too long, and finishes by itself once the registrar completes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import responses
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.xero.fake import FakeAccounting
from rules.model import OrderKind
from worker.app import App
from worker.domains import hold_domain
from worker.jobs.dispatch import dispatch
from worker.store.outbox_tables import domains, registrar_actions

from .conftest import Clock, make_app, new_order, order_status, outbox_rows, pay, review
from .logicboxes_emulator import LogicBoxesEmulator
from .test_registrar_contract import logicboxes


@pytest.fixture
def remote(
    engine: Engine, settings: Settings, clock: Clock, accounting: FakeAccounting
) -> Iterator[tuple[App, LogicBoxesEmulator]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        adapter, emu = logicboxes(mock, retry_attempts=1)
        emu.clock = clock
        yield make_app(engine, settings, clock, accounting, adapter), emu


def _action(app: App) -> str:
    with app.engine.connect() as conn:
        return str(conn.execute(select(registrar_actions.c.status)).scalar_one())


def _renewal(app: App, accounting: FakeAccounting, emu: LogicBoxesEmulator, order_id: str, domain: str) -> None:
    emu.add_ours(domain, expires=date(2026, 12, 31))
    with app.engine.begin() as conn:
        hold_domain(conn, domain=domain, expires=date(2026, 12, 31), now=app.clock(), contact_id="c-1")
    pay(app, accounting, new_order(order_id, kind=OrderKind.DOMAIN_RENEWAL, domain=domain))


def test_renewal_queued_for_funds_waits_is_reported_and_completes_once(
    remote: tuple[App, LogicBoxesEmulator], accounting: FakeAccounting, clock: Clock
) -> None:
    """Funds short: the renewal is accepted but queued. The order is not done, no "renewed" note goes on the
    invoice, later dispatches only look (one renew call in all), a review item appears after a few hours, and
    when the registrar runs it the worker records it with the new expiry and closes the item."""
    app, emu = remote
    emu.short_of_funds()
    _renewal(app, accounting, emu, "ORD-6001", "queued.nz")
    counts = dispatch(app)
    assert counts["waiting"] == 1 and counts["failed"] == 0
    assert _action(app) == "awaiting" and order_status(app, "ORD-6001") != "done"
    assert not any(k.startswith("note:") for k in outbox_rows(app))
    for _ in range(3):
        clock.advance(hours=2)
        dispatch(app)
    assert emu.calls("domains/renew.json") == 1
    [item] = review(app, "registrar_pending")
    assert item.status == "open" and "queued.nz" in item.reason and "Insufficient funds" in item.reason
    emu.add_funds()
    clock.advance(hours=1)
    dispatch(app)
    assert _action(app) == "done" and order_status(app, "ORD-6001") == "done"
    assert emu.applied_count("renew", "queued.nz") == 1
    with app.engine.connect() as conn:
        assert conn.execute(select(domains.c.expires)).scalar_one() == date(2027, 12, 31)
    assert any("queued.nz renewed" in n for n in accounting.history["inv-ORD-6001"])
    assert [r.status for r in review(app, "registrar_pending")] == ["done"]


def test_crash_after_a_queued_renewal_does_not_renew_again(
    remote: tuple[App, LogicBoxesEmulator], accounting: FakeAccounting, clock: Clock
) -> None:
    """The worker dies after the registrar queued the renewal and before recording it: the retry finds the queued
    action in the registrar's record and waits instead of sending a second one (which would also be charged)."""
    app, emu = remote
    emu.short_of_funds()
    _renewal(app, accounting, emu, "ORD-6002", "crash.nz")

    def die_after_call(name: str) -> None:
        if name == "after_registrar_call":
            raise RuntimeError("killed")

    dispatch(app, checkpoint=die_after_call)
    assert _action(app) == "in_flight"
    clock.advance(hours=1)
    dispatch(app)
    assert _action(app) == "awaiting" and emu.calls("domains/renew.json") == 1
    emu.add_funds()
    clock.advance(hours=1)
    dispatch(app)
    assert emu.applied_count("renew", "crash.nz") == 1 and order_status(app, "ORD-6002") == "done"


def test_inactive_registration_is_done_only_when_active(
    remote: tuple[App, LogicBoxesEmulator], accounting: FakeAccounting, clock: Clock
) -> None:
    """A registration the registry holds InActive stays pending (not done, no note) until it turns Active."""
    app, emu = remote
    emu.hold_registrations()
    pay(app, accounting, new_order("ORD-6003", domain="slow.co.nz"))
    dispatch(app)
    assert _action(app) == "awaiting" and order_status(app, "ORD-6003") != "done"
    clock.advance(hours=1)
    dispatch(app)
    assert emu.calls("domains/register.json") == 1
    emu.activate("slow.co.nz")
    clock.advance(hours=1)
    dispatch(app)
    assert _action(app) == "done" and order_status(app, "ORD-6003") == "done"
    assert any("slow.co.nz registered" in n for n in accounting.history["inv-ORD-6003"])


@pytest.mark.parametrize("status", ["Deleted", "Archived"])
def test_a_deleted_order_does_not_block_a_new_registration(
    remote: tuple[App, LogicBoxesEmulator], accounting: FakeAccounting, status: str
) -> None:
    """The name's old order is over: the paid registration goes ahead."""
    app, emu = remote
    emu.add_ours("again.co.nz", expires=date(2025, 3, 1), status=status)
    pay(app, accounting, new_order("ORD-6004", domain="again.co.nz"))
    counts = dispatch(app)
    assert counts["failed"] == 0 and order_status(app, "ORD-6004") == "done"
    assert emu.applied_count("register", "again.co.nz") == 1


def test_premium_name_goes_to_review_with_its_price(
    remote: tuple[App, LogicBoxesEmulator], accounting: FakeAccounting
) -> None:
    """Never a normal registration: the review item names the premium price; nothing is bought."""
    app, emu = remote
    emu.add_premium("gold.co.nz", "2500.00")
    pay(app, accounting, new_order("ORD-6005", domain="gold.co.nz"))
    dispatch(app)
    assert emu.calls("domains/register.json") == 0
    [item] = review(app, "failed_action")
    assert "premium" in item.reason and "2500.00 USD" in item.reason
