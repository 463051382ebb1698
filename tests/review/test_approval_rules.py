"""Every review rule through the real jobs, on SQLite and PostgreSQL: Xero is the stateful fake (payments it
records come back in its payments feed, as Xero's do), the registrar the fake that counts its calls.

After each refused approval nothing is queued and Xero is unchanged; after `--part` the registrar is not called
until the rest is paid, by a matched payment or an approved one; a foreign receipt is recorded for what arrived in
the home currency; an overpayment records only what is owed and keeps the rest as a credit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting, fake_bank_line
from rules.model import Contact, Order, OrderKind
from rules.money import Money
from rules.settlement import Terms
from tests.outbox.conftest import Clock
from tests.review.acting import approve_as_person
from worker.acting import rehearse
from worker.app import App
from worker.approval import ApprovalRequest, ApprovalResult, approve
from worker.jobs.dispatch import dispatch_outbox
from worker.jobs.match import decide_stored
from worker.jobs.xero_sync import sync_xero
from worker.review_list import entry_json, review_entries
from worker.store.review_tables import part_payments
from worker.store.tables import decisions, orders, outbox, review_items

OLIVER = Contact(contact_id="c-oliver", name="Oliver Faleolo", email="oliver@faleolo.test")


def an_order(number: str, amount: str, domain: str, *, who: Contact = OLIVER) -> Order:
    return Order(
        order_id=number,
        kind=OrderKind.DOMAIN_REGISTRATION,
        invoice_number=number,
        invoice_id=f"id-{number}",
        contact=who,
        domain=domain,
        amount_due=Money.of(amount, "NZD"),
        issued=date(2026, 10, 20),
        due=date(2026, 11, 20),
    )


def bank_line(
    accounting: FakeAccounting, line_id: str, amount: str, reference: str, payee: str = "OLIVER FALEOLO", **kw: Any
) -> None:
    accounting.add_bank_line(
        fake_bank_line(line_id, amount, posted=date(2026, 11, 1), payee=payee, reference=reference, **kw),
        updated_at=accounting.clock(),
    )


def cycle(app: App, clock: Clock) -> None:
    """Read Xero, decide, act: what the daemon does every few minutes."""
    clock.advance(minutes=5)
    sync_xero(app)
    decide_stored(app)
    dispatch_outbox(app)


def item_for(app: App, receipt_id: str, kind: str | None = None) -> Any:
    with app.engine.connect() as conn:
        query = select(review_items).where(review_items.c.subject == receipt_id)
        if kind:
            query = query.where(review_items.c.kind == kind)
        return conn.execute(query).one()


def ask(app: App, review_id: int, order_ids: tuple[str, ...], **terms: Any) -> ApprovalResult:
    request = ApprovalRequest(review_id=review_id, orders=order_ids, terms=Terms(**terms))
    return approve_as_person(app.engine, request, settings=app.settings, now=app.clock())


def snapshot(app: App, accounting: FakeAccounting) -> dict[str, Any]:
    """What an approval could change: the outbox, orders, decisions, items, part payments, and Xero's books."""
    with app.engine.connect() as conn:
        return {
            "outbox": sorted(r.idempotency_key for r in conn.execute(select(outbox))),
            "orders": sorted((r.order_id, r.status) for r in conn.execute(select(orders))),
            "decisions": sorted((r.receipt_id, r.kind) for r in conn.execute(select(decisions))),
            "items": sorted((r.id, r.status) for r in conn.execute(select(review_items))),
            "part_payments": conn.execute(select(part_payments)).all(),
            "xero_payments": sorted((d.invoice_id, str(d.amount)) for d in accounting.recorded_payments.values()),
            "xero_due": sorted((i.invoice_id, str(i.amount_due)) for i in accounting.invoices.values()),
        }


