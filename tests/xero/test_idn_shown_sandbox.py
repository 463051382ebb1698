"""Internationalised domain names: people read them in Unicode, registrars and the database get the IDNA (xn--)
form. A domain ordered as `münchen.de` goes round the whole loop through the real adapter and the Xero sandbox
(invoice raised, read back as an order, paid, registered, noted), on SQLite and PostgreSQL; a hosting service's
messages and its repeating invoice show the Unicode form the same way."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.registrar.fake import FakeRegistrar
from integrations.registrar.terms import UpstreamPrices
from rules.model import Contact, OrderKind
from rules.words import domain_named, domain_words, order_words
from tests.xero.sandbox_books import SandboxBooks, Ticker, open_invoice, worker_on_sandbox
from worker.app import App
from worker.commands.order_actions import hosting_change, hosting_start, hosting_stop, orders_list, orders_new
from worker.jobs.dispatch import dispatch
from worker.jobs.match import decide_stored
from worker.jobs.xero_sync import sync_xero
from worker.store.tables import orders

pytestmark = pytest.mark.xero

MUNICH, MUNICH_ASCII = "münchen.de", "xn--mnchen-3ya.de"
HANS = Contact(contact_id="5b1c1e8e-1d1a-4c55-9e55-0f1e0a7c0b20", name="Hans Müller", email="hans@mueller.test")


@pytest.fixture
def world(engine: Engine, settings: Settings) -> Iterator[tuple[App, SandboxBooks, FakeRegistrar, Ticker]]:
    # An earlier invoice of the customer's, paid: it only puts the contact in the books.
    earlier = open_invoice(
        "INV-0900",
        invoice_id="a6f1f2de-34f4-4d8f-9c65-50c3e8a10b20",
        contact=HANS,
        domain="mueller.de",
        amount="20.00",
        kind=OrderKind.DOMAIN_RENEWAL,
    )
    upstream = UpstreamPrices(currency="NZD", register={"de": Decimal("9.00")}, renew={"de": Decimal("9.00")})
    hosting = replace(settings.hosting, domain_rates={"de": Decimal("25.00")})
    with worker_on_sandbox(engine, settings, [earlier], prices=upstream, hosting=hosting) as world:
        yield world


def _last(text: str) -> str:
    """The command's own last line (log lines from the dispatch before it are not what is checked)."""
    return text.splitlines()[-1] if text else ""


def _invoice_for(books: SandboxBooks, domain: str) -> dict[str, Any]:
    [invoice] = [
        r.data
        for r in books.sb.books.invoices.values()
        if any(domain in str(line.get("Description", "")) for line in r.data["LineItems"])
    ]
    return invoice


def test_an_idn_order_reads_in_unicode_and_is_registered_in_its_idna_form(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker], capsys: pytest.CaptureFixture[str]
) -> None:
    app, books, registrar, clock = world
    args = argparse.Namespace(domain=MUNICH, years=1, contact=HANS.contact_id, email=None, name=None, price=None)
    assert orders_new(app.engine, app.settings, args, clock) == 0
    assert f"invoice for {MUNICH} ({MUNICH_ASCII})" in capsys.readouterr().out
    dispatch(app)

    invoice = _invoice_for(books, MUNICH)  # the customer reads the name they ordered
    assert "xn--" not in invoice["LineItems"][0]["Description"]
    clock.advance()
    sync_xero(app)
    with app.engine.connect() as conn:  # read back as the order it is, in the form the registrar takes
        domain = conn.execute(select(orders.c.domain).where(orders.c.invoice_id == invoice["InvoiceID"])).scalar_one()
    assert domain == MUNICH_ASCII
    assert orders_new(app.engine, app.settings, args, clock) == 1  # its invoice is open: not a second one
    assert f"already has invoice {invoice['InvoiceNumber']} open in Xero" in capsys.readouterr().err

    books.seed_bank_line(
        "0f3c2b1a-0000-4000-8000-0000000000b2", "25.00", clock().date(), "H MUELLER", invoice["Reference"]
    )
    clock.advance()
    sync_xero(app)
    decide_stored(app)
    dispatch(app)
    assert registrar.applied("register", MUNICH_ASCII) == 1 and registrar.attempts("register", MUNICH) == 0
    [note] = [h["Details"] for h in books.sb.books.invoices[invoice["InvoiceID"]].history]
    assert note.startswith(f"Domain {MUNICH} registered for 1 year(s)") and "xn--" not in note

    orders_list(app.engine, app.settings, argparse.Namespace(status="done", limit=10, json=False), clock)
    assert MUNICH in capsys.readouterr().out
    assert books.sb.violations == []


def test_hosting_of_an_idn_site_shows_it_in_unicode(
    world: tuple[App, SandboxBooks, FakeRegistrar, Ticker], capsys: pytest.CaptureFixture[str]
) -> None:
    app, books, _registrar, clock = world
    start = argparse.Namespace(
        domain=MUNICH_ASCII, plan="starter", contact=HANS.contact_id, start=None, without_first_payment=True, reason=""
    )
    assert hosting_start(app.engine, app.settings, start, clock) == 0
    assert _last(capsys.readouterr().out).startswith(f"hosting for {MUNICH} ({MUNICH_ASCII}) on starter")
    dispatch(app)
    [template] = books.sb.books.repeating.values()
    assert template.data["LineItems"][0]["Description"] == f"Hosting: starter plan for {MUNICH}"
    assert template.data["Reference"] == f"HOSTING {MUNICH}"

    clock.advance()
    assert (
        hosting_change(app.engine, app.settings, argparse.Namespace(domain=MUNICH_ASCII, plan="business"), clock) == 0
    )
    assert _last(capsys.readouterr().out).startswith(f"{MUNICH} ({MUNICH_ASCII}) moves to business")
    dispatch(app)
    live = [r.data for r in books.sb.books.repeating.values() if r.data["Status"] == "AUTHORISED"]
    assert [r["Reference"] for r in live] == [f"HOSTING {MUNICH}"]

    assert hosting_stop(app.engine, app.settings, argparse.Namespace(domain=MUNICH_ASCII), clock) == 0
    assert _last(capsys.readouterr().out).startswith(f"hosting for {MUNICH} ({MUNICH_ASCII}) stopped")
    assert hosting_stop(app.engine, app.settings, argparse.Namespace(domain=MUNICH_ASCII), clock) == 1
    assert _last(capsys.readouterr().err).endswith(f"{MUNICH} ({MUNICH_ASCII}) has no active hosting service")
    assert books.sb.violations == []


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (MUNICH_ASCII, MUNICH),
        ("xn--strae-oqa.de", "straße.de"),  # IDNA 2008: ß kept, not folded to ss
        ("xn--9dbq2a.xn--4dbrk0ce", "קום.ישראל"),
        ("shop.xn--zz.example", "shop.xn--zz.example"),  # not valid punycode: shown as it is
        ("example.co.nz", "example.co.nz"),
    ],
)
def test_domain_words_show_each_label_in_unicode(stored: str, read: str) -> None:
    assert domain_words(stored) == read
    assert domain_named(stored) == (read if read == stored else f"{read} ({stored})")


def test_order_words_name_the_domain_in_unicode() -> None:
    assert order_words(OrderKind.DOMAIN_RENEWAL, MUNICH_ASCII) == f"renewal of {MUNICH}"
    assert order_words(OrderKind.HOSTING, MUNICH_ASCII, "starter") == f"hosting (starter plan) for {MUNICH}"
