"""Finding 4 of issue 11, in the decision path the replay and the daemon share: a repeat is the same content; a
Message-ID used again with other content is kept and reviewed, never filed as a duplicate or acted on."""

from __future__ import annotations

from datetime import UTC, date, datetime

from integrations.notices import read_notice
from rules.matching import MatchPolicy, PaymentRecord
from rules.model import Contact, Decision, DecisionKind, Order, OrderKind
from rules.money import Money
from rules.repeats import MessageLog, Seen, kept_for_review
from tests.notices.support import build_message, corpus_trust, sign
from worker.replay import Item, decide_in_order

MESSAGE_ID = "<20261120093000.4711@paypal.com>"
BODY = (
    "You received a payment of $45.00 NZD from Nikau Kelly (nikau@kellycatering.nz).\n\n"
    "Transaction ID: 9AB12345CD678901E\nNote from Nikau Kelly: INV-0042\n"
)
ORDER = Order(
    order_id="ORD-42",
    kind=OrderKind.DOMAIN_REGISTRATION,
    invoice_number="INV-0042",
    invoice_id="id-42",
    contact=Contact(contact_id="c-2", name="Kelly Catering", first_name="Nikau", last_name="Kelly"),
    domain="kellycatering.nz",
    amount_due=Money.of("45.00", "NZD"),
    issued=date(2026, 11, 1),
    due=date(2026, 11, 15),
)


def decide_mail(*raws: bytes) -> list[Decision]:
    trust = corpus_trust()
    items = []
    for n, raw in enumerate(raws):
        reading = read_notice(raw, trust)
        items.append(Item(key=reading.message_id, at=datetime(2026, 11, 20, 9, n, tzinfo=UTC), rank=2, reading=reading))
    return decide_in_order(items, [ORDER], MatchPolicy(), PaymentRecord())


def test_message_log_tells_same_content_from_a_reused_message_id() -> None:
    log = MessageLog()
    assert log.note("m", "d1") is Seen.NEW
    assert log.note("m", "d1") is Seen.SAME
    assert log.note("m", "d2") is Seen.REUSED
    assert log.note("m", "d2") is Seen.SAME
    assert log.note("n", "d1") is Seen.NEW


def test_forged_first_then_genuine_under_the_same_message_id() -> None:
    forged = build_message(body=BODY.replace("9AB12345CD678901E", "1FORGED00000000X"), message_id=MESSAGE_ID)
    genuine = sign(build_message(body=BODY, message_id=MESSAGE_ID))
    first, second = decide_mail(forged, genuine)
    assert first.kind is DecisionKind.REJECT
    assert second.kind is DecisionKind.REVIEW and second.orders == ("ORD-42",)
    assert "earlier, different message" in second.reason


def test_genuine_alone_is_acted_on_and_its_exact_copy_is_a_repeat() -> None:
    genuine = sign(build_message(body=BODY, message_id=MESSAGE_ID))
    first, second = decide_mail(genuine, b"Received: from relay2.example; Fri, 20 Nov 2026 09:31:00 +0000\n" + genuine)
    assert first.kind is DecisionKind.AUTO and first.orders == ("ORD-42",)
    assert second.kind is DecisionKind.IGNORE and "identical bytes" in second.reason


def test_kept_for_review_never_acts_and_never_drops() -> None:
    auto = Decision(receipt_id="r", kind=DecisionKind.AUTO, orders=("o",), reason="exact")
    ignore = Decision(receipt_id="r", kind=DecisionKind.IGNORE, reason="no payment")
    reject = Decision(receipt_id="r", kind=DecisionKind.REJECT, reason="forged")
    assert kept_for_review(auto).kind is DecisionKind.REVIEW and kept_for_review(auto).orders == ("o",)
    assert kept_for_review(ignore).kind is DecisionKind.REVIEW
    assert kept_for_review(reject) is reject
