"""The payouts page shows what `payouts list` shows, and settles a payout that does not add up through the same
function as `payouts accept`: the plan names the fee and the transfer, Confirm queues exactly those, and the
database and outbox end as the command leaves them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings, load_settings
from integrations.xero.fake import FakeAccounting
from tests.payouts.conftest import Clock as PayoutClock
from tests.payouts.conftest import bank_line, card_payment, cycle, gateway_settings, make_app, net
from tests.web.conftest import add_user, confirm, sign_in
from tests.web.test_actions import snapshot
from worker import audit
from worker.cli import main
from worker.store.payout_tables import payouts
from worker.store.tables import outbox
from worker.web.app import create_app

MON = date(2026, 11, 16)


def _mismatched_payout(engine: Engine, settings: Settings, clock: PayoutClock) -> tuple[str, list[str]]:
    """Two Stripe payments and a payout 20.00 short of them (a refund the worker never saw): sent to review."""
    books = FakeAccounting(clock=clock)
    books.add_account("091", "Stripe clearing")
    app = make_app(engine, settings, clock, books)
    a = card_payment(app, books, 1, "45.00", MON - timedelta(days=8))
    b = card_payment(app, books, 2, "30.00", MON - timedelta(days=7))
    bank_line(books, "line-po", net("45.00", "30.00") - Decimal("20.00"), MON, "STRIPE")
    cycle(app)
    with engine.connect() as conn:
        [row] = conn.execute(select(payouts)).all()
    assert row.state == "mismatch"
    return row.key, [a.receipt_id, b.receipt_id]


@pytest.mark.parametrize("hand", ["-20.00"])
def test_a_payout_that_does_not_add_up_is_settled_on_the_page(engine: Engine, tmp_path: Path, hand: str) -> None:
    settings = gateway_settings(tmp_path)
    clock = PayoutClock(now=datetime.combine(MON + timedelta(days=14), datetime.min.time(), UTC))
    key, (a, b) = _mismatched_payout(engine, settings, clock)

    add_user(settings)
    client = create_app(settings, engine, clock=clock).test_client()
    assert sign_in(client).status_code == 303
    listing = client.get("/payouts").get_data(as_text=True)
    assert key in listing and "mismatch" in listing and "Settle it by hand" in listing

    refused = client.get(f"/payouts/accept?key={key}")
    assert refused.status_code == 409 and "name the payments" in refused.get_data(as_text=True)

    path = f"/payouts/accept?key={key}&payments={a}&payments={b}&recorded_by_hand={hand}"
    plan = client.get(path).get_data(as_text=True)
    assert "book NZ$2.63 of Stripe fees out of clearing account 091" in plan
    assert f"transfer NZ${net('45.00', '30.00') - Decimal('20.00'):.2f} from clearing account 091" in plan
    done = confirm(client, path)
    assert done.status_code == 303
    with engine.connect() as conn:
        kinds = sorted(r.kind for r in conn.execute(select(outbox).where(outbox.c.kind.like("payout%"))))
        [entry] = audit.latest(conn)
    assert kinds == ["payout_fee", "payout_transfer"]
    assert (entry.action, entry.ok, entry.actor, entry.subject) == ("payout", True, "aroha", key)
    again = client.get(path)
    assert again.status_code == 409 and "settled already" in again.get_data(as_text=True)


def _full_settings(tmp_path: Path, url: str) -> Settings:
    """A settings file a command can be given: the database and Stripe's clearing account and fees."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "worker.toml"
    path.write_text(
        f'[worker]\ndata_dir = "{tmp_path / "var"}"\ndatabase_url = "{url}"\n'
        f'[web]\nusers_file = "{tmp_path / "users.toml"}"\n'
        '[gateways.stripe]\nclearing_account = "091"\npayout_days = 4\n'
        '[gateways.stripe.fees]\nNZD = "2.7% + 0.30"\n',
        encoding="utf-8",
    )
    return load_settings(path, {})


def test_settling_on_the_page_does_what_payouts_accept_does(
    twin_databases: tuple[tuple[str, Engine], ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (cli_url, cli_engine), (web_url, web_engine) = twin_databases
    cli_settings = _full_settings(tmp_path / "cli", cli_url)
    web_settings_ = _full_settings(tmp_path / "web", web_url)
    start = datetime.combine(MON + timedelta(days=14), datetime.min.time(), UTC)
    cli_clock, web_clock = PayoutClock(now=start), PayoutClock(now=start)
    key, paid = _mismatched_payout(cli_engine, cli_settings, cli_clock)
    assert (key, paid) == _mismatched_payout(web_engine, web_settings_, web_clock)
    before = snapshot(web_engine)
    assert before == snapshot(cli_engine)

    monkeypatch.setattr("worker.app.utc_now", lambda: start)
    argv = ["payouts", "accept", key, "--payments", ",".join(paid), "--recorded-by-hand", "-20.00"]
    assert main(["--config", str(cli_settings.source), *argv]) == 0

    add_user(web_settings_)
    client = create_app(web_settings_, web_engine, clock=web_clock).test_client()
    assert sign_in(client).status_code == 303
    path = f"/payouts/accept?key={key}&payments={paid[0]}&payments={paid[1]}&recorded_by_hand=-20.00"
    assert confirm(client, path).status_code == 303

    after = snapshot(web_engine)
    assert after != before and after == snapshot(cli_engine)
    for engine, via in ((cli_engine, "cli"), (web_engine, "web")):
        with engine.connect() as conn:
            [entry] = audit.latest(conn)
        assert (entry.action, entry.via, entry.ok, entry.subject, entry.at) == ("payout", via, True, key, start)
