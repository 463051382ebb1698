"""Finding 4 of issue 11: duplicates are decided by content (a digest of the message without relays' trace fields,
and the gateway transaction id), never by the Message-ID alone. A forged message sent first under the Message-ID of
a genuine notice does not hide the genuine one: it is kept, stored as its own receipt, and a person reviews it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.mailbox import FakeMailbox
from integrations.notices import read_notice
from integrations.ports import Folder
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from rules.model import NoticeReading
from tests.notices.support import build_message, corpus_trust, sign, with_server_verdict
from tests.replay.test_match_job import KELLY, add_order
from worker.app import App
from worker.jobs.inbox import process_inbox
from worker.jobs.match import match_receipts
from worker.store.inbox_tables import inbox_messages
from worker.store.tables import decisions, orders, receipts, review_items

MESSAGE_ID = "<20261120093000.4711@paypal.com>"
GENUINE_BODY = (
    "You received a payment of $45.00 NZD from Nikau Kelly (nikau@kellycatering.nz).\n\n"
    "Transaction ID: 9AB12345CD678901E\nNote from Nikau Kelly: INV-0042\n"
)
FORGED_BODY = GENUINE_BODY.replace("9AB12345CD678901E", "1FORGED00000000X")


@pytest.fixture
def app(engine: Engine, settings: Settings) -> Iterator[App]:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    yield App(
        settings=settings,
        engine=engine,
        clock=lambda: now,
        accounting=FakeAccounting(clock=lambda: now),
        registrar=FakeRegistrar(clock=lambda: now),
        mailer=None,
        open_mailbox=None,
    )


def reader() -> object:
    trust = corpus_trust()

    def read(raw: bytes) -> NoticeReading:
        return read_notice(raw, trust)

    return read


def genuine() -> bytes:
    return sign(build_message(body=GENUINE_BODY, message_id=MESSAGE_ID))


def forged() -> bytes:
    """The same Message-ID, unsigned, sent first (it cannot pass: but it must not hide what follows)."""
    return build_message(body=FORGED_BODY, message_id=MESSAGE_ID)


def test_forged_first_does_not_hide_the_genuine_notice(app: App) -> None:
    add_order(app, "ORD-42", "INV-0042", KELLY, "kellycatering.nz", "45.00")
    box = FakeMailbox()
    box.deliver(forged())
    box.deliver(genuine())
    counts = process_inbox(app, box, read=reader())  # type: ignore[arg-type]
    assert counts["rejected"] == 1 and counts["receipts"] == 1 and counts.get("duplicates", 0) == 0
    assert len(box.messages_in(Folder.REJECTED)) == 1
    with app.engine.connect() as conn:
        stored = conn.execute(select(receipts)).one()
        outcomes = [r.outcome for r in conn.execute(select(inbox_messages).order_by(inbox_messages.c.id))]
    assert outcomes == ["rejected", "receipt"]
    assert stored.receipt_id.startswith("20261120093000.4711@paypal.com#")
    assert stored.gateway_txn_id == "9AB12345CD678901E"

    match_receipts(app)
    with app.engine.connect() as conn:
        decided = conn.execute(select(decisions)).one()
        items = {r.kind: r for r in conn.execute(select(review_items))}
        order = conn.execute(select(orders).where(orders.c.order_id == "ORD-42")).one()
    assert decided.kind == "review" and list(decided.orders) == ["ORD-42"]
    assert "earlier, different message" in decided.reason
    assert "reused_message_id" in items and "rejected_notice" in items
    assert order.status == "open"  # nothing acted on: a person checks


def test_the_same_content_again_is_a_repeat_even_through_another_relay(app: App) -> None:
    add_order(app, "ORD-42", "INV-0042", KELLY, "kellycatering.nz", "45.00")
    box = FakeMailbox()
    first = with_server_verdict(genuine(), "dkim=pass header.d=paypal.com; dmarc=pass")
    again = b"Received: from relay2.example by mx.kiwiweb.example; Fri, 20 Nov 2026 09:31:00 +0000\n" + first
    box.deliver(first)
    box.deliver(again)
    counts = process_inbox(app, box, read=reader())  # type: ignore[arg-type]
    assert counts["receipts"] == 1 and counts["duplicates"] == 1
    with app.engine.connect() as conn:
        outcomes = [r.outcome for r in conn.execute(select(inbox_messages).order_by(inbox_messages.c.id))]
    assert outcomes == ["receipt", "duplicate"]


def test_other_content_under_a_used_message_id_is_reviewed_even_when_no_payment(app: App) -> None:
    """Whatever the second message says, it is never silently filed as a repeat or as no payment."""
    box = FakeMailbox()
    box.deliver(genuine())
    box.deliver(
        sign(build_message(subject="Important changes to our user agreement", body="Read it.\n", message_id=MESSAGE_ID))
    )
    counts = process_inbox(app, box, read=reader())  # type: ignore[arg-type]
    assert counts["receipts"] == 1 and counts["review"] == 1 and counts.get("duplicates", 0) == 0
    assert len(box.messages_in(Folder.REVIEW)) == 1
