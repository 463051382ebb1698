"""The `match_receipts` job on both databases: decisions written, orders paid once, review items raised with
candidates, effects queued for automatic decisions, all in one transaction per receipt."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from rules.model import Contact, Order, OrderKind, Receipt, ReceiptSource
from rules.money import Money
from worker.app import App
from worker.jobs.match import match_policy, match_receipts
from worker.store.tables import decisions, orders, outbox, payer_links, receipts, review_items


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(engine: Engine, settings: Settings, clock: Clock) -> Iterator[App]:
    yield App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=FakeAccounting(clock=clock),
        registrar=FakeRegistrar(clock=clock),
        mailer=None,
        open_mailbox=None,
    )


MURPHY = Contact(contact_id="c-1", name="Emma Murphy", first_name="Emma", last_name="Murphy", email="em@x.nz")
KELLY = Contact(contact_id="c-2", name="Kelly Catering", first_name="Nikau", last_name="Kelly")


def add_order(
    app: App,
    oid: str,
    number: str,
    who: Contact,
    domain: str,
    amount: str,
    kind: OrderKind = OrderKind.DOMAIN_REGISTRATION,
) -> Order:
    order = Order(
        order_id=oid,
        kind=kind,
        invoice_number=number,
        invoice_id=f"id-{number}",
        contact=who,
        domain=domain,
        amount_due=Money.of(amount, "NZD"),
        issued=date(2026, 11, 1),
        due=date(2026, 11, 15),
    )
    with app.engine.begin() as conn:
        conn.execute(
            orders.insert().values(
                order_id=oid,
                kind=kind.value,
                invoice_id=order.invoice_id,
                invoice_number=number,
                contact_id=who.contact_id,
                contact={
                    "name": who.name,
                    "first_name": who.first_name,
                    "last_name": who.last_name,
                    "email": who.email,
                },
                domain=domain,
                amount_due=amount,
                currency="NZD",
                issued="2026-11-01",
                due="2026-11-15",
                status="open",
                updated_at=app.clock(),
            )
        )
    return order


def add_receipt(app: App, r: Receipt, *, forwarded: bool = False, flags: tuple[str, ...] = ()) -> None:
    payload: dict[str, Any] = {
        "receipt_id": r.receipt_id,
        "source": r.source.value,
        "received_at": r.received_at.isoformat(),
        "amount": str(r.money.amount),
        "currency": r.money.currency,
        "payer_name": r.payer_name,
        "payer_email": r.payer_email,
        "text": [list(t) for t in r.text],
        "gateway": r.gateway,
        "gateway_txn_id": r.gateway_txn_id,
        "invoice_id": r.invoice_id,
        "invoice_number": r.invoice_number,
        "raw_kind": r.raw_kind,
        "forwarded": forwarded,
        "flags": list(flags),
    }
    with app.engine.begin() as conn:
        conn.execute(
            receipts.insert().values(
                receipt_id=r.receipt_id,
                source=r.source.value,
                received_at=r.received_at,
                amount=str(r.money.amount),
                currency=r.money.currency,
                gateway=r.gateway,
                gateway_txn_id=r.gateway_txn_id,
                payload=payload,
                status="new",
                created_at=app.clock(),
            )
        )


def line(rid: str, payee: str, reference: str, amount: str, at: datetime) -> Receipt:
    return Receipt(
        receipt_id=rid,
        source=ReceiptSource.BANK_LINE,
        received_at=at,
        money=Money.of(amount, "NZD"),
        payer_name=payee,
        text=(("reference", reference),),
        raw_kind="CREDIT",
    )


def rows(app: App, table: Any) -> list[Any]:
    with app.engine.connect() as conn:
        return list(conn.execute(select(table)))


T = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_auto_pays_the_order_and_queues_its_effects(app: App) -> None:
    """An exact invoice-number payment: decision row, order paid by the receipt, payment and registration queued."""
    add_order(app, "ORD-1", "INV-0042", MURPHY, "emmamurphy.nz", "35.00")
    add_receipt(app, line("L1", "EMMA MURPHY", "INV-0042", "35.00", T))
    summary = match_receipts(app)
    assert (summary["decided"], summary["auto"]) == (1, 1)
    [decision] = rows(app, decisions)
    assert (decision.kind, decision.orders, decision.strategy) == ("auto", ["ORD-1"], "invoice_reference")
    [order] = rows(app, orders)
    assert (order.status, order.paid_by) == ("paid", "L1")
    assert {r.kind for r in rows(app, outbox)} == {"record_payment", "register_domain"}
    assert [r.status for r in rows(app, receipts)] == ["decided"]
    assert rows(app, review_items) == []


def test_review_raises_an_item_with_candidates_and_leaves_the_order_open(app: App) -> None:
    """A short payment is a review item naming the order, with a suggested action; nothing is queued."""
    add_order(app, "ORD-1", "INV-0042", MURPHY, "emmamurphy.nz", "35.00")
    add_receipt(app, line("L1", "EMMA MURPHY", "INV-0042", "30.00", T))
    assert match_receipts(app)["review"] == 1
    [item] = rows(app, review_items)
    assert (item.kind, item.subject, item.candidates) == ("short_paid", "L1", ["ORD-1"])
    assert item.suggested_action and "short by 5.00 NZD" in item.reason
    assert [o.status for o in rows(app, orders)] == ["open"]
    assert rows(app, outbox) == []


def test_ignore_writes_only_the_decision(app: App) -> None:
    """A card settlement and a reconciled line are ignored: a decision with its reason, no review item."""
    add_receipt(app, line("L1", "STRIPE", "STRIPE PAYOUT", "3855.00", T))
    add_receipt(app, line("L2", "EMMA MURPHY", "INV-0042", "35.00", T), flags=("reconciled",))
    assert match_receipts(app)["ignore"] == 2
    assert {d.kind for d in rows(app, decisions)} == {"ignore"}
    assert rows(app, review_items) == []


def test_an_order_is_paid_once_even_within_one_run(app: App) -> None:
    """Two receipts for one order in a single run: the first acts, the second is a review; one set of effects."""
    add_order(app, "ORD-1", "INV-0042", MURPHY, "emmamurphy.nz", "35.00")
    add_receipt(app, line("L1", "EMMA MURPHY", "INV-0042", "35.00", T))
    add_receipt(app, line("L2", "EMMA MURPHY", "INV-0042", "35.00", T + timedelta(days=1)))
    summary = match_receipts(app)
    assert (summary["auto"], summary["review"]) == (1, 1)
    assert [i.kind for i in rows(app, review_items)] == ["already_paid"]
    assert len([r for r in rows(app, outbox) if r.kind == "record_payment"]) == 1


def test_a_later_run_knows_the_order_is_closed(app: App) -> None:
    """Closed orders are remembered across runs, and a second run decides nothing twice."""
    add_order(app, "ORD-1", "INV-0042", MURPHY, "emmamurphy.nz", "35.00")
    add_receipt(app, line("L1", "EMMA MURPHY", "INV-0042", "35.00", T))
    match_receipts(app)
    assert match_receipts(app)["decided"] == 0
    add_receipt(app, line("L2", "E MURPHY", "INV-0042", "35.00", T + timedelta(days=2)))
    assert match_receipts(app)["review"] == 1
    assert "L1" in rows(app, review_items)[0].reason


def test_xero_notice_waits_for_xero_s_record_then_is_rejected(app: App, clock: Clock) -> None:
    """An unconfirmed Xero notice stays undecided for the confirmation window, then is rejected as forged."""
    add_order(app, "ORD-1", "INV-0042", MURPHY, "emmamurphy.nz", "35.00")
    note = Receipt(
        receipt_id="m1@post.xero.com",
        source=ReceiptSource.NOTICE,
        received_at=clock.now,
        money=Money.of("35.00", "NZD"),
        gateway="xero",
        gateway_txn_id="ref-1",
        invoice_number="INV-0042",
    )
    add_receipt(app, note)
    assert match_receipts(app)["waiting"] == 1
    clock.now += timedelta(days=2)
    assert match_receipts(app)["reject"] == 1
    assert [i.kind for i in rows(app, review_items)] == ["rejected_notice"]
    assert [o.status for o in rows(app, orders)] == ["open"]


def test_xero_notice_confirmed_by_the_payment_is_a_repeat(app: App, clock: Clock) -> None:
    """Xero's payment acts; its notice repeats it and is ignored."""
    add_order(app, "ORD-1", "INV-0042", MURPHY, "emmamurphy.nz", "35.00")
    pay = Receipt(
        receipt_id="PAY-1",
        source=ReceiptSource.XERO_PAYMENT,
        received_at=clock.now - timedelta(hours=1),
        money=Money.of("35.00", "NZD"),
        gateway="xero",
        gateway_txn_id="PAY-1",
        invoice_id="id-INV-0042",
        invoice_number="INV-0042",
    )
    note = Receipt(
        receipt_id="m1@post.xero.com",
        source=ReceiptSource.NOTICE,
        received_at=clock.now,
        money=Money.of("35.00", "NZD"),
        gateway="xero",
        gateway_txn_id="ref-1",
        invoice_number="INV-0042",
    )
    add_receipt(app, pay)
    add_receipt(app, note)
    summary = match_receipts(app)
    assert (summary["auto"], summary["ignore"]) == (1, 1)
    # Xero already holds the payment: only the registration is queued.
    assert {r.kind for r in rows(app, outbox)} == {"register_domain"}


