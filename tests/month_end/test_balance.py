"""The prepaid registrar balance: read from LogicBoxes as KB 1110 documents it (through the emulator on
`responses`), kept by `check_registrar_balance`, and weighed against what is queued and due."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from sqlalchemy import select

from integrations.errors import PermanentError
from integrations.ports import AccountBalance
from integrations.registrar.fake import FakeRegistrar
from integrations.registrar.logicboxes import LogicBoxesRegistrar
from integrations.registrar.manual import ManualRegistrar
from integrations.registrar.terms import UpstreamPrices
from integrations.xero.fake import FakeAccounting
from rules.money import Money
from worker.app import App
from worker.balance import check_registrar_balance, registrar_outlook
from worker.domains import hold_domain
from worker.store.month_end_tables import registrar_balances

from ..outbox.conftest import Clock, new_order, pay
from ..outbox.logicboxes_emulator import LogicBoxesEmulator
from ..outbox.test_registrar_contract import logicboxes
from .conftest import with_manual_registrar


def nzd(amount: str) -> Money:
    return Money.of(amount, "NZD")


@pytest.fixture
def lb() -> Iterator[tuple[LogicBoxesRegistrar, LogicBoxesEmulator]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield logicboxes(mock, retry_attempts=2)


def test_logicboxes_balance_as_documented(lb: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    adapter, emu = lb
    emu.set_balance("120.50", locked="20.00", currency="NZD")
    reading = adapter.balance()
    assert reading == AccountBalance(balance=nzd("120.5"), locked=nzd("20.0"))
    assert reading.available == nzd("100.50")
    method, path, params = emu.requests[-1]
    assert (method, path) == ("GET", "billing/reseller-balance.json")
    assert params["reseller-id"] == params["auth-userid"] == ["4242"]


def test_logicboxes_balance_given_as_strings_is_read_exactly(
    lb: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    adapter, emu = lb
    body = {"sellingcurrencysymbol": "nzd", "sellingcurrencybalance": "1000.10", "sellingcurrencylockedbalance": ""}
    emu.scripted["billing/reseller-balance.json"] = [(200, {"Content-Type": "application/json"}, json.dumps(body))]
    assert adapter.balance() == AccountBalance(balance=nzd("1000.10"), locked=nzd("0"))


def test_logicboxes_balance_refusal_is_permanent_with_their_words(
    lb: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    adapter, _ = lb
    adapter._auth["auth-userid"] = "9999"
    with pytest.raises(PermanentError, match="Invalid auth-userid or api-key"):
        adapter.balance()


def test_the_fake_and_the_manual_registrar() -> None:
    fake = FakeRegistrar()
    assert fake.balance() is None
    fake.set_balance("50.00", locked="5.00")
    assert fake.balance() == AccountBalance(balance=nzd("50.00"), locked=nzd("5.00"))
    manual = ManualRegistrar(prices=UpstreamPrices(currency="NZD"), book=lambda _d: None)
    assert manual.balance() is None


@pytest.fixture
def funded(app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock) -> App:
    """A registration paid and queued (not yet dispatched) and a domain expiring in 10 days."""
    with app.engine.begin() as conn:
        hold_domain(conn, domain="soon.co.nz", expires=clock().date() + timedelta(days=10), now=clock())
        hold_domain(conn, domain="later.co.nz", expires=clock().date() + timedelta(days=90), now=clock())
    pay(app, accounting, new_order("ORD-0100", domain="queued.co.nz"))
    return app


def test_a_balance_short_of_what_is_queued_and_due_is_warned(funded: App, registrar: FakeRegistrar) -> None:
    registrar.set_balance("40.00", locked="0.00")
    summary = check_registrar_balance(funded)
    assert summary["short"] == 1
    with funded.engine.connect() as conn:
        outlook = registrar_outlook(conn, funded.settings, now=funded.clock())
    assert outlook is not None
    assert [c.domain for c in outlook.queued] == ["queued.co.nz"]
    assert [(c.domain, c.due) for c in outlook.due] == [("soon.co.nz", funded.clock().date() + timedelta(days=10))]
    assert outlook.committed == nzd("43.00")  # the settings' price table: 21.50 each
    assert outlook.short and outlook.left == nzd("-3.00")
    assert "3.00 NZD short" in outlook.warning


def test_a_balance_that_covers_them_is_quiet_and_every_reading_is_kept(
    funded: App, registrar: FakeRegistrar, clock: Clock
) -> None:
    registrar.set_balance("100.00")
    check_registrar_balance(funded)
    clock.advance(hours=1)
    registrar.set_balance("90.00")
    assert check_registrar_balance(funded)["short"] == 0
    with funded.engine.connect() as conn:
        assert [Decimal(a) for a in conn.execute(select(registrar_balances.c.available)).scalars()] == [
            Decimal("100.00"),
            Decimal("90.00"),
        ]
        outlook = registrar_outlook(conn, funded.settings, now=funded.clock())
    assert outlook is not None and outlook.available == nzd("90.00") and outlook.warning == ""


def test_without_a_prepaid_account_nothing_is_read(app: App, accounting: FakeAccounting, clock: Clock) -> None:
    manual = with_manual_registrar(app, accounting, clock)
    assert check_registrar_balance(manual) == {"skipped": "no prepaid registrar account"}
    with app.engine.connect() as conn:
        assert registrar_outlook(conn, app.settings, now=clock()) is None
