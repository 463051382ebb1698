"""Resolving review items: approvals go through the outbox in one transaction; ignore, reject, done and payer
links change exactly what they say. (The approval rules themselves: test_approval.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from tests.daemon.conftest import url_for
from tests.report.seed import NOW, add_order, add_receipt, add_review
from tests.review.acting import approve_as_person
from worker.approval import ApprovalRequest, ApprovalResult
from worker.cli import main
from worker.review import dismiss, link, payer_keys
from worker.store.receipts import receipt_from_row
from worker.store.tables import decisions, orders, outbox, payer_links, receipts, review_items


def seed(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="kiwi-cafe.nz", name="Kiwi Cafe", contact_id="C-1")
        add_order(conn, "ORD-2", domain="kiwi-cafe.co.nz", name="Kiwi Cafe", contact_id="C-1")
        add_order(conn, "ORD-3", domain="other.nz", name="Other Ltd", contact_id="C-2")
        add_receipt(conn, "bank:line-1", payer_name="J. & K.  SMITH", payer_email="JK@Example.NZ")
        add_receipt(conn, "notice:forged", source="notice", payer_name="PayPal")
        return {
            "ambiguous": add_review(
                conn, "ambiguous", "bank:line-1", "fits two invoices", candidates=("ORD-1", "ORD-2")
            ),
            "rejected": add_review(conn, "rejected_notice", "notice:forged", "DKIM fails"),
            "failed": add_review(conn, "failed_action", "register:x.nz:ORD-9", "registrar down"),
        }


def approve_now(
    engine: Engine, settings: Settings, review_id: int, order_ids: list[str] | None, **kw: bool
) -> ApprovalResult:
    request = ApprovalRequest(review_id=review_id, orders=tuple(order_ids or ()), **kw)
    return approve_as_person(engine, request, settings=settings, now=NOW)


def row(engine: Engine, table, *where):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(table).where(*where)).first()


def test_approve_writes_decision_marks_orders_paid_and_queues_effects(engine: Engine, settings: Settings) -> None:
    """Approving for ORD-1 decides the receipt auto, pays the order and queues payment and registration."""
    ids = seed(engine)
    outcome = approve_now(engine, settings, ids["ambiguous"], ["ORD-1"])
    assert outcome.ok, outcome.message
    decision = row(engine, decisions, decisions.c.receipt_id == "bank:line-1")
    assert (decision.kind, decision.orders, decision.strategy) == ("auto", ["ORD-1"], "reviewer_approval")
    assert row(engine, orders, orders.c.order_id == "ORD-1").status == "paid"
    assert row(engine, orders, orders.c.order_id == "ORD-2").status == "open"
    assert row(engine, receipts, receipts.c.receipt_id == "bank:line-1").status == "decided"
    item = row(engine, review_items, review_items.c.id == ids["ambiguous"])
    assert item.status == "approved" and item.resolved_at is not None
    with engine.connect() as conn:
        queued = {r.idempotency_key: r.kind for r in conn.execute(select(outbox))}
    assert queued == {
        "payment:inv-ORD-1:bank:line-1": "record_payment",
        "register:kiwi-cafe.nz:ORD-1": "register_domain",
    }
    assert set(outcome.outbox_keys) == set(queued)


def test_approve_twice_queues_nothing_more(engine: Engine, settings: Settings) -> None:
    """A second approval of the same item is refused and the outbox is unchanged."""
    ids = seed(engine)
    assert approve_now(engine, settings, ids["ambiguous"], ["ORD-1"]).ok
    again = approve_now(engine, settings, ids["ambiguous"], ["ORD-2"])
    assert not again.ok and "already approved" in again.message
    with engine.connect() as conn:
        assert len(conn.execute(select(outbox)).all()) == 2


@pytest.mark.parametrize(
    ("which", "order_ids", "expected"),
    [
        ("ambiguous", None, "several candidate orders"),
        ("ambiguous", ["ORD-404"], "there is no order ORD-404"),
        ("rejected", ["ORD-1"], "failed authentication"),
        ("failed", ["ORD-1"], "not a payment"),
    ],
)
def test_approve_refusals_change_nothing(
    engine: Engine, settings: Settings, which: str, order_ids: list[str] | None, expected: str
) -> None:
    """Approvals that would be guesses or unsafe are refused with a reason; nothing is written."""
    ids = seed(engine)
    outcome = approve_now(engine, settings, ids[which], order_ids)
    assert not outcome.ok and expected in outcome.message
    assert row(engine, review_items, review_items.c.id == ids[which]).status == "open"
    with engine.connect() as conn:
        assert conn.execute(select(outbox)).all() == []
        assert conn.execute(select(decisions)).all() == []


def test_approve_refuses_an_order_already_paid(engine: Engine, settings: Settings) -> None:
    """An order settled meanwhile cannot be paid a second time through a review."""
    ids = seed(engine)
    with engine.begin() as conn:
        conn.execute(orders.update().where(orders.c.order_id == "ORD-2").values(status="paid"))
    outcome = approve_now(engine, settings, ids["ambiguous"], ["ORD-2"])
    assert not outcome.ok and "INV-2 [ORD-2] (registration of kiwi-cafe.co.nz) is paid" in outcome.message


def test_ignore_and_reject_close_the_item_and_decide_the_receipt(engine: Engine) -> None:
    """`ignore` decides the receipt ignore, `reject` decides reject; `done` only closes the chore."""
    ids = seed(engine)
    with engine.begin() as conn:
        assert dismiss(conn, ids["ambiguous"], status="ignored", now=NOW).ok
        assert dismiss(conn, ids["rejected"], status="rejected", now=NOW, note="forged, reported to PayPal").ok
        assert dismiss(conn, ids["failed"], status="done", now=NOW).ok
    assert row(engine, decisions, decisions.c.receipt_id == "bank:line-1").kind == "ignore"
    assert row(engine, decisions, decisions.c.receipt_id == "notice:forged").kind == "reject"
    item = row(engine, review_items, review_items.c.id == ids["rejected"])
    assert (item.status, item.resolution) == ("rejected", "forged, reported to PayPal")
    assert row(engine, review_items, review_items.c.id == ids["failed"]).status == "done"
    with engine.connect() as conn:
        assert len(conn.execute(select(decisions)).all()) == 2


def test_link_remembers_payer_name_and_email(engine: Engine) -> None:
    """Linking stores the normalised name and e-mail for the contact; relinking moves them, not duplicates."""
    ids = seed(engine)
    with engine.begin() as conn:
        assert link(conn, ids["ambiguous"], contact_id="C-1", now=NOW).ok
        assert link(conn, ids["ambiguous"], contact_id="C-2", now=NOW).ok
    with engine.connect() as conn:
        links = {r.payer_key: r.contact_id for r in conn.execute(select(payer_links))}
    assert links == {"email:jk@example.nz": "C-2", "name:j k smith": "C-2"}
    assert row(engine, review_items, review_items.c.id == ids["ambiguous"]).status == "open"


def test_approve_with_link_payer_remembers_the_customer(engine: Engine, settings: Settings) -> None:
    """`approve --link-payer` pays and remembers the payer as the orders' customer, in the same transaction."""
    ids = seed(engine)
    outcome = approve_now(engine, settings, ids["ambiguous"], ["ORD-2"], link_payer=True)
    assert outcome.ok and outcome.payer_keys == ("email:jk@example.nz", "name:j k smith")
    with engine.connect() as conn:
        assert {r.contact_id for r in conn.execute(select(payer_links))} == {"C-1"}