@pytest.fixture
def books(app: App, accounting: FakeAccounting, clock: Clock) -> FakeAccounting:
    for order in (
        an_order("INV-0703", "35.00", "olivercafe.nz"),
        an_order("INV-0704", "100.00", "olivercafe.co.nz"),
    ):
        accounting.add_order(order, updated_at=clock())
    return accounting


def test_refused_approvals_queue_nothing_and_leave_xero_unchanged(
    app: App, books: FakeAccounting, clock: Clock, registrar: FakeRegistrar
) -> None:
    """Short without --part, over without --overpaid, foreign without --home-amount, a home amount on a receipt in
    the invoice's own currency, an order already paid: each is refused with the difference where there is one,
    and after each (and a dispatch) the database and Xero are exactly as before."""
    bank_line(books, "line-short", "27.00", "INV-0703")
    bank_line(books, "line-over", "135.00", "INV-0703")
    bank_line(books, "line-aud", "30.00", "INV-0703", currency="AUD")
    cycle(app, clock)
    short, over, aud = (item_for(app, r) for r in ("line-short", "line-over", "line-aud"))
    assert (short.kind, over.kind, aud.kind) == ("short_paid", "overpaid", "foreign_currency")
    before = snapshot(app, books)
    calls = books.total_calls()
    refused = [
        (ask(app, short.id, ("INV-0703",)), "NZ$8.00 short", "--part"),
        (ask(app, over.id, ("INV-0703",)), "NZ$100.00 more than", "--overpaid"),
        (ask(app, aud.id, ("INV-0703",)), "say what arrived in NZD", "--home-amount AMOUNT"),
        (ask(app, short.id, ("INV-0703",), home_amount=Decimal("27")), "another currency", None),
        (ask(app, aud.id, ("INV-0703",), home_amount=Decimal("31.00")), "NZ$4.00 short", "--part"),
    ]
    for result, says, option in refused:
        assert not result.ok and says in result.message, result.message
        assert result.plan is not None and result.plan.refusal is not None
        assert [o.flags for o in result.plan.refusal.options] == ([option] if option else [])
    dispatch_outbox(app)
    assert snapshot(app, books) == before
    assert books.total_calls() == calls  # not a single call to Xero
    assert registrar.calls("register") == 0


def test_part_payment_waits_for_the_rest_then_a_matched_payment_completes_it(
    app: App, books: FakeAccounting, clock: Clock, registrar: FakeRegistrar
) -> None:
    """--part records 27 of 35 on the invoice and nothing at the registrar; the worker's own payment coming back
    from Xero is not new money; the 8 that follows matches the 8 owed, is recorded, and only then is the domain
    registered, once."""
    bank_line(books, "line-27", "27.00", "INV-0703")
    cycle(app, clock)
    item = item_for(app, "line-27")
    result = ask(app, item.id, ("INV-0703",), part=True)
    assert result.ok, result.message
    assert "NZ$8.00 still owed" in result.message and "waits until INV-0703 is paid in full" in result.message
    with app.engine.connect() as conn:
        assert conn.execute(select(orders.c.status).where(orders.c.order_id == "INV-0703")).scalar_one() == "part_paid"
        [part] = conn.execute(select(part_payments)).all()
    assert (part.order_id, part.amount, part.review_id) == ("INV-0703", "27.00", item.id)
    assert [k.split(":")[0] for k in result.outbox_keys] == ["payment"]

    cycle(app, clock)  # records the 27; Xero's payments feed hands it back on the next sync
    cycle(app, clock)
    assert [str(d.amount) for d in books.recorded_payments.values()] == ["27.00 NZD"]
    assert str(books.invoices["id-INV-0703"].amount_due) == "8.00 NZD"
    assert registrar.calls("register") == 0
    with app.engine.connect() as conn:
        own = conn.execute(select(decisions).where(decisions.c.strategy == "own_payment")).all()
        assert len(own) == 1 and own[0].kind == "ignore"
        assert conn.execute(select(review_items).where(review_items.c.status == "open")).all() == []
        [entry] = [e for e in review_entries(conn, app.settings) if e.id == item.id] or [None]
    assert entry is None

    bank_line(books, "line-8", "8.00", "INV-0703")
    cycle(app, clock)
    cycle(app, clock)
    assert sorted(str(d.amount) for d in books.recorded_payments.values()) == ["27.00 NZD", "8.00 NZD"]
    assert books.invoices["id-INV-0703"].status == "PAID"
    assert registrar.calls("register") == 1
    with app.engine.connect() as conn:
        status = conn.execute(select(orders.c.status).where(orders.c.order_id == "INV-0703")).scalar_one()
    assert status in ("paid", "done")


