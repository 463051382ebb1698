"""`reseller-worker payouts list [--json]` and `payouts accept`: what a reseller and a script see, and the way a
person settles a payout the worker sent to review (refused when the figures cannot add up)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import load_settings
from integrations.xero.fake import FakeAccounting
from rules.money import Money
from worker.cli import main
from worker.jobs.dispatch import dispatch_outbox
from worker.store.database import make_engine

from .conftest import FEES, GATEWAYS, Clock, bank_line, card_payment, cycle, make_app, net

MON = date(2026, 11, 16)


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    config = tmp_path / "worker.toml"
    config.write_text(FEES, encoding="utf-8")
    env = {"RW_WORKER_DATA_DIR": str(tmp_path / "var"), **GATEWAYS}
    import os

    saved = dict(os.environ)
    os.environ.update(env)
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    settings = load_settings(config, env)
    engine = make_engine(settings.worker.database_url)
    clock = Clock(now=datetime.combine(MON + timedelta(days=14), datetime.min.time(), UTC))
    books = FakeAccounting(clock=clock)
    books.add_account("091", "Stripe clearing")
    books.add_account("092", "PayPal clearing")
    app = make_app(engine, settings, clock, books)
    yield app, books, str(config)
    engine.dispose()
    os.environ.clear()
    os.environ.update(saved)


def _json(capsys: pytest.CaptureFixture[str], config: str) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    assert main(["--config", config, "payouts", "list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_list_shows_each_payout_its_payments_and_what_was_never_paid_out(world, capsys) -> None:  # type: ignore[no-untyped-def]
    app, books, config = world
    a = card_payment(app, books, 1, "45.00", MON - timedelta(days=8))
    b = card_payment(app, books, 2, "30.00", MON - timedelta(days=7))
    old = card_payment(app, books, 3, "35.00", MON - timedelta(days=3), gateway="paypal")
    bank_line(books, "line-po", net("45.00", "30.00"), MON, "STRIPE")
    cycle(app)
    body = _json(capsys, config)
    [payout] = body["payouts"]
    assert payout["service"] == "Stripe" and payout["state"] == "settled" and payout["bank_line"] == "line-po"
    assert (payout["gross"], payout["fees"], payout["net"]) == ("75.00", "2.63", "72.37")
    assert [p["receipt"] for p in payout["payments"]] == [a.receipt_id, b.receipt_id]
    assert {p["state"] for p in payout["payments"]} == {"settled"}
    [late] = body["never_paid_out"]
    assert late["receipt"] == old.receipt_id and late["service"] == "paypal" and late["late_since"] == "2026-11-25"
    assert main(["--config", config, "payouts", "list"]) == 0
    text = capsys.readouterr().out
    assert "settled" in text and "net NZ$72.37" in text and "Notified, never paid out (1)" in text
    # Read by a person: the service by its name, money and days as the report writes them.
    late_line = next(line for line in text.splitlines() if old.receipt_id in line)
    assert "PayPal" in late_line and "NZ$35.00" in late_line and "late since 25 Nov 2026" in late_line
    first = text.splitlines()[0]  # (the Xero reference, "Stripe payout 2026-11-16 #...", is an id and stays)
    assert first.startswith("16 Nov 2026  Stripe   settled   net NZ$72.37  gross NZ$75.00  fees NZ$2.63")
    assert " NZD" not in text and not re.search(r"\b\d{4}-\d{2}-\d{2}\b", late_line + first)


def test_accept_settles_a_payout_after_a_refund_recorded_by_hand(world, capsys) -> None:  # type: ignore[no-untyped-def]
    app, books, config = world
    a = card_payment(app, books, 1, "45.00", MON - timedelta(days=8))
    b = card_payment(app, books, 2, "30.00", MON - timedelta(days=7))
    # The payout also took back a 20.00 refund the worker has no record of.
    bank_line(books, "line-po", net("45.00", "30.00") - Decimal("20.00"), MON, "STRIPE")
    cycle(app)
    [payout] = _json(capsys, config)["payouts"]
    assert payout["state"] == "mismatch"
    key = payout["key"]
    assert main(["--config", config, "payouts", "accept", key]) == 1
    assert "name the payments" in capsys.readouterr().err
    assert main(["--config", config, "payouts", "accept", key, "--payments", "nope@x"]) == 1
    assert "no card payment of stripe waiting" in capsys.readouterr().err
    assert (
        main(
            [
                "--config",
                config,
                "payouts",
                "accept",
                key,
                "--payments",
                f"{a.receipt_id},{b.receipt_id}",
                "--recorded-by-hand=-20.00",
            ]
        )
        == 0
    )
    assert "fees 2.63 NZD" in capsys.readouterr().out
    assert main(["--config", config, "payouts", "accept", key]) == 1  # once only
    app.clock.now = datetime.now(UTC)  # the command queued them at the real time
    dispatch_outbox(app)
    # The person recorded the refund out of the clearing account by hand; with it, the account is empty.
    assert books.movement("091") - Money.of("20.00", "NZD") == Money.of("0.00", "NZD")
    [after] = _json(capsys, config)["payouts"]
    assert after["state"] == "settled" and after["fees"] == "2.63"


def test_accept_refuses_fees_below_zero(world, capsys) -> None:  # type: ignore[no-untyped-def]
    app, books, config = world
    a = card_payment(app, books, 1, "45.00", MON - timedelta(days=8))
    bank_line(books, "line-po", Decimal("60.00"), MON, "STRIPE")
    cycle(app)
    [payout] = _json(capsys, config)["payouts"]
    assert main(["--config", config, "payouts", "accept", payout["key"], "--payments", a.receipt_id]) == 1
    assert "come to less than the 60.00 NZD paid out" in capsys.readouterr().err
    assert books.bank_entries == {}
