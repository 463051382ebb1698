"""Against a real Xero demo company; runs only with credentials in the environment (marker live, never in CI).

RW_XERO_CLIENT_ID / RW_XERO_CLIENT_SECRET of a Custom Connection on the demo company (read-only calls only).
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from config.xero import DEFAULT_ITEM_CODES, XeroSettings
from integrations.xero.adapter import XeroAccounting
from integrations.xero.tokens import MemoryTokenStore, XeroTokens

pytestmark = [pytest.mark.live, pytest.mark.xero]

CLIENT_ID = os.environ.get("RW_XERO_CLIENT_ID", "")
CLIENT_SECRET = os.environ.get("RW_XERO_CLIENT_SECRET", "")


@pytest.fixture
def live() -> XeroAccounting:
    """The adapter on the real Xero with a Custom Connection."""
    if not (CLIENT_ID and CLIENT_SECRET):
        pytest.skip("RW_XERO_CLIENT_ID / RW_XERO_CLIENT_SECRET not set")
    settings = XeroSettings(
        mode="custom_connection",
        base_url="",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        tenant_id=os.environ.get("RW_XERO_TENANT_ID", ""),
        daily_budget=1000,
        timeout_seconds=20.0,
        bank_account_code=os.environ.get("RW_XERO_BANK_ACCOUNT_CODE", "090"),
        item_codes=dict(DEFAULT_ITEM_CODES),
    )
    settings = replace(settings, bank_feed="bank_transactions")  # the Finance API is partner-only
    return XeroAccounting(settings, tokens=XeroTokens(settings=settings, store=MemoryTokenStore()))


def test_live_reads_open_invoices_payments_and_quota(live: XeroAccounting) -> None:
    """Real Xero answers the adapter's reads and reports its remaining budget."""
    page = live.open_orders(since=None)
    assert page.watermark is not None
    live.payments(since=None)
    live.bank_lines(since=None)
    quota = live.quota()
    assert quota.day_remaining is not None and quota.minute_remaining is not None
