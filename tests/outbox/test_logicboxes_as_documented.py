"""LogicBoxesRegistrar against the emulator where the real API differs from a naive reading (issue 15, items 1-7):
registries that take no contacts, replies that mean "queued", order statuses, both error shapes, auto-renew,
premium names and the availability host. Sources are named in the emulator beside each behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
import requests
import responses

from config.registrar import read_registrar
from config.sources import Problems, Reader
from integrations.errors import PermanentError
from integrations.registrar.logicboxes import LogicBoxesRegistrar

from .logicboxes_emulator import BASE, CHECK, KEY, USER, LogicBoxesEmulator
from .test_registrar_contract import logicboxes


@pytest.fixture
def pair() -> Iterator[tuple[LogicBoxesRegistrar, LogicBoxesEmulator]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield logicboxes(mock, retry_attempts=3)


def _sent(emu: LogicBoxesEmulator, path: str) -> dict[str, list[str]]:
    return [r[2] for r in emu.requests if r[1] == path][-1]


# ---- 1. registries that take no admin/tech/billing contact ------------------------------------------------------


@pytest.mark.parametrize("domain", ["new.nz", "shop.co.nz", "shop.org.nz", "brand.uk", "firm.co.uk", "eu-firm.eu"])
def test_nz_uk_eu_registrations_send_minus_one_contacts(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator], domain: str
) -> None:
    """Admin, tech and billing are -1 for these registries; the registrant is the customer's contact."""
    adapter, emu = pair
    result = adapter.register(domain, years=1, contact_ref="", idempotency_key="k")
    assert result.pending == "" and result.expires == date(2027, 11, 26)
    sent = _sent(emu, "domains/register.json")
    assert sent["reg-contact-id"] == ["888"]
    assert (sent["admin-contact-id"], sent["tech-contact-id"], sent["billing-contact-id"]) == (["-1"],) * 3


def test_nz_and_co_nz_carry_the_registry_terms(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """.nz and .co.nz send attr tnc=y; a .com sends no attribute and keeps the contact in all four roles."""
    adapter, emu = pair
    adapter.register("kiwi.co.nz", years=1, contact_ref="", idempotency_key="k1")
    sent = _sent(emu, "domains/register.json")
    assert (sent["attr-name1"], sent["attr-value1"]) == (["tnc"], ["y"])
    adapter.register("plain.com", years=1, contact_ref="1234", idempotency_key="k2")
    sent = _sent(emu, "domains/register.json")
    assert "attr-name1" not in sent
    assert {sent[f"{r}-contact-id"][0] for r in ("reg", "admin", "tech", "billing")} == {"1234"}


def test_emulator_refuses_an_nz_registration_with_the_registrant_as_admin() -> None:
    """The emulator holds the adapter to the rule: the request the adapter used to send is refused."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        LogicBoxesEmulator(mock, clock=lambda: datetime(2026, 11, 26))
        common = {
            "auth-userid": USER,
            "api-key": KEY,
            "years": "1",
            "customer-id": "777",
            "invoice-option": "NoInvoice",
        }
        contacts = {f"{r}-contact-id": "888" for r in ("reg", "admin", "tech", "billing")}
        reply = requests.post(
            f"{BASE}/domains/register.json",
            data={**common, **contacts, "domain-name": "old-way.nz", "auto-renew": "false"},
            timeout=5,
        )
    assert reply.status_code == 500 and "admincontactid" in reply.json()["message"]


# ---- 2. replies that mean "queued", and confirming from the registrar's record -----------------------------------


def test_renewal_queued_for_funds_is_pending_and_never_sent_twice(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    """A reply with an `error` key placed an order that waits for funds: the result is pending at the old expiry;
    asking again sends nothing (a second order would run too); with funds it runs once."""
    adapter, emu = pair
    emu.add_ours("queued.nz", expires=date(2026, 12, 31))
    emu.short_of_funds()
    first = adapter.renew("queued.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
    assert first.pending and "Insufficient funds" in first.pending and first.expires == date(2026, 12, 31)
    again = adapter.renew("queued.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
    assert again.pending and emu.calls("domains/renew.json") == 1
    emu.add_funds()
    done = adapter.renew("queued.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
    assert done.pending == "" and done.expires == date(2027, 12, 31)
    assert emu.applied_count("renew", "queued.nz") == 1 and emu.calls("domains/renew.json") == 1


def test_emulator_charges_a_second_queued_renewal() -> None:
    """Without the adapter's guard the registrar queues a second renewal and runs both: renewed (and charged)
    twice. This is what the guard above prevents."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        emu = LogicBoxesEmulator(mock, clock=lambda: datetime(2026, 11, 26))
        emu.add_ours("twice.nz", expires=date(2026, 12, 31), order_id="77")
        emu.short_of_funds()
        epoch = str(emu.domains["twice.nz"]["endtime"])
        for _ in range(2):
            body = {"auth-userid": USER, "api-key": KEY, "order-id": "77", "years": "1", "exp-date": epoch}
            body |= {"invoice-option": "NoInvoice", "auto-renew": "false"}
            assert "error" in requests.post(f"{BASE}/domains/renew.json", data=body, timeout=5).json()
        emu.add_funds()
    assert emu.applied_count("renew", "twice.nz") == 2


@pytest.mark.parametrize(
    "reply",
    [
        '{"status": "Failed", "actionstatusdesc": "Order is locked"}',
        '{"entityid": "1", "actiontype": "RenewDomain", "actionstatus": "Failed", '
        '"actionstatusdesc": "Order is locked"}',
    ],
)
def test_failed_renewal_is_refused(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator], reply: str) -> None:
    """{"status": "Failed"} or actionstatus Failed is a refusal with their words, not a renewal."""
    adapter, emu = pair
    emu.add_ours("locked.nz", expires=date(2026, 12, 31))
    emu.scripted["domains/renew.json"] = [(200, {"Content-Type": "application/json"}, reply)]
    with pytest.raises(PermanentError, match="Order is locked"):
        adapter.renew("locked.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")


