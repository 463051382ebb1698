"""The outbox end to end against the fakes: each paid order is registered or renewed once, each receipt becomes
one payment in Xero, failures become review items that say what to do by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from integrations.errors import PermanentError, TransientError
from integrations.ports import PaymentDraft
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from rules.model import OrderKind, ReceiptSource
from rules.money import Money
from worker.app import App
from worker.jobs.dispatch import dispatch
from worker.outbox import OutboxPolicy
from worker.store.outbox_tables import domains, registrar_actions

from .conftest import Clock, new_order, order_status, outbox_rows, pay, payments_for, receipt_for, review


def test_paid_registration_is_registered_paid_noted_and_done(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar
) -> None:
    """One paid registration: one registration, one payment with the receipt's reference, one note, order done."""
    order = new_order("ORD-1001")
    keys = pay(app, accounting, order)
    assert sorted(k.split(":")[0] for k in keys) == ["payment", "register"]
    counts = dispatch(app)
    assert counts["failed"] == 0 and counts["retry"] == 0
    assert registrar.applied("register", "example.co.nz") == 1
    [payment] = payments_for(accounting, order.invoice_id)
    assert payment.reference == "pi_ORD-1001" and payment.amount == order.amount_due
    assert accounting.invoices[order.invoice_id].status == "PAID"
    assert any("example.co.nz registered" in n for n in accounting.history[order.invoice_id])
    assert order_status(app, "ORD-1001") == "done"
    with app.engine.connect() as conn:
        held = conn.execute(select(domains)).one()
        action = conn.execute(select(registrar_actions)).one()
    assert held.expires == date(2027, 11, 26) and held.contact_id == "c-1"
    assert (action.status, action.cost, action.sale) == ("done", "15.00", "30.00")


def test_deciding_twice_queues_nothing_new(app: App, accounting: FakeAccounting) -> None:
    """A replayed decision (duplicate notice, rerun job) adds no outbox row."""
    order = new_order("ORD-1002")
    assert len(pay(app, accounting, order)) == 2
    assert pay(app, accounting, order) == []
    assert len(outbox_rows(app)) == 2


def test_receipt_that_is_a_xero_payment_records_no_second_payment(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar
) -> None:
    """A Xero payment is already in the books: only the registration is queued."""
    order = new_order("ORD-1003")
    keys = pay(app, accounting, order, receipt_for(order, "pay-xyz", source=ReceiptSource.XERO_PAYMENT))
    assert [k.split(":")[0] for k in keys] == ["register"]
    dispatch(app)
    assert payments_for(accounting, order.invoice_id) == []
    assert registrar.applied("register", "example.co.nz") == 1


@pytest.mark.faults
def test_same_payment_by_email_and_by_xero_acts_once(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar
) -> None:
    """The card notice and Xero's own payment of the same money: one payment, one registration."""
    order = new_order("ORD-1004")
    pay(app, accounting, order, receipt_for(order, "msg-1@stripe", txn="pi_777"))
    dispatch(app)
    # Xero now shows the payment we recorded; the sync job reads it back as a Xero-payment receipt.
    [xero_payment] = accounting.payments_on_invoice(order.invoice_id)
    pay(app, accounting, order, receipt_for(order, xero_payment.receipt_id, source=ReceiptSource.XERO_PAYMENT))
    dispatch(app)
    assert len(payments_for(accounting, order.invoice_id)) == 1
    assert registrar.applied("register", "example.co.nz") == 1


def _xero_payment(accounting: FakeAccounting, invoice_id: str, amount: str, reference: str) -> None:
    """A payment that reached the invoice in Xero some other way (Xero's own Stripe service, the accountant)."""
    accounting.record_payment(
        PaymentDraft(
            invoice_id=invoice_id,
            amount=Money.of(amount, "NZD"),
            paid_on=date(2026, 11, 25),
            reference=reference,
            account_code="090",
        ),
        idempotency_key=f"elsewhere-{reference}",
    )


def test_payment_already_in_xero_is_found_not_repeated(app: App, accounting: FakeAccounting) -> None:
    """The customer paid through Xero's Stripe service and the notice came too: the reference matches, no
    second payment."""
    order = new_order("ORD-1005", kind=OrderKind.HOSTING, domain="")
    accounting.add_order(order)
    _xero_payment(accounting, order.invoice_id, "30.00", "pi_abc")
    pay(app, accounting, order, receipt_for(order, txn="pi_abc"))
    dispatch(app)
    assert len(payments_for(accounting, order.invoice_id)) == 1
    assert order_status(app, "ORD-1005") == "done"


