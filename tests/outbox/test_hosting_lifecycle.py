"""A hosting service whose start failed, or was stopped before it started, never blocks the next command: a stop
needs nothing from Xero and finishes, a corrected start goes ahead, and nothing is billed twice."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import select

from config.settings import Settings
from integrations.ports import ContactDraft
from integrations.xero.fake import FakeAccounting
from worker.app import App
from worker.commands.order_actions import hosting_change, hosting_start, hosting_stop
from worker.jobs.dispatch import dispatch
from worker.store.outbox_tables import hosting_services
from worker.store.tables import outbox

from .conftest import Clock, review


def _args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**kw)


def _start(app: App, settings: Settings, clock: Clock, contact: str) -> int:
    # Paid for (or waived): this file is about the service's life, not its first payment (tests/month_end).
    args = _args(domain="site.nz", plan="starter", contact=contact, start=None, without_first_payment=True)
    return hosting_start(app.engine, settings, args, clock)


def _services(app: App) -> list[tuple[str, str]]:
    with app.engine.connect() as conn:
        return [
            (r.contact_id, r.status) for r in conn.execute(select(hosting_services).order_by(hosting_services.c.id))
        ]


def _waiting(app: App) -> list[str]:
    with app.engine.connect() as conn:
        return [r.kind for r in conn.execute(select(outbox).where(outbox.c.status.in_(("pending", "running"))))]


def test_after_a_failed_start_stop_finishes_and_a_corrected_start_goes_ahead(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _start(app, settings, clock, "no-such-contact") == 0
    dispatch(app)
    assert review(app, "failed_action"), "the start failed into review"
    assert accounting.repeating == {}

    # Stopping it needs nothing from Xero: nothing is queued that could wait for ever.
    hosting_stop(app.engine, settings, _args(domain="site.nz"), clock)
    assert "never started" in capsys.readouterr().out
    assert _waiting(app) == []
    assert _services(app) == [("no-such-contact", "failed")]

    accounting.add_contact("c-ok", ContactDraft(name="Kiri"))
    clock.advance(minutes=5)
    assert _start(app, settings, clock, "c-ok") == 0
    dispatch(app)
    assert len(accounting.repeating) == 1
    assert _services(app) == [("no-such-contact", "failed"), ("c-ok", "active")]


def test_a_corrected_start_right_after_a_failure_is_not_blocked(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock
) -> None:
    assert _start(app, settings, clock, "no-such-contact") == 0
    dispatch(app)
    accounting.add_contact("c-ok", ContactDraft(name="Kiri"))
    clock.advance(minutes=5)
    assert _start(app, settings, clock, "c-ok") == 0
    dispatch(app)
    [rep] = accounting.repeating.values()
    assert rep.draft.contact_id == "c-ok"


def test_a_change_after_a_failed_start_is_refused_and_queues_nothing(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock
) -> None:
    _start(app, settings, clock, "no-such-contact")
    dispatch(app)
    assert hosting_change(app.engine, settings, _args(domain="site.nz", plan="business"), clock) == 1
    assert _waiting(app) == []


def test_stopped_before_its_start_ran_bills_nothing(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock
) -> None:
    accounting.add_contact("c-ok", ContactDraft(name="Kiri"))
    _start(app, settings, clock, "c-ok")
    assert hosting_stop(app.engine, settings, _args(domain="site.nz"), clock) == 0
    dispatch(app)
    dispatch(app)
    assert accounting.repeating == {}
    assert _waiting(app) == []
    with app.engine.connect() as conn:
        assert {r.kind: r.status for r in conn.execute(select(outbox))} == {
            "start_hosting": "done",
            "stop_hosting": "done",
        }


def test_a_backdated_service_stopped_before_dispatch_is_billed_for_its_live_days(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock
) -> None:
    """Started on the 1st (typed later), stopped today: it was live, so its repeating invoice is made, then ended."""
    accounting.add_contact("c-ok", ContactDraft(name="Kiri"))
    started = clock().date().replace(day=1)
    args = _args(domain="site.nz", plan="starter", contact="c-ok", start=started, without_first_payment=True)
    assert hosting_start(app.engine, settings, args, clock) == 0
    assert hosting_stop(app.engine, settings, _args(domain="site.nz"), clock) == 0
    dispatch(app)
    dispatch(app)
    [rep] = accounting.repeating.values()
    assert rep.status == "DELETED"
