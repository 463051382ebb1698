"""The payouts page shows what `payouts list` shows, and settles a payout that does not add up through the same
function as `payouts accept`: the plan names the fee and the transfer, Confirm queues exactly those."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from integrations.xero.fake import FakeAccounting
from tests.payouts.conftest import Clock as PayoutClock
from tests.payouts.conftest import bank_line, card_payment, cycle, gateway_settings, make_app, net
from tests.web.conftest import add_user, confirm, sign_in
from worker import audit
from worker.store.payout_tables import payouts
from worker.store.tables import outbox
from worker.web.app import create_app

MON = date(2026, 11, 16)


@pytest.mark.parametrize("hand", ["-20.00"])
def test_a_payout_that_does_not_add_up_is_settled_on_the_page(engine: Engine, tmp_path: Path, hand: str) -> None:
    settings = gateway_settings(tmp_path)
    clock = PayoutClock(now=datetime.combine(MON + timedelta(days=14), datetime.min.time(), UTC))
    books = FakeAccounting(clock=clock)
    books.add_account("091", "Stripe clearing")
    books.add_account("092", "PayPal clearing")
    app = make_app(engine, settings, clock, books)
    a = card_payment(app, books, 1, "45.00", MON - timedelta(days=8))
    b = card_payment(app, books, 2, "30.00", MON - timedelta(days=7))
    # The payout also took back a 20.00 refund the worker has no record of.
    bank_line(books, "line-po", net("45.00", "30.00") - Decimal("20.00"), MON, "STRIPE")
    cycle(app)
    with engine.connect() as conn:
        [row] = conn.execute(select(payouts)).all()
    assert row.state == "mismatch"

    add_user(settings)
    client = create_app(settings, engine, clock=clock).test_client()
    assert sign_in(client).status_code == 303
    listing = client.get("/payouts").get_data(as_text=True)
    assert row.key in listing and "mismatch" in listing and "Settle it by hand" in listing

    refused = client.get(f"/payouts/accept?key={row.key}")
    assert refused.status_code == 409 and "name the payments" in refused.get_data(as_text=True)

    path = f"/payouts/accept?key={row.key}&payments={a.receipt_id}&payments={b.receipt_id}&recorded_by_hand={hand}"
    plan = client.get(path).get_data(as_text=True)
    assert "book 2.63 NZD of stripe fees out of clearing account 091" in plan
    assert f"transfer {net('45.00', '30.00') - Decimal('20.00'):.2f} NZD from clearing account 091" in plan
    done = confirm(client, path)
    assert done.status_code == 303
    with engine.connect() as conn:
        kinds = sorted(r.kind for r in conn.execute(select(outbox).where(outbox.c.kind.like("payout%"))))
        [entry] = audit.latest(conn)
    assert kinds == ["payout_fee", "payout_transfer"]
    assert (entry.action, entry.ok, entry.actor, entry.subject) == ("payout", True, "aroha", row.key)
    again = client.get(path)
    assert again.status_code == 409 and "settled already" in again.get_data(as_text=True)