def test_lookalike_payment_goes_to_review_not_twice(app: App, accounting: FakeAccounting) -> None:
    """Same amount already on the invoice under another reference: a person compares; nothing is recorded."""
    order = new_order("ORD-1006", kind=OrderKind.HOSTING, domain="", amount="60.00")
    accounting.add_order(order)
    _xero_payment(accounting, order.invoice_id, "30.00", "bank-1")
    receipt = replace(receipt_for(order, txn="pi_new"), money=Money.of("30.00", "NZD"))
    pay(app, accounting, order, receipt)
    counts = dispatch(app)
    assert counts["failed"] == 1
    [item] = review(app, "failed_action")
    assert "may be the same money" in item.reason and "pi_new" in item.suggested_action
    assert len(payments_for(accounting, order.invoice_id)) == 1
    assert order_status(app, "ORD-1006") == "paid"


def test_renewal_renews_once_from_the_expected_expiry(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar
) -> None:
    """A paid renewal of a domain we hold moves its expiry by the term, once."""
    registrar.add_ours("kiwi.nz", expires=date(2026, 12, 20))
    order = new_order("ORD-2001", kind=OrderKind.DOMAIN_RENEWAL, domain="kiwi.nz", years=2)
    pay(app, accounting, order)
    dispatch(app)
    assert registrar.expiry("kiwi.nz") == date(2028, 12, 20)
    assert registrar.applied("renew", "kiwi.nz") == 1
    assert order_status(app, "ORD-2001") == "done"


def test_renewal_with_expiry_drift_is_not_renewed(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar
) -> None:
    """Our record says one expiry, the registrar another: a review item, no renewal."""
    from worker.domains import hold_domain

    registrar.add_ours("drift.nz", expires=date(2027, 12, 20))
    with app.engine.begin() as conn:
        hold_domain(conn, domain="drift.nz", expires=date(2026, 12, 20), now=app.clock())
    pay(app, accounting, new_order("ORD-2002", kind=OrderKind.DOMAIN_RENEWAL, domain="drift.nz"))
    dispatch(app)
    assert registrar.applied("renew", "drift.nz") == 0
    [item] = review(app, "failed_action")
    assert "2027-12-20" in item.reason and "2026-12-20" in item.reason


