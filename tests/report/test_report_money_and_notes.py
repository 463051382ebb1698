"""The report's totals are per currency (never NZ$ and A$ added into one figure), and what the worker learnt about
a customer's Xero contact while acting (a name another contact holds, an archived contact restored) is told in
what the worker did, not only in the log."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine

from config.settings import Settings
from integrations.ports import ContactDraft
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from tests.outbox.conftest import Clock, make_app
from tests.report.seed import (
    NOW,
    add_decision,
    add_order,
    add_outbox,
    add_receipt,
    add_registrar_cost,
    add_review,
    add_to_do,
)
from tests.report.test_report import morning_report
from worker.commands.order_actions import orders_new
from worker.jobs.dispatch import dispatch
from worker.report.html import render_html
from worker.report.sending import build_report
from worker.report.text import render_text
from worker.store.review_tables import part_payments


def _figures(engine: Engine) -> dict[str, str]:
    return {f.label: f.value for f in morning_report(engine).summary}


def test_every_total_is_per_currency(engine: Engine) -> None:
    """A day with New Zealand and Australian dollars in every total: received, waiting, registrar costs, part-paid
    and margin each say each currency's sum, and no figure is the two added together."""
    earlier = NOW - timedelta(hours=3)
    with engine.begin() as conn:
        add_order(conn, "AU-1", domain="sydney.com.au", amount="60.00", currency="AUD", name="Sydney Pty",
                  contact_id="C-AU", status="paid")  # fmt: skip
        add_receipt(conn, "bank:au", amount="60.00", currency="AUD", payer_name="SYDNEY PTY", now=earlier)
        add_decision(conn, "bank:au", ["AU-1"], strategy="invoice_reference", now=earlier)
        add_receipt(conn, "bank:au-2", amount="20.00", currency="AUD", payer_name="SOMEONE")
        add_review(conn, "unmatched", "bank:au-2", "no open invoice for 20.00 AUD")
        add_order(conn, "AU-2", kind="domain_renewal", domain="perth.com.au", amount="50.00", currency="AUD",
                  name="Perth Pty", contact_id="C-AU2", status="part_paid")  # fmt: skip
        conn.execute(
            part_payments.insert().values(order_id="AU-2", invoice_id="inv-AU-2", receipt_id="bank:au-3",
                                          amount="30.00", currency="AUD", review_id=None, created_at=earlier)
        )  # fmt: skip
        add_outbox(conn, "payment:inv-AU-1:bank:au", "record_payment",
                   {"order_id": "AU-1", "invoice_id": "inv-AU-1", "amount": "60.00", "currency": "AUD"},
                   status="done", now=earlier)  # fmt: skip
        add_registrar_cost(conn, "register:sydney.com.au:AU-1", domain="sydney.com.au", cost="19.00",
                           currency="AUD", now=earlier)  # fmt: skip
    figures = _figures(engine)
    # NZD from the shared morning (45.00 matched + 35.00 by hand), AUD from above.
    assert figures["Received"] == "3 payments, A$60.00 and NZ$80.00 (2 matched automatically, 1 approved by hand)"
    assert figures["Waiting for you"] == "4 decisions about A$20.00 and NZ$152.50"
    assert figures["Part-paid"] == "2 orders, A$20.00 and NZ$8.00 still owed"
    assert figures["At the registrar"] == "1 domain to do by hand, NZ$21.50 upstream"
    # The registrar cost line above is for ORD-1 in the seed (its sale is NZ$): no margin across currencies.
    assert figures["Margin earned"] == "NZ$47.00 on 2 domains"
    assert not any(total in " ".join(figures.values()) for total in ("140.00", "172.50", "28.00"))


def test_registrar_costs_in_two_currencies_are_two_totals(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        add_order(conn, "AU-3", kind="domain_renewal", domain="hobart.com.au", amount="40.00", currency="AUD",
                  name="Hobart Pty", contact_id="C-AU3", status="paid")  # fmt: skip
        add_to_do(conn, "AU-3", domain="hobart.com.au", cost="19.00", currency="AUD")
    report = morning_report(sqlite_engine)
    figures = {f.label: f.value for f in report.summary}
    assert figures["At the registrar"] == "2 domains to do by hand, A$19.00 and NZ$21.50 upstream"
    registrar = report.section("registrar")
    assert registrar is not None and registrar.table is not None
    margins = {row.cells[0]: row.cells[6] for row in registrar.table.rows}
    assert margins == {"paid-up.nz": "NZ$23.50", "hobart.com.au": "A$21.00"}  # each in its own currency


def test_a_contact_created_under_another_name_is_told_in_the_report(engine: Engine, settings: Settings) -> None:
    """`orders new` for a "Kiwi Cafe" when another customer's contact holds that name in Xero: the invoice's
    contact is created under a distinguishing name, and the morning report says so beside the invoice raised."""
    clock = Clock(now=NOW - timedelta(hours=1))
    accounting = FakeAccounting(clock=clock)
    accounting.find_or_create_contact(ContactDraft(name="Kiwi Cafe", email="other@cafe.nz"), idempotency_key="c-0")
    app = make_app(engine, settings, clock, accounting, FakeRegistrar(clock=clock))
    rates = dataclasses.replace(settings.hosting, domain_rates={"nz": Decimal("35")})
    priced = dataclasses.replace(settings, hosting=rates)
    args = argparse.Namespace(domain="kiwicafe.nz", years=1, contact=None, email="owner@kiwicafe.nz",
                              name="Kiwi Cafe", price=None)  # fmt: skip
    assert orders_new(engine, priced, args, clock) == 0
    dispatch(app)
    [created] = [c for c in accounting.contacts.values() if c.email == "owner@kiwicafe.nz"]
    assert created.name != "Kiwi Cafe"
    report = build_report(settings, engine, NOW)
    done = report.section("done")
    assert done is not None and done.table is not None
    [row] = [r for r in done.table.rows if "kiwicafe.nz" in r.cells[1]]
    assert row.cells[0] == "Kiwi Cafe" and row.cells[1].endswith(" raised for kiwicafe.nz")
    note = (
        f"Xero contact for Kiwi Cafe: the name 'Kiwi Cafe' belongs to another contact in Xero, so this one was "
        f"created as {created.name!r}."
    )
    assert note in done.notes
    assert [line.note for line in report.done if line.note] == [note]
    assert note in " ".join(render_text(report).split())
    assert note.replace("'", "&#x27;") in render_html(report)


def test_a_day_without_contact_notes_says_nothing_of_contacts(sqlite_engine: Engine) -> None:
    report = morning_report(sqlite_engine)
    done = report.section("done")
    assert done is not None and not any("Xero contact" in note for note in done.notes)


def test_jobs_are_named_in_words_with_their_name_for_status_beside(sqlite_engine: Engine) -> None:
    """A late job in the alert and the health table reads "Reading Xero (sync_xero)", not the job's key alone; the
    value model keeps the key (the review page's health page and `status` go by it)."""
    report = morning_report(sqlite_engine)
    assert [a.job for a in report.alerts] == ["sync_xero"]
    text = render_text(report)
    assert "\n  Reading Xero (sync_xero): late, last success " in text
    assert "LATE   Reading Xero (sync_xero) " in text
    assert "<li><b>Reading Xero (sync_xero)</b>: late" in render_html(report)
