"""The manual registrar's to-do flow and the orders/hosting commands."""

from __future__ import annotations

import argparse
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from config.settings import Settings
from integrations.errors import PermanentError
from integrations.ports import ContactDraft
from integrations.registrar.fake import FakeRegistrar
from integrations.registrar.manual import ManualRegistrar
from integrations.registrar.terms import UpstreamPrices
from integrations.xero.fake import FakeAccounting
from rules.model import OrderKind
from worker.app import App
from worker.cli import build_parser
from worker.commands.order_actions import hosting_change, hosting_start, hosting_stop, orders_done, orders_list
from worker.domains import domain_book
from worker.jobs.dispatch import dispatch
from worker.store.outbox_tables import domains, hosting_services, registrar_actions

from .conftest import Clock, make_app, new_order, order_status, pay, payments_for, review


@pytest.fixture
def manual_app(app: App, accounting: FakeAccounting, clock: Clock) -> App:
    prices = UpstreamPrices(currency="NZD", register={"co.nz": Decimal("18.00")}, renew={})
    manual = ManualRegistrar(prices=prices, book=domain_book(app.engine))
    return make_app(app.engine, app.settings, clock, accounting, manual)


def _args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**kw)


def test_manual_registration_waits_for_orders_done(
    manual_app: App, accounting: FakeAccounting, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """The payment is recorded, a to-do names domain, term and customer; `orders done` closes it and the order."""
    order = new_order("ORD-1042", years=2)
    pay(manual_app, accounting, order)
    dispatch(manual_app)
    assert len(payments_for(accounting, order.invoice_id)) == 1
    [todo] = review(manual_app, "to_do")
    assert todo.subject == "ORD-1042"
    assert "Register example.co.nz for 2 year(s) for Aroha Ltd" in todo.reason and "36.00 NZD" in todo.reason
    assert "reseller-worker orders done ORD-1042 --ref" in todo.suggested_action
    assert order_status(manual_app, "ORD-1042") == "paid"

    orders_list(manual_app.engine, manual_app.settings, _args(status="paid", limit=10), clock)
    assert "to-do: waiting for 'orders done'" in capsys.readouterr().out

    code = orders_done(
        manual_app.engine,
        manual_app.settings,
        _args(order="ORD-1042", ref="RC-998877", expires=None, cost="17.50"),
        clock,
    )
    assert code == 0
    dispatch(manual_app)  # the history note
    assert order_status(manual_app, "ORD-1042") == "done"
    assert review(manual_app, "to_do")[0].status == "done"
    assert any("by hand (registrar reference RC-998877)" in n for n in accounting.history[order.invoice_id])
    with manual_app.engine.connect() as conn:
        action = conn.execute(select(registrar_actions)).one()
        held = conn.execute(select(domains)).one()
    assert (action.status, action.cost, action.reference) == ("done", "17.50", "RC-998877")
    assert held.expires == date(2028, 11, 26)


def test_orders_done_without_a_to_do_says_so(manual_app: App, clock: Clock, capsys: pytest.CaptureFixture[str]) -> None:
    """Closing an order that waits for nothing is refused with a clear message."""
    code = orders_done(
        manual_app.engine, manual_app.settings, _args(order="ORD-404", ref="x", expires=None, cost=None), clock
    )
    assert code == 1 and "no registration or renewal of ORD-404" in capsys.readouterr().err


def test_manual_renewal_starts_from_the_known_expiry(manual_app: App, accounting: FakeAccounting, clock: Clock) -> None:
    """For a renewal the to-do names the expiry it starts from; `orders done` adds the term to it."""
    from worker.domains import hold_domain

    with manual_app.engine.begin() as conn:
        hold_domain(conn, domain="kept.co.nz", expires=date(2026, 12, 24), now=clock())
    pay(manual_app, accounting, new_order("ORD-1043", kind=OrderKind.DOMAIN_RENEWAL, domain="kept.co.nz"))
    dispatch(manual_app)
    [todo] = review(manual_app, "to_do")
    assert "Renew kept.co.nz for 1 year(s) from its expiry 2026-12-24" in todo.reason
    orders_done(
        manual_app.engine, manual_app.settings, _args(order="ORD-1043", ref="R1", expires=None, cost=None), clock
    )
    with manual_app.engine.connect() as conn:
        assert conn.execute(select(domains.c.expires)).scalar_one() == date(2027, 12, 24)


def test_hosting_start_change_stop(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """start creates a monthly repeating invoice at the plan's rate; change replaces it (Xero cannot edit one: the
    old is deleted, a new one at the new rate starts at its next billing date); stop ends the current one."""
    accounting.add_contact("c-9", ContactDraft(name="K"))
    start = _args(domain="site.nz", plan="starter", contact="c-9", start=None, without_first_payment=True, reason="")
    assert hosting_start(app.engine, settings, start, clock) == 0
    assert hosting_start(app.engine, settings, start, clock) == 1
    dispatch(app)
    [(rid, rep)] = accounting.repeating.items()
    assert rep.draft.lines[0].unit_amount.amount == Decimal("25.00") and rep.draft.period_months == 1
    assert hosting_change(app.engine, settings, _args(domain="site.nz", plan="business"), clock) == 0
    dispatch(app)
    assert accounting.repeating[rid].status == "DELETED"
    [(new_id, new)] = [(k, r) for k, r in accounting.repeating.items() if r.status == "AUTHORISED"]
    assert new.draft.lines[0].unit_amount.amount == Decimal("45.00") and new.draft.start == rep.draft.start
    assert hosting_stop(app.engine, settings, _args(domain="site.nz"), clock) == 0
    dispatch(app)
    assert accounting.repeating[new_id].status == "DELETED"
    assert accounting.calls["create_repeating_invoice"] == 2
    with app.engine.connect() as conn:
        assert conn.execute(select(hosting_services.c.status)).scalar_one() == "stopped"


def test_unknown_plan_is_refused(
    app: App, settings: Settings, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan that has no rate is named in the error, nothing is queued."""
    assert hosting_start(app.engine, settings, _args(domain="s.nz", plan="gold", contact="c", start=None), clock) == 2
    said = capsys.readouterr()
    assert "starter" in said.err and said.out == ""  # a refusal is no result


def test_paid_setup_invoice_starts_hosting(app: App, accounting: FakeAccounting, registrar: FakeRegistrar) -> None:
    """A paid setup order with a plan starts the hosting service and its repeating invoice."""
    order = new_order("ORD-7001", kind=OrderKind.SETUP, domain="shop.nz", plan="business", amount="99.00")
    pay(app, accounting, order)
    dispatch(app)
    [rep] = accounting.repeating.values()
    assert rep.draft.lines[0].unit_amount.amount == Decimal("45.00") and "shop.nz" in rep.draft.lines[0].description
    assert order_status(app, "ORD-7001") == "done"


def test_every_new_command_has_help() -> None:
    """orders list/done/retry and hosting start/change/stop parse and describe themselves."""
    parser = build_parser()
    for group in ("orders", "hosting"):
        for action in (
            parser._subparsers._group_actions[0].choices[group]._subparsers._group_actions[0].choices.values()
        ):  # type: ignore[union-attr]
            assert action.description and action.format_help()
    for argv in (
        ["orders", "list"],
        ["orders", "done", "ORD-1", "--ref", "x"],
        ["orders", "retry", "register:a.nz:ORD-1"],
        ["hosting", "start", "--domain", "a.nz", "--plan", "starter", "--contact", str(uuid.uuid4())],
        ["hosting", "change", "--domain", "a.nz", "--plan", "business"],
        ["hosting", "stop", "--domain", "a.nz"],
    ):
        assert callable(parser.parse_args(argv).handler)
    with pytest.raises(SystemExit):
        parser.parse_args(["orders", "done", "--help"])


def test_failed_registration_can_be_retried_after_fixing_the_cause(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """Price unknown -> failed into review; after the price is configured, `orders retry` runs it once."""
    from worker.commands.order_actions import orders_retry

    pay(app, accounting, new_order("ORD-7101", domain="shop.io"))
    dispatch(app)
    [item] = review(app, "failed_action")
    assert orders_retry(app.engine, app.settings, _args(key=item.subject), clock) == 0
    assert review(app, "failed_action")[0].status == "done"
    registrar.prices = UpstreamPrices(currency="NZD", register={"io": Decimal("40.00")})
    dispatch(app)
    assert registrar.applied("register", "shop.io") == 1
    assert order_status(app, "ORD-7101") == "done"
    assert orders_retry(app.engine, app.settings, _args(key=item.subject), clock) == 1


def test_second_failure_after_retry_reopens_its_review_item(app: App, accounting: FakeAccounting, clock: Clock) -> None:
    """A retried action that fails again is back in front of a person, not silently failed."""
    from worker.commands.order_actions import orders_retry

    pay(app, accounting, new_order("ORD-7102", domain="again.io"))
    dispatch(app)
    key = review(app, "failed_action")[0].subject
    orders_retry(app.engine, app.settings, _args(key=key), clock)
    dispatch(app)
    [item] = review(app, "failed_action")
    assert item.status == "open" and "register_prices" in item.suggested_action


def test_failed_registration_done_by_hand_closes_the_order(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """A registration that failed into review and was bought by hand is closed with `orders done`."""
    registrar.fail_next(
        "register",
        PermanentError("Invalid contact", system="registrar"),
    )
    pay(app, accounting, new_order("ORD-7103", domain="byhand.nz"))
    dispatch(app)
    assert order_status(app, "ORD-7103") == "paid"
    assert (
        orders_done(app.engine, app.settings, _args(order="ORD-7103", ref="RC-1", expires=None, cost=None), clock) == 0
    )
    dispatch(app)  # the history note
    assert order_status(app, "ORD-7103") == "done"
    assert review(app, "failed_action")[0].status == "done"
    assert any("by hand (registrar reference RC-1)" in n for n in accounting.history["inv-ORD-7103"])


def test_manual_renewal_with_unknown_expiry_needs_the_new_expiry(
    manual_app: App, accounting: FakeAccounting, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the worker never knew the expiry, `orders done` asks for --expires instead of guessing."""
    pay(manual_app, accounting, new_order("ORD-1044", kind=OrderKind.DOMAIN_RENEWAL, domain="unknown.co.nz"))
    dispatch(manual_app)
    args = _args(order="ORD-1044", ref="R9", expires=None, cost=None)
    assert orders_done(manual_app.engine, manual_app.settings, args, clock) == 1
    assert "give --expires" in capsys.readouterr().err
    assert order_status(manual_app, "ORD-1044") == "paid"
    args = _args(order="ORD-1044", ref="R9", expires=date(2027, 8, 1), cost=None)
    assert orders_done(manual_app.engine, manual_app.settings, args, clock) == 0
    with manual_app.engine.connect() as conn:
        assert conn.execute(select(domains.c.expires)).scalar_one() == date(2027, 8, 1)


def test_orders_new_raises_one_invoice_that_becomes_a_registration_order(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """`orders new` queues one invoice while the last is open; dispatch finds or creates the contact by e-mail and
    raises the invoice with the registration item code and a line the sync reads the domain from."""
    from dataclasses import replace

    from worker.commands.order_actions import orders_new

    settings = replace(settings, hosting=replace(settings.hosting, domain_rates={"co.nz": Decimal("35.00")}))
    args = _args(
        domain="Kiwi-Cafe.co.nz", years=2, contact=None, email="owner@kiwicafe.nz", name="Kiwi Cafe", price=None
    )
    assert orders_new(app.engine, settings, args, clock) == 0
    assert orders_new(app.engine, settings, args, clock) == 1  # the same order again: nothing more queued
    dispatch(app)
    dispatch(app)
    [invoice] = accounting.invoices.values()
    [line] = invoice.lines
    assert line.unit_amount.amount == Decimal("70.00") and line.item_code == "DOM-REG"
    assert "kiwi-cafe.co.nz" in line.description
    assert [c.email for c in accounting.contacts.values()] == ["owner@kiwicafe.nz"]
    assert accounting.calls["create_invoice"] == 1
    # The Xero adapter reads the order's domain back out of this line when the invoice is synced.
    from integrations.xero.mapping import domain_in

    assert domain_in(line.description) == "kiwi-cafe.co.nz"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"domain": "not a domain"}, "is not a domain name"),
        ({"contact": None, "email": "a@b.nz", "name": None}, "--email needs --name"),
        ({"price": "abc"}, "is not an amount"),
        ({"price": "35.001"}, "more than two decimal places"),
        ({"domain": "kiwi.io", "price": None}, ".io domains are not sold here"),
        ({"domain": "kiwi.zz"}, ".zz domains are not sold here"),
        ({"contact": None, "email": "notanemail", "name": "N"}, "is not an e-mail address"),
        ({"contact": None, "email": "a@b.nz", "name": "N" * 296}, "Xero takes at most 255"),
    ],
)
def test_orders_new_refuses_what_it_cannot_invoice(
    app: App,
    settings: Settings,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, object],
    message: str,
) -> None:
    """A bad domain, a contact that could not be created, a bad price or no known price: exit 2, nothing queued."""
    from dataclasses import replace

    from worker.commands.arguments import InputRefused
    from worker.commands.order_actions import orders_new
    from worker.store.tables import outbox

    settings = replace(settings, hosting=replace(settings.hosting, domain_rates={"nz": Decimal("30.00")}))
    args = {"domain": "kiwi.nz", "years": 1, "contact": "c-1", "email": None, "name": None, "price": "30.00", **changes}
    try:
        assert orders_new(app.engine, settings, _args(**args), clock) == 2
        said = capsys.readouterr().err
    except InputRefused as refused:  # told on stderr by the command line's error boundary, exit 2
        said = str(refused)
    assert message in said
    with app.engine.connect() as conn:
        assert conn.execute(select(outbox)).all() == []