def test_part_paid_order_completed_by_an_approved_payment(
    app: App, books: FakeAccounting, clock: Clock, registrar: FakeRegistrar
) -> None:
    """The rest arriving from a payer nobody recognises is approved for the part-paid order: what it still owes
    is the exact amount, and the registration is queued then, not before."""
    bank_line(books, "line-27", "27.00", "INV-0703")
    cycle(app, clock)
    assert ask(app, item_for(app, "line-27").id, ("INV-0703",), part=True).ok
    cycle(app, clock)
    books.add_bank_line(
        fake_bank_line("line-rest", "8.00", posted=date(2026, 11, 3), payee="F FAMILY TRUST"), updated_at=books.clock()
    )
    cycle(app, clock)
    rest = item_for(app, "line-rest")
    too_much = ask(app, rest.id, ("INV-0703", "INV-0704"), part=True)
    assert not too_much.ok and "does not reach INV-0704" in too_much.message
    assert registrar.calls("register") == 0
    done = ask(app, rest.id, ("INV-0703",))
    assert done.ok, done.message
    assert "Then: register olivercafe.nz for 1 year at the registrar." in done.message
    cycle(app, clock)
    assert registrar.calls("register") == 1
    assert str(books.invoices["id-INV-0703"].amount_due) == "0.00 NZD"


def test_foreign_receipt_is_recorded_for_what_arrived_in_the_home_currency(
    app: App, books: FakeAccounting, clock: Clock, registrar: FakeRegistrar
) -> None:
    """A$30 on an NZ$35 invoice is never recorded as NZ$30: with --home-amount 35.00 the payment is NZ$35.00 in
    the invoice's currency, the implied rate is shown and kept with the payment, and the domain is registered."""
    bank_line(books, "line-aud", "30.00", "INV-0703", currency="AUD")
    cycle(app, clock)
    result = ask(app, item_for(app, "line-aud").id, ("INV-0703",), home_amount=Decimal("35.00"))
    assert result.ok, result.message
    assert "A$30.00 arrived as NZ$35.00 (rate 1.1667 NZD per AUD)." in result.message
    with app.engine.connect() as conn:
        payload = conn.execute(select(outbox.c.payload).where(outbox.c.kind == "record_payment")).scalar_one()
    assert (payload["amount"], payload["currency"], payload["received"], payload["received_currency"]) == (
        "35.00",
        "NZD",
        "30.00",
        "AUD",
    )
    cycle(app, clock)
    [draft] = books.recorded_payments.values()
    assert str(draft.amount) == "35.00 NZD" and draft.account_code == app.settings.xero.bank_account_code
    assert registrar.calls("register") == 1


