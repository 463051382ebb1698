"""One contract for the Registrar port, run against FakeRegistrar and against LogicBoxesRegistrar talking to the
documented LogicBoxes HTTP API (responses-backed emulator): no registration or renewal ever happens twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import responses

from integrations.errors import PermanentError, TransientError
from integrations.ports import Registrar
from integrations.registrar.fake import FakeRegistrar
from integrations.registrar.logicboxes import LogicBoxesRegistrar
from integrations.registrar.terms import UpstreamPrices

from .logicboxes_emulator import BASE, KEY, USER, LogicBoxesEmulator

TODAY = date(2026, 11, 26)
PRICES = UpstreamPrices(currency="NZD", register={"nz": Decimal("15.00")}, renew={"nz": Decimal("15.00")})


def clock() -> datetime:
    return datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@dataclass
class Remote:
    registrar: Registrar
    add_ours: Callable[..., None]
    add_taken: Callable[[str], None]
    applied: Callable[[str, str], int]
    lose_reply: Callable[[str, str], None]
    short_of_funds: Callable[[], None]
    add_funds: Callable[[], None]
    add_premium: Callable[[str, str], None]


def logicboxes(mock: responses.RequestsMock, **kwargs: object) -> tuple[LogicBoxesRegistrar, LogicBoxesEmulator]:
    emulator = LogicBoxesEmulator(mock, clock=clock)
    adapter = LogicBoxesRegistrar(
        api_url=BASE,
        auth_userid=USER,
        api_key=KEY,
        customer_id="777",
        contact_id="888",
        nameservers=("ns1.host.nz", "ns2.host.nz"),
        prices=PRICES,
        timeout_seconds=5,
        retry_initial_wait=0.001,
        retry_max_wait=0.01,
        **kwargs,  # type: ignore[arg-type]
    )
    return adapter, emulator


@pytest.fixture(params=["fake", "logicboxes"])
def remote(request: pytest.FixtureRequest) -> Iterator[Remote]:
    if request.param == "fake":
        fake = FakeRegistrar(clock=clock, prices=PRICES)
        yield Remote(
            fake,
            fake.add_ours,
            fake.add_taken,
            fake.applied,
            fake.time_out_after_success,
            fake.short_of_funds,
            fake.add_funds,
            fake.add_premium,
        )
        return
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        adapter, emu = logicboxes(mock, retry_attempts=1)
        yield Remote(
            adapter,
            emu.add_ours,
            emu.add_taken,
            emu.applied_count,
            emu.time_out_after_success,
            emu.short_of_funds,
            emu.add_funds,
            emu.add_premium,
        )


def test_availability(remote: Remote) -> None:
    """A free name is available; one registered elsewhere or by us is not."""
    remote.add_taken("taken.nz")
    remote.add_ours("mine.nz", expires=date(2027, 1, 1))
    r = remote.registrar
    assert (r.is_available("free.nz"), r.is_available("taken.nz"), r.is_available("mine.nz")) == (True, False, False)


def test_register_then_details(remote: Remote) -> None:
    """A registration makes the domain ours until today plus the term, with an order id and a cost."""
    result = remote.registrar.register("new.nz", years=2, contact_ref="", idempotency_key="register:new.nz:O1")
    assert result.expires == date(2028, 11, 26) and result.registrar_order_id
    assert result.cost is not None and result.cost.amount == Decimal("30")
    details = remote.registrar.details("new.nz")
    assert (details.ours, details.expires, details.registrar_order_id) == (
        True,
        date(2028, 11, 26),
        result.registrar_order_id,
    )


def test_second_registration_never_buys_twice(remote: Remote) -> None:
    """Registering again is refused or recognised as done; either way it happens once."""
    remote.registrar.register("twice.nz", years=1, contact_ref="", idempotency_key="k")
    try:
        again = remote.registrar.register("twice.nz", years=1, contact_ref="", idempotency_key="k")
        assert again.expires == date(2027, 11, 26)
    except PermanentError:
        pass
    assert remote.applied("register", "twice.nz") == 1


def test_unknown_domain_is_not_ours(remote: Remote) -> None:
    """Details of a domain outside the account say so instead of failing."""
    details = remote.registrar.details("elsewhere.nz")
    assert details.ours is False and details.expires is None


def test_renew_from_current_expiry_and_replay_is_harmless(remote: Remote) -> None:
    """A renewal moves the expiry by the term; replaying it with the old expiry renews nothing more."""
    remote.add_ours("old.nz", expires=date(2026, 12, 31))
    done = remote.registrar.renew("old.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
    assert done.expires == date(2027, 12, 31)
    try:
        replay = remote.registrar.renew("old.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
        assert replay.expires == date(2027, 12, 31)
    except PermanentError:
        pass
    assert remote.applied("renew", "old.nz") == 1
    assert remote.registrar.details("old.nz").expires == date(2027, 12, 31)


def test_renew_with_a_later_expected_expiry_is_refused(remote: Remote) -> None:
    """Asking to renew from an expiry the domain has not reached yet is an error, not a renewal."""
    remote.add_ours("odd.nz", expires=date(2026, 12, 31))
    with pytest.raises(PermanentError):
        remote.registrar.renew("odd.nz", years=1, current_expiry=date(2027, 6, 30), idempotency_key="r")
    assert remote.applied("renew", "odd.nz") == 0


def test_lost_reply_leaves_the_domain_registered_once(remote: Remote) -> None:
    """The registrar applies the registration and the reply is lost: a transient error, and details show it."""
    remote.lose_reply("register", "lost.nz")
    with pytest.raises(TransientError):
        remote.registrar.register("lost.nz", years=1, contact_ref="", idempotency_key="k")
    assert remote.registrar.details("lost.nz").ours
    assert remote.applied("register", "lost.nz") == 1


def test_price_comes_from_the_upstream_price_list(remote: Remote) -> None:
    """The cost of an action is known for configured TLDs (longest suffix) and unknown otherwise."""
    price = remote.registrar.price("shop.co.nz", action="renew", years=3)
    assert price is not None and price.amount == Decimal("45.00") and price.currency == "NZD"
    assert remote.registrar.price("shop.io", action="register", years=1) is None


def test_queued_renewal_is_pending_and_runs_once(remote: Remote) -> None:
    """A renewal the registrar queues for funds comes back pending at the old expiry; asking again queues nothing
    more; once funded it has happened exactly once."""
    remote.add_ours("wait.nz", expires=date(2026, 12, 31))
    remote.short_of_funds()
    first = remote.registrar.renew("wait.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
    again = remote.registrar.renew("wait.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
    assert first.pending and again.pending
    assert remote.registrar.details("wait.nz").pending_action == "RenewDomain"
    remote.add_funds()
    details = remote.registrar.details("wait.nz")
    assert (details.expires, details.active, details.pending_action) == (date(2027, 12, 31), True, "")
    assert remote.applied("renew", "wait.nz") == 1


def test_premium_name_is_flagged(remote: Remote) -> None:
    """A premium name is available only at its own price, which the availability answer carries."""
    remote.add_premium("gold.nz", "2500.00")
    found = remote.registrar.availability("gold.nz")
    assert found.premium and found.premium_price is not None and found.premium_price.amount == Decimal("2500.00")
    assert remote.registrar.is_available("gold.nz") is False
    assert remote.registrar.availability("plain.nz").premium is False