def test_receipt_round_trips_from_its_row(engine: Engine) -> None:
    """The stored receipt comes back with its money, payer and free text."""
    seed(engine)
    receipt = receipt_from_row(row(engine, receipts, receipts.c.receipt_id == "bank:line-1"))
    assert str(receipt.money) == "45.00 NZD" and receipt.received_at == NOW
    assert receipt.text == (("reference", "website"),)
    assert payer_keys(receipt) == ("email:jk@example.nz", "name:j k smith")


def test_review_commands_from_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """`review list` shows the exact command; running it approves; a refusal exits 1 with the reason."""
    ids = seed(engine)
    monkeypatch.delenv("RW_CONFIG", raising=False)
    monkeypatch.setenv("RW_WORKER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RW_WORKER_DATABASE_URL", url_for(engine))
    assert main(["review", "list"]) == 0
    listed = capsys.readouterr().out
    data_dir = (tmp_path / "var").resolve()
    command = f"reseller-worker --data-dir {data_dir} review approve {ids['ambiguous']} --orders ORD-1"
    assert f"$ {command}" in listed
    assert main(command.split()[1:]) == 0
    assert "approved" in capsys.readouterr().out
    assert main(["review", "approve", str(ids["rejected"]), "--orders", "ORD-3"]) == 1
    assert "failed authentication" in capsys.readouterr().err
    assert row(engine, orders, orders.c.order_id == "ORD-1").status == "paid"


def test_raising_a_review_item_says_whether_it_was_new(engine: Engine) -> None:
    """raise_review_item reports True for a new item and False for the same kind and subject again, on both
    databases (psycopg's rowcount cannot tell)."""
    from worker.store.review_items import raise_review_item

    with engine.begin() as conn:
        first = raise_review_item(conn, kind="unmatched", subject="bank:x", reason="no order", now=NOW)
        again = raise_review_item(conn, kind="unmatched", subject="bank:x", reason="no order", now=NOW)
    assert (first, again) == (True, False)


def test_done_on_a_registrar_to_do_points_to_orders_done(engine: Engine) -> None:
    """A to-do is closed by `orders done` (which records the reference and finishes the order), never by
    `review done`, which would leave the order paid but not done."""
    with engine.begin() as conn:
        item = add_review(conn, "to_do", "ORD-1", "Register kiwi-cafe.nz for 1 year")
        outcome = dismiss(conn, item, status="done", now=NOW)
    assert not outcome.ok
    assert "reseller-worker orders done ORD-1 --ref" in outcome.message
    assert row(engine, review_items, review_items.c.id == item).status == "open"
