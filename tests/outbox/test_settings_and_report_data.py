"""Registrar and hosting settings, the margin rows for the report, and the immediate to-do e-mail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import Settings, load_settings
from config.sources import ConfigError
from integrations.mailer.fake import FakeMailer
from integrations.registrar.fake import FakeRegistrar
from integrations.registrar.manual import ManualRegistrar
from integrations.registrar.terms import UpstreamPrices
from integrations.xero.fake import FakeAccounting
from worker.app import App
from worker.domains import margins
from worker.jobs.dispatch import dispatch

from .conftest import Clock, new_order, pay


def test_registrar_prices_and_hosting_rates_are_read_exactly(tmp_path: Path) -> None:
    """Upstream prices per TLD and the reseller's own domain rates arrive as Decimals; floats are refused."""
    good = tmp_path / "good.toml"
    good.write_text(
        '[registrar]\nprice_currency = "NZD"\nnotify_to = ["ops@reseller.nz"]\n'
        '[registrar.register_prices]\n"co.nz" = "18.00"\n[registrar.renew_prices]\n".nz" = "16.50"\n'
        '[hosting]\nrenewal_days_ahead = 21\n[hosting.domain_rates]\n"co.nz" = "35.00"\n'
    )
    s = load_settings(good, {})
    assert s.registrar.register_prices == {"co.nz": Decimal("18.00")}
    assert s.registrar.renew_prices == {"nz": Decimal("16.50")}
    assert s.registrar.notify_to == ("ops@reseller.nz",)
    assert (s.hosting.renewal_days_ahead, s.hosting.domain_rates) == (21, {"co.nz": Decimal("35.00")})
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[registrar]\nkind = "logicboxes"\nprice_currency = "nzd"\n[registrar.register_prices]\ncom = 12.5\nnz = "-1"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(bad, {"RW_REGISTRAR_API_KEY": "k"})
    problems = "\n".join(caught.value.problems)
    for expected in (
        "register_prices.com: write prices as strings",
        "register_prices.nz: must be a non-negative",
        "price_currency: must be an ISO 4217",
        "[registrar] customer_id: is required",
        "[registrar] contact_id: is required",
    ):
        assert expected in problems


def test_margin_rows_carry_sale_and_cost(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """After a registration the report can show sale 30.00 less upstream 15.00."""
    pay(app, accounting, new_order("ORD-9101"))
    dispatch(app)
    with app.engine.connect() as conn:
        [row] = margins(conn, since=clock() - timedelta(days=1))
    assert (row.domain, row.action, str(row.sale), str(row.cost), str(row.margin)) == (
        "example.co.nz",
        "register",
        "30.00 NZD",
        "15.00 NZD",
        "15.00 NZD",
    )


def test_manual_to_do_is_mailed_at_once_when_configured(
    app: App, accounting: FakeAccounting, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    """With notify_to set, each manual to-do is also e-mailed right away with the command to close it."""
    configured = load_settings(None, {"RW_WORKER_DATA_DIR": str(tmp_path), "RW_REGISTRAR_NOTIFY_TO": "ops@r.nz"})
    mailer = FakeMailer()
    manual = ManualRegistrar(prices=UpstreamPrices(currency="NZD"))
    mailing = App(
        settings=configured,
        engine=app.engine,
        clock=clock,
        accounting=accounting,
        registrar=manual,
        mailer=mailer,
        open_mailbox=None,
    )
    pay(mailing, accounting, new_order("ORD-9102"))
    dispatch(mailing)
    [mail] = mailer.sent
    assert mail.to == ("ops@r.nz",) and "example.co.nz" in mail.subject
    assert "reseller-worker orders done ORD-9102 --ref" in mail.text
