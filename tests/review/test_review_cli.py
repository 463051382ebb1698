"""The review and orders commands as a person types them, on SQLite and PostgreSQL: a refused approval exits 1
with the difference and the commands that would go ahead; --dry-run prints the plan and stops; the JSON lists
have exactly their documented keys; printed commands carry --config or --data-dir so they act on this database."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.daemon.conftest import url_for
from tests.report.seed import add_order, add_receipt, add_review
from worker.cli import main
from worker.store.tables import orders, outbox, review_items

REVIEW_KEYS = ["id", "kind", "amount", "currency", "payer", "received", "source", "reason", "candidates", "commands"]
CANDIDATE_KEYS = ["order", "invoice", "customer", "domain", "owed", "status"]
ORDER_KEYS = [
    "order",
    "invoice",
    "customer",
    "domain",
    "kind",
    "status",
    "amount",
    "owed",
    "paid_by",
    "effects",
    "to_do",
]


@pytest.fixture
def short_paid(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """27.00 NZD received for ORD-1, which owes 45.00; the CLI pointed at this database through the environment."""
    monkeypatch.delenv("RW_CONFIG", raising=False)
    monkeypatch.setenv("RW_WORKER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RW_WORKER_DATABASE_URL", url_for(engine))
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="olivercafe.nz", name="Oliver Faleolo")
        add_receipt(conn, "bank:line-27", amount="27.00", payer_name="OLIVER FALEOLO")
        return add_review(conn, "short_paid", "bank:line-27", "paid 27.00 of 45.00", candidates=("ORD-1",))


def nothing_written(engine: Engine, review_id: int) -> bool:
    with engine.connect() as conn:
        item = conn.execute(select(review_items.c.status).where(review_items.c.id == review_id)).scalar_one()
        order = conn.execute(select(orders.c.status).where(orders.c.order_id == "ORD-1")).scalar_one()
        return item == "open" and order == "open" and conn.execute(select(outbox)).all() == []


def test_refused_approval_exits_1_with_the_difference_and_runnable_options(
    engine: Engine, short_paid: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "approve", str(short_paid), "--orders", "ORD-1"]) == 1
    err = capsys.readouterr().err
    assert "NZ$18.00 short" in err and "Nothing was recorded or queued." in err
    option = next(line.strip() for line in err.splitlines() if line.strip().endswith("--part"))
    assert option.startswith(f"reseller-worker --data-dir {(tmp_path / 'var').resolve()} review approve")
    assert nothing_written(engine, short_paid)

    assert main([*shlex.split(option)[1:], "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Record a payment in Xero on INV-1 (Oliver Faleolo): NZ$27.00 into account 090" in out
    assert "The registration of olivercafe.nz waits until INV-1 is paid in full (NZ$18.00 to go)" in out
    assert out.rstrip().endswith("Nothing recorded (--dry-run).")
    assert nothing_written(engine, short_paid)

    assert main(shlex.split(option)[1:]) == 0
    assert f"#{short_paid} approved: bank:line-27 pays ORD-1; 1 action(s) queued." in capsys.readouterr().out
    with engine.connect() as conn:
        assert conn.execute(select(orders.c.status).where(orders.c.order_id == "ORD-1")).scalar_one() == "part_paid"
        assert [r.kind for r in conn.execute(select(outbox))] == ["record_payment"]


def test_bad_home_amount_is_a_usage_error(short_paid: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "approve", str(short_paid), "--orders", "ORD-1", "--home-amount", "lots"]) == 2
    assert "--home-amount must be an amount" in capsys.readouterr().err


def test_review_list_json_has_exactly_the_documented_keys(
    engine: Engine, short_paid: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "list", "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert list(item) == REVIEW_KEYS
    assert (item["id"], item["kind"], item["amount"], item["currency"]) == (short_paid, "short_paid", "27.00", "NZD")
    assert (item["payer"], item["source"]) == ("OLIVER FALEOLO", "bank_line")
    [candidate] = item["candidates"]
    assert list(candidate) == CANDIDATE_KEYS
    assert candidate["owed"] == {"amount": "45.00", "currency": "NZD"} and candidate["status"] == "open"
    assert item["commands"][0].endswith(f"review approve {short_paid} --orders ORD-1 --part")


def test_orders_list_json_shows_what_a_part_paid_order_still_owes(
    engine: Engine, short_paid: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "approve", str(short_paid), "--orders", "ORD-1", "--part"]) == 0
    capsys.readouterr()
    assert main(["orders", "list", "--status", "part_paid", "--json"]) == 0
    [order] = json.loads(capsys.readouterr().out)
    assert list(order) == ORDER_KEYS
    assert (order["order"], order["status"], order["owed"]) == (
        "ORD-1",
        "part_paid",
        {"amount": "18.00", "currency": "NZD"},
    )
    assert order["effects"] == [{"kind": "record_payment", "status": "pending"}] and order["to_do"] is False