def test_forwarded_notice_is_reviewed(app: App) -> None:
    """A notice staff forwarded is reviewed with the order it names, never acted on."""
    add_order(app, "ORD-1", "INV-0042", MURPHY, "emmamurphy.nz", "35.00")
    fwd = Receipt(
        receipt_id="fwd@kiwiweb.example",
        source=ReceiptSource.NOTICE,
        received_at=T,
        money=Money.of("35.00", "NZD"),
        text=(("memo", "INV-0042"),),
        gateway="paypal",
        gateway_txn_id="PP1",
    )
    add_receipt(app, fwd, forwarded=True)
    assert match_receipts(app)["review"] == 1
    [item] = rows(app, review_items)
    assert (item.kind, item.candidates) == ("forwarded", ["ORD-1"])


def test_a_payer_linked_by_a_person_matches_next_time(app: App) -> None:
    """After a bookkeeper linked 'COLLEEN HUGHES' to Emma Murphy, her exact payment is acted on."""
    add_order(app, "ORD-1", "INV-0042", MURPHY, "emmamurphy.nz", "35.00")
    with app.engine.begin() as conn:
        conn.execute(
            payer_links.insert().values(payer_key="name:colleen hughes", contact_id="c-1", created_at=app.clock())
        )
    add_receipt(app, line("L1", "COLLEEN HUGHES", "THANKS", "35.00", T))
    assert match_receipts(app)["auto"] == 1


def test_policy_comes_from_settings(settings: Settings) -> None:
    """Tolerances and extra words in [matching] reach the policy."""
    policy = match_policy(settings)
    assert policy.max_candidates == settings.matching.max_candidates
    assert policy.auto_tolerance == settings.matching.fee_tolerance