def test_success_reply_without_a_moved_expiry_is_not_done(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    """A reply without actionstatus that changed nothing at the registrar is pending, not "renewed"."""
    adapter, emu = pair
    emu.add_ours("quiet.nz", expires=date(2026, 12, 31))
    emu.scripted["domains/renew.json"] = [(200, {"Content-Type": "application/json"}, '{"entityid": "1"}')]
    result = adapter.renew("quiet.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
    assert result.pending and "expected 2027-12-31" in result.pending


# ---- 3. order statuses ------------------------------------------------------------------------------------------


def test_inactive_registration_is_pending_until_active(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """An order InActive at the registry is ours but not done."""
    adapter, emu = pair
    emu.hold_registrations()
    result = adapter.register("slow.nz", years=1, contact_ref="", idempotency_key="k")
    assert "InActive" in result.pending
    details = adapter.details("slow.nz")
    assert details.ours and not details.active
    emu.activate("slow.nz")
    assert adapter.details("slow.nz").active


@pytest.mark.parametrize("status", ["Deleted", "Archived"])
def test_deleted_or_archived_order_is_not_ours_and_the_name_can_be_registered(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator], status: str
) -> None:
    """An order that is over blocks nothing: not ours, available, and a new registration goes through."""
    adapter, emu = pair
    emu.add_ours("lapsed.nz", expires=date(2025, 1, 1), status=status)
    assert adapter.details("lapsed.nz").ours is False
    assert adapter.is_available("lapsed.nz") is True
    result = adapter.register("lapsed.nz", years=1, contact_ref="", idempotency_key="k")
    assert result.pending == "" and result.expires == date(2027, 11, 26)


def test_pending_delete_restorable_is_not_renewed(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """A domain in redemption needs a restore (another price): refused, nothing sent."""
    adapter, emu = pair
    emu.add_ours("redeem.nz", expires=date(2026, 12, 31), status="Pending Delete Restorable")
    with pytest.raises(PermanentError, match="restore"):
        adapter.renew("redeem.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="r")
    assert emu.calls("domains/renew.json") == 0


# ---- 4. both error shapes ---------------------------------------------------------------------------------------


def test_lower_case_error_shape_keeps_its_words(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """{"status":"error","error":...}: "not in this account" still answers not ours; a refusal carries the text."""
    adapter, emu = pair
    emu.error_style = "error"
    assert adapter.details("stranger.nz").ours is False
    assert adapter.order_id("stranger.nz") is None
    emu.add_taken("busy.nz")
    with pytest.raises(PermanentError, match="is In use"):
        adapter.register("busy.nz", years=1, contact_ref="", idempotency_key="k")


# ---- 5. auto-renew ----------------------------------------------------------------------------------------------


def test_registration_and_renewal_turn_the_registrars_auto_renew_off(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    """auto-renew=false on both calls: only the worker renews, from paid invoices."""
    adapter, emu = pair
    adapter.register("own.nz", years=1, contact_ref="", idempotency_key="k")
    adapter.renew("own.nz", years=1, current_expiry=date(2027, 11, 26), idempotency_key="r")
    assert _sent(emu, "domains/register.json")["auto-renew"] == ["false"]
    assert _sent(emu, "domains/renew.json")["auto-renew"] == ["false"]


# ---- 6. premium names -------------------------------------------------------------------------------------------


def test_premium_name_is_reported_with_its_price_not_available(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    """`available` with a costHash is a premium name: its price is known, and it is not a normal registration."""
    adapter, emu = pair
    emu.add_premium("gold.nz", "2500.00")
    found = adapter.availability("gold.nz")
    assert found.available and found.premium
    assert found.premium_price is not None and (found.premium_price.amount, found.premium_price.currency) == (
        Decimal("2500.00"),
        "USD",
    )
    assert adapter.is_available("gold.nz") is False
    with pytest.raises(PermanentError, match="premium"):
        adapter.register("gold.nz", years=1, contact_ref="", idempotency_key="k")


# ---- 7. the availability host -----------------------------------------------------------------------------------


def test_availability_goes_to_its_own_host(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """available.json is asked on the check host, everything else on the API host."""
    adapter, emu = pair
    assert adapter.check_url == CHECK
    assert adapter.is_available("free.nz") is True
    assert [r[1] for r in emu.requests] == ["domains/available.json"]


def test_check_url_setting_defaults_to_the_documented_host() -> None:
    """[registrar] check_url: https://domaincheck.httpapi.com/api unless set."""
    problems = Problems()
    settings = read_registrar(Reader("registrar", {}, {}, problems, "rw.toml"))
    assert settings.check_url == "https://domaincheck.httpapi.com/api"
    table = {"check_url": "https://test.httpapi.com/api/"}
    assert read_registrar(Reader("registrar", table, {}, problems, "rw.toml")).check_url == BASE
