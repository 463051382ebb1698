"""LogicBoxesRegistrar against the documented request and response formats: parameters sent, error bodies
translated to integrations.errors, the one retry policy reconciling before acting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import requests
import responses

from integrations.errors import PermanentError, RateLimited, TransientError
from integrations.registrar.logicboxes import LogicBoxesRegistrar

from .logicboxes_emulator import LogicBoxesEmulator
from .test_registrar_contract import logicboxes


@pytest.fixture
def pair() -> Iterator[tuple[LogicBoxesRegistrar, LogicBoxesEmulator]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield logicboxes(mock, retry_attempts=3)


def test_register_sends_credentials_contacts_nameservers_and_no_invoice(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    """register.json gets auth-userid, api-key, customer and contact ids, every ns, and NoInvoice."""
    adapter, emu = pair
    adapter.register("new.nz", years=1, contact_ref="", idempotency_key="k")
    method, _path, params = next(r for r in emu.requests if r[1] == "domains/register.json")
    assert method == "POST"
    assert params["auth-userid"] == ["4242"] and params["api-key"] == ["s3cret-key"]
    assert params["ns"] == ["ns1.host.nz", "ns2.host.nz"]
    assert params["customer-id"] == ["777"] and params["reg-contact-id"] == ["888"]
    assert params["invoice-option"] == ["NoInvoice"]
    # Reconcile first: the details lookup precedes the purchase.
    paths = [r[1] for r in emu.requests]
    assert paths.index("domains/details-by-name.json") < paths.index("domains/register.json")


def test_renew_sends_their_exact_expiry_epoch(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """renew.json carries order-id and exp-date equal to the endtime details returned (time of day included)."""
    adapter, emu = pair
    emu.add_ours("keep.nz", expires=date(2026, 12, 31), order_id="5001")
    endtime = emu.domains["keep.nz"]["endtime"]
    adapter.renew("keep.nz", years=1, current_expiry=date(2026, 12, 31), idempotency_key="k")
    _, _, params = next(r for r in emu.requests if r[1] == "domains/renew.json")
    assert params["order-id"] == ["5001"] and params["exp-date"] == [str(endtime)] and params["years"] == ["1"]


def test_error_body_becomes_permanent_error_with_their_message(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    """HTTP 500 with {"status":"ERROR","message":...} is a refusal carrying their words, not retried."""
    adapter, emu = pair
    emu.add_taken("taken.nz")
    with pytest.raises(PermanentError, match="is In use"):
        adapter.register("taken.nz", years=1, contact_ref="", idempotency_key="k")
    assert sum(1 for r in emu.requests if r[1] == "domains/register.json") == 1


def test_bad_credentials_are_permanent(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """A wrong api-key is reported as such."""
    adapter, _ = pair
    adapter._auth["api-key"] = "wrong"
    with pytest.raises(PermanentError, match="Invalid auth-userid or api-key"):
        adapter.is_available("x.nz")


def test_5xx_without_body_is_retried_then_succeeds(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """An HTML 503 is transient: the retry policy tries again and the call succeeds."""
    adapter, emu = pair
    emu.faults.append((503, {"Content-Type": "text/html"}, "<html>Service Unavailable</html>"))
    assert adapter.is_available("free.nz") is True


def test_timeouts_and_temporary_messages_are_transient(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """Connection timeouts and 'try again later' bodies raise TransientError once retries are spent."""
    adapter, emu = pair
    emu.faults.extend([requests.ConnectTimeout("connect timed out")] * 3)
    with pytest.raises(TransientError):
        adapter.details("a.nz")
    emu.faults.extend([(500, {}, '{"status":"ERROR","message":"System temporarily unavailable, try again"}')] * 3)
    with pytest.raises(TransientError):
        adapter.details("a.nz")


def test_rate_limit_is_rate_limited(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """HTTP 429 with a long Retry-After is raised at once for the outbox to park the row."""
    adapter, emu = pair
    emu.faults.append((429, {"Retry-After": "120"}, ""))
    with pytest.raises(RateLimited) as caught:
        adapter.details("a.nz")
    assert caught.value.retry_after == 120


def test_lost_register_reply_is_reconciled_inside_the_retry(
    pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator],
) -> None:
    """The purchase went through and the reply timed out: the retry asks first and returns it, buying once."""
    adapter, emu = pair
    emu.time_out_after_success("register", "lost.nz")
    result = adapter.register("lost.nz", years=1, contact_ref="", idempotency_key="k")
    assert result.expires == date(2027, 11, 26)
    assert emu.applied_count("register", "lost.nz") == 1


def test_order_id_lookup_by_domain(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """orderid.json gives the order id of one of ours, None for a stranger."""
    adapter, emu = pair
    emu.add_ours("mine.nz", expires=date(2027, 1, 1), order_id="9001")
    assert adapter.order_id("mine.nz") == "9001"
    assert adapter.order_id("other.nz") is None


def test_unknown_availability_is_transient(pair: tuple[LogicBoxesRegistrar, LogicBoxesEmulator]) -> None:
    """Their 'unknown' availability status is not an answer: retry later."""
    adapter, emu = pair
    emu.faults.extend([(200, {}, '{"x.nz": {"classkey": "dotnz", "status": "unknown"}}')] * 3)
    with pytest.raises(TransientError):
        adapter.is_available("x.nz")
