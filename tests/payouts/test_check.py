"""`reseller-worker check` says whether each set-up payment service's accounts exist in Xero with the right types."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import load_settings
from integrations.xero.sandbox import XeroSandbox
from integrations.xero.sandbox.banking import add_account
from worker.checks import run_checks

from .conftest import FEES, GATEWAYS

pytestmark = pytest.mark.xero


def _payouts_line(tmp_path: Path, sb: XeroSandbox) -> str:
    config = tmp_path / "worker.toml"
    config.write_text(FEES, encoding="utf-8")
    env = {"RW_WORKER_DATA_DIR": str(tmp_path), "RW_XERO_MODE": "sandbox", "RW_XERO_BASE_URL": sb.base_url, **GATEWAYS}
    [line] = [r.line() for r in run_checks(load_settings(config, env)) if r.part == "payouts"]
    return line


def test_check_names_a_missing_or_mistyped_clearing_account(tmp_path: Path) -> None:
    with XeroSandbox() as sb:
        add_account(sb.books, "092", "PayPal clearing", "EXPENSE")  # set up as the wrong type
        line = _payouts_line(tmp_path, sb)
        assert line.startswith("FAIL") and "stripe: clearing account 091 must be a bank account" in line
        assert "paypal: clearing account 092 must be a bank account" in line
        add_account(sb.books, "091", "Stripe clearing", "BANK")
        sb.books.accounts = {k: v for k, v in sb.books.accounts.items() if v["Code"] != "092"}
        add_account(sb.books, "092", "PayPal clearing", "BANK")
        line = _payouts_line(tmp_path, sb)
        assert line.startswith("PASS") and "stripe -> 091, paypal -> 092" in line


def test_check_without_a_service_set_up_says_so(tmp_path: Path) -> None:
    [result] = [
        r for r in run_checks(load_settings(None, {"RW_WORKER_DATA_DIR": str(tmp_path)})) if r.part == "payouts"
    ]
    assert result.ok and "card payments go to the bank account" in result.detail