def test_overpayment_records_what_is_owed_and_keeps_the_rest_as_credit(
    app: App, books: FakeAccounting, clock: Clock, registrar: FakeRegistrar
) -> None:
    """135 for a 35 invoice: --overpaid records 35 (Xero refuses more than is owed) and raises a credit of 100,
    which the reseller then applies to the customer's other order, exactly."""
    bank_line(books, "line-135", "135.00", "INV-0703")
    cycle(app, clock)
    result = ask(app, item_for(app, "line-135").id, ("INV-0703",), overpaid=True)
    assert result.ok and result.credit_review_id is not None, result.message
    cycle(app, clock)
    assert [str(d.amount) for d in books.recorded_payments.values()] == ["35.00 NZD"]
    with app.engine.connect() as conn:
        [credit] = [e for e in review_entries(conn, app.settings) if e.id == result.credit_review_id]
    assert credit.kind == "credit" and str(credit.money) == "100.00 NZD"
    assert [o.order_id for o in credit.candidates] == ["INV-0704"]
    assert any(c.endswith(f"review approve {credit.id} --orders INV-0704") for c in credit.commands)
    applied = ask(app, credit.id, ("INV-0704",))
    assert applied.ok, applied.message
    cycle(app, clock)
    assert sorted(str(d.amount) for d in books.recorded_payments.values()) == ["100.00 NZD", "35.00 NZD"]
    assert registrar.calls("register") == 2
    with app.engine.connect() as conn:
        decided = conn.execute(select(decisions.c.orders).where(decisions.c.receipt_id == "line-135")).scalar_one()
    assert decided == ["INV-0703", "INV-0704"]


def test_rehearsal_and_a_changed_plan_write_nothing(app: App, books: FakeAccounting, clock: Clock) -> None:
    """A rehearsal (--dry-run, the page before Confirm) shows the plan and writes nothing; a confirmation whose plan
    changed since it was shown is refused; the one shown is then done exactly."""
    bank_line(books, "line-35", "35.00", "INV-0703")
    bank_line(books, "line-dup", "35.00", "", payee="J SMITH")
    cycle(app, clock)
    unmatched = item_for(app, "line-dup")
    before = snapshot(app, books)
    request = ApprovalRequest(review_id=unmatched.id, orders=("INV-0704",), terms=Terms(part=True))

    def run(conn: Any, now: Any) -> Any:
        return approve(conn, request, settings=app.settings, now=now)

    clock.advance(seconds=1)  # a person's action comes after the cycle (acting reads back what it stamped)
    dry = rehearse(app.engine, run, now=app.clock())
    assert dry.ok and "NZ$65.00 still owed" in dry.message
    assert [q.kind for q in dry.changes.queued] == ["record_payment"]
    assert snapshot(app, books) == before
    stale = approve_as_person(app.engine, request, settings=app.settings, now=app.clock(), confirmed="0" * 32)
    assert stale.ok  # approve itself went ahead, but act rolled it back: the plan differs from the one confirmed
    assert snapshot(app, books) == before
    confirmed = approve_as_person(
        app.engine, request, settings=app.settings, now=app.clock(), confirmed=dry.fingerprint
    )
    assert confirmed.ok
    assert snapshot(app, books) != before


def test_candidates_are_worked_out_again_when_listed(app: App, books: FakeAccounting, clock: Clock) -> None:
    """An item raised with INV-0703 as its candidate no longer offers it once another receipt paid it; the list
    says so, and its JSON has exactly the keys scripts rely on."""
    bank_line(books, "line-odd", "35.00", "", payee="J SMITH")  # the amount alone points at INV-0703
    cycle(app, clock)
    odd = item_for(app, "line-odd")
    assert list(odd.candidates) == ["INV-0703"]
    bank_line(books, "line-paid", "35.00", "INV-0703")
    cycle(app, clock)
    with app.engine.connect() as conn:
        [entry] = [e for e in review_entries(conn, app.settings) if e.id == odd.id]
    assert entry.candidates == () and [o.order_id for o in entry.gone] == ["INV-0703"]
    assert not any("--orders INV-0703" in c for c in entry.commands)
    data = entry_json(entry)
    assert list(data) == [
        "id", "kind", "amount", "currency", "payer", "received", "source", "reason", "candidates", "commands",
    ]  # fmt: skip
    assert data["candidates"] == [] and "INV-0703 (registration of olivercafe.nz) was paid" in data["reason"]
    refused = ask(app, odd.id, ("INV-0703",))
    assert not refused.ok and "only open orders can be paid" in refused.message
