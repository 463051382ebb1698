"""`hosting change` against the sandbox (issue 15, item 8): Xero cannot edit a repeating invoice, so the worker deletes
the template and creates one at the new rate from the old one's next billing date; a crash at either step leaves
exactly one live template, never two and never none."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.sandbox.books import parse_date
from tests.xero.contract import an_order
from tests.xero.sandbox_books import SandboxBooks
from worker.app import App
from worker.commands.order_actions import hosting_change, hosting_start
from worker.jobs.dispatch import dispatch
from worker.store.outbox_tables import hosting_services
from worker.store.tables import outbox

pytestmark = pytest.mark.xero


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def running(settings: Settings, engine: Engine) -> Iterator[tuple[App, SandboxBooks]]:
    with SandboxBooks.start() as books:
        books.seed_order(an_order(1))
        app = App(
            settings=settings,
            engine=engine,
            clock=_now,
            accounting=books.adapter,
            registrar=FakeRegistrar(),
            mailer=None,
            open_mailbox=None,
        )
        contact = an_order(1).contact.contact_id
        args = argparse.Namespace(
            domain="site.co.nz", plan="starter", contact=contact, start=None, without_first_payment=True
        )
        assert hosting_start(engine, settings, args, _now) == 0
        dispatch(app)
        yield app, books


def _templates(books: SandboxBooks) -> list[dict[str, Any]]:
    return [r.data for r in books.sb.books.repeating.values() if r.data.get("Reference") == "HOSTING site.co.nz"]


def _change(app: App, checkpoint: Any = None) -> None:
    assert hosting_change(app.engine, app.settings, argparse.Namespace(domain="site.co.nz", plan="business"), _now) == 0
    if checkpoint is None:
        dispatch(app)
    else:
        dispatch(app, checkpoint=checkpoint)


def _live(books: SandboxBooks) -> list[dict[str, Any]]:
    return [t for t in _templates(books) if t["Status"] == "AUTHORISED"]


def test_change_replaces_the_template_from_its_next_billing_date(running: tuple[App, SandboxBooks]) -> None:
    app, books = running
    [old] = _templates(books)
    next_billing = parse_date(old["Schedule"]["NextScheduledDate"])
    _change(app)
    [live] = _live(books)
    assert old["Status"] == "DELETED" and live["RepeatingInvoiceID"] != old["RepeatingInvoiceID"]
    assert live["LineItems"][0]["UnitAmount"] == 45 and parse_date(live["Schedule"]["StartDate"]) == next_billing
    with app.engine.connect() as conn:
        assert conn.execute(select(hosting_services.c.repeating_invoice_id)).scalar_one() == live["RepeatingInvoiceID"]
    assert books.sb.violations == []


@pytest.mark.parametrize("dies_at", ["after_xero_delete", "after_xero_write"])
def test_a_crash_during_the_change_leaves_exactly_one_live_template(
    running: tuple[App, SandboxBooks], dies_at: str
) -> None:
    """Killed after the delete, or after the create but before recording it: the retry finishes the change and
    Xero holds one live template at the new rate."""
    app, books = running

    def die(name: str) -> None:
        if name == dies_at:
            raise RuntimeError("killed")

    _change(app, checkpoint=die)
    with app.engine.begin() as conn:  # the row comes back as soon as the backoff allows: now
        conn.execute(outbox.update().where(outbox.c.kind == "change_hosting").values(next_attempt_at=_now()))
    dispatch(app)
    [live] = _live(books)
    assert live["LineItems"][0]["UnitAmount"] == 45
    assert books.sb.count("PUT", "/RepeatingInvoices") == 2  # the start and one replacement
    with app.engine.connect() as conn:
        assert conn.execute(select(hosting_services.c.repeating_invoice_id)).scalar_one() == live["RepeatingInvoiceID"]