@pytest.mark.faults
def test_registrar_timing_out_after_success_is_found_done(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """The registration went through but the reply was lost: the retry asks first and records it, once."""
    registrar.time_out_after_success("register", "example.co.nz")
    order = new_order("ORD-3001")
    pay(app, accounting, order)
    first = dispatch(app)
    assert first["retry"] == 1
    clock.advance(minutes=5)
    dispatch(app)
    assert registrar.applied("register", "example.co.nz") == 1
    assert registrar.calls("register") == 1
    assert order_status(app, "ORD-3001") == "done"


@pytest.mark.faults
def test_renewal_timing_out_after_success_is_found_done(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """A renewal whose reply was lost is recognised by the moved expiry and not sent again."""
    registrar.add_ours("lost.nz", expires=date(2026, 12, 1))
    registrar.time_out_after_success("renew", "lost.nz")
    pay(app, accounting, new_order("ORD-3002", kind=OrderKind.DOMAIN_RENEWAL, domain="lost.nz"))
    dispatch(app)
    clock.advance(minutes=5)
    dispatch(app)
    assert registrar.applied("renew", "lost.nz") == 1 and registrar.calls("renew") == 1
    assert registrar.expiry("lost.nz") == date(2027, 12, 1)
    assert order_status(app, "ORD-3002") == "done"


@pytest.mark.faults
def test_transient_errors_back_off_then_fail_into_review(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """Each transient failure waits longer; past the attempt limit the row fails with a to-do-by-hand item."""
    policy = OutboxPolicy(max_attempts=3)
    for _ in range(3):
        registrar.fail_next("details", TransientError("HTTP 503", system="registrar"))
    pay(app, accounting, new_order("ORD-4001", kind=OrderKind.DOMAIN_RENEWAL, domain="x.nz"))
    key = next(k for k in outbox_rows(app) if k.startswith("renew:"))
    dispatch(app, policy=policy)
    first_wait = _naive(outbox_rows(app)[key].next_attempt_at) - _naive(clock.now)
    clock.advance(minutes=1, seconds=1)
    dispatch(app, policy=policy)
    row = outbox_rows(app)[key]
    assert row.status == "pending" and row.attempts == 2 and "HTTP 503" in row.last_error
    second_wait = _naive(row.next_attempt_at) - _naive(clock.now)
    assert (first_wait, second_wait) == (timedelta(minutes=1), timedelta(minutes=2))
    clock.advance(minutes=3)
    dispatch(app, policy=policy)
    assert outbox_rows(app)[key].status == "failed"
    [item] = review(app, "failed_action")
    assert item.subject == key and "3 attempts" in item.reason and "registrar" in item.suggested_action


def test_taken_domain_fails_into_review_without_buying(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar
) -> None:
    """Someone else registered it after the customer paid: no purchase, a review item; payment still recorded."""
    registrar.add_taken("gone.nz")
    order = new_order("ORD-4002", domain="gone.nz")
    pay(app, accounting, order)
    dispatch(app)
    assert registrar.calls("register") == 0
    [item] = review(app, "failed_action")
    assert "no longer available" in item.reason
    assert len(payments_for(accounting, order.invoice_id)) == 1
    assert order_status(app, "ORD-4002") == "paid"


def test_unknown_upstream_price_blocks_spending(app: App, accounting: FakeAccounting, registrar: FakeRegistrar) -> None:
    """No price for the TLD: nothing is bought, the review item names the setting to add."""
    pay(app, accounting, new_order("ORD-4003", domain="shop.io"))
    dispatch(app)
    assert registrar.calls("register") == 0
    [item] = review(app, "failed_action")
    assert "register_prices" in item.suggested_action


def test_permanent_error_fails_at_once(app: App, accounting: FakeAccounting, registrar: FakeRegistrar) -> None:
    """A refusal from the registrar is not retried."""
    registrar.fail_next("register", PermanentError("Invalid customer-id", system="registrar"))
    pay(app, accounting, new_order("ORD-4004"))
    counts = dispatch(app)
    assert counts["failed"] == 1 and counts["retry"] == 0
    assert "Invalid customer-id" in review(app, "failed_action")[0].reason


def test_done_order_is_not_acted_on_again(app: App, accounting: FakeAccounting, registrar: FakeRegistrar) -> None:
    """An order already done (e.g. settled by hand) spends nothing."""
    order = new_order("ORD-4005")
    pay(app, accounting, order)
    from worker.store.tables import orders

    with app.engine.begin() as conn:
        conn.execute(orders.update().values(status="done"))
    dispatch(app)
    assert registrar.calls("register") == 0


@pytest.mark.faults
def test_expired_claim_of_a_dead_worker_is_taken_over(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """A row left running by a crashed worker is picked up after the lease, and not before."""
    from worker.outbox import claim

    pay(app, accounting, new_order("ORD-5001"))
    policy = OutboxPolicy(lease=timedelta(minutes=15))
    taken = claim(app.engine, worker_id="dead", now=clock(), policy=policy, limit=10)
    assert len(taken) == 2
    assert claim(app.engine, worker_id="w2", now=clock(), policy=policy, limit=10) == []
    clock.advance(minutes=16)
    counts = dispatch(app, policy=policy)
    assert counts["done"] >= 2
    assert registrar.applied("register", "example.co.nz") == 1
    assert order_status(app, "ORD-5001") == "done"


def _naive(moment: datetime) -> datetime:
    """SQLite hands back naive UTC; compare like with like."""
    return moment.replace(tzinfo=None)


def test_deleted_payment_in_xero_does_not_count(app: App, accounting: FakeAccounting) -> None:
    """A payment someone deleted in Xero is not "already there": the receipt is recorded."""
    order = new_order("ORD-1007", kind=OrderKind.HOSTING, domain="")
    accounting.add_order(order)
    deleted = replace(
        receipt_for(order, "pay-del", source=ReceiptSource.XERO_PAYMENT, txn="pi_same"),
        text=(("reference", "pi_same"),),
        flags=("deleted",),
    )
    accounting.add_xero_payment(deleted)
    pay(app, accounting, order, receipt_for(order, txn="pi_same"))
    dispatch(app)
    assert len(payments_for(accounting, order.invoice_id)) == 1
    assert order_status(app, "ORD-1007") == "done"


@pytest.mark.faults
def test_rate_limit_parks_that_system_without_spending_attempts(
    app: App, accounting: FakeAccounting, registrar: FakeRegistrar, clock: Clock
) -> None:
    """A Xero 429 parks every Xero row of the run until Retry-After, attempts untouched; registrations go on."""
    from integrations.errors import RateLimited

    for i in range(3):
        pay(app, accounting, new_order(f"ORD-11{i}", domain=f"rl{i}.nz"))
    accounting.fail_next("payments_on_invoice", RateLimited("429", system="xero", retry_after=60))
    counts = dispatch(app)
    assert counts["parked"] == 6 and counts["failed"] == 0  # 3 payments, then the 3 notes the registrations queued
    assert accounting.calls["payments_on_invoice"] == 1  # the others were not even tried
    assert all(registrar.applied("register", f"rl{i}.nz") == 1 for i in range(3))
    payment_rows = [r for k, r in outbox_rows(app).items() if k.startswith("payment:")]
    assert {(r.status, r.attempts) for r in payment_rows} == {("pending", 0)}
    clock.advance(seconds=61)
    dispatch(app)
    assert all(len(payments_for(accounting, f"inv-ORD-11{i}")) == 1 for i in range(3))
    assert {order_status(app, f"ORD-11{i}") for i in range(3)} == {"done"}
