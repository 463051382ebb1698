"""Month-end fixtures: the outbox area's App on the parametrized database (fake Xero and registrar, a clock the test
moves), and settings with the provider's prices."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, load_settings
from integrations.registrar.manual import ManualRegistrar
from integrations.registrar.terms import UpstreamPrices
from integrations.xero.fake import FakeAccounting
from tests.outbox.conftest import Clock, accounting, app, clock, make_app, registrar
from worker.app import App
from worker.domains import domain_book

__all__ = ["Clock", "accounting", "app", "clock", "registrar"]


def with_manual_registrar(app: App, accounting: FakeAccounting, clock: Clock) -> App:
    """The same App with the manual registrar: registrations become to-dos, `orders done` records them."""
    manual = ManualRegistrar(prices=UpstreamPrices(currency="NZD"), book=domain_book(app.engine))
    return make_app(app.engine, app.settings, clock, accounting, manual)


PROVIDER_SETTINGS = """\
[worker]
timezone = "Pacific/Auckland"

[registrar]
price_currency = "NZD"

[registrar.register_prices]
"co.nz" = "21.50"
"nz" = "21.50"
"com" = "18.00"

[registrar.renew_prices]
"co.nz" = "21.50"
"nz" = "21.50"
"com" = "18.00"

[hosting.plans]
starter = "25.00"
business = "45.00"

[provider]
hosting_rule = "whole_months"

[provider.hosting_prices]
starter = "10.00"
business = "30.00"
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    config = tmp_path / "worker.toml"
    config.write_text(PROVIDER_SETTINGS, encoding="utf-8")
    return load_settings(config, {"RW_WORKER_DATA_DIR": str(tmp_path / "var")}, base_dir=tmp_path)
