"""Measured against the Xero sandbox (every request and response held to Xero's OpenAPI document), after a cycle:
for every settled payout the clearing account's movement is zero (its payments in, its fees and transfer out), the
transfer equals the payout's bank line, and no card payment is recorded on the bank account."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from integrations.xero.sandbox import XeroSandbox, seed_demo
from integrations.xero.sandbox.banking import movement
from integrations.xero.sandbox.books import money
from rules.model import Decision, DecisionKind, Receipt, ReceiptSource
from rules.money import Money
from tests.xero.contract import an_order
from tests.xero.sandbox_books import make_adapter, order_json
from worker.app import App
from worker.jobs.dispatch import dispatch_outbox
from worker.jobs.match import match_receipts
from worker.jobs.payouts import match_payouts
from worker.jobs.xero_sync import sync_xero
from worker.outbox import enqueue_effects_for_decision
from worker.store.orders import order_values
from worker.store.payout_tables import card_payments, payouts
from worker.store.tables import orders

from .conftest import PAYPAL_RATE, gateway_settings, make_app, net

pytestmark = pytest.mark.xero
TODAY = datetime.now(UTC).date()
STRIPE_LINE, PAYPAL_LINE = "22222222-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002"


def _paid_by_card(app: App, sb: XeroSandbox, n: int, amount: str, day: date, gateway: str) -> Receipt:
    """An open invoice in Xero, and its card notice decided auto as the matching job would."""
    order = an_order(n, amount=amount)
    seed_demo(sb, orders=[order_json(order)])
    receipt = Receipt(
        receipt_id=f"{n:04d}.notice@{gateway}.com",
        source=ReceiptSource.NOTICE,
        received_at=datetime.combine(day, time(9), UTC),
        money=Money.of(amount, "NZD"),
        gateway=gateway,
        gateway_txn_id=f"{gateway[:2]}_{n:04d}",
    )
    now = app.clock()
    with app.engine.begin() as conn:
        conn.execute(
            orders.insert().values(
                order_id=order.order_id,
                **order_values(order),
                status="paid",
                paid_by=receipt.receipt_id,
                updated_at=now,
            )
        )
        decision = Decision(receipt_id=receipt.receipt_id, kind=DecisionKind.AUTO, orders=(order.order_id,))
        enqueue_effects_for_decision(
            conn, decision=decision, receipt=receipt, orders=[order], now=now, zone=app.settings.worker.zone
        )
    return receipt


def _bank_line(sb: XeroSandbox, line_id: str, amount: Decimal, day: date, payee: str) -> None:
    sb.books.add_statement_line(
        {
            "statementLineId": line_id,
            "postedDate": day.isoformat(),
            "payee": payee,
            "reference": "PAYOUT",
            "amount": float(amount),
            "type": "CREDIT",
        }
    )


def _cycle(app: App) -> None:
    for job in (sync_xero, match_receipts, match_payouts, dispatch_outbox):
        job(app)


def test_every_settled_payout_empties_its_clearing_account_into_the_bank(
    engine: Engine, tmp_path: Path, sandbox: XeroSandbox
) -> None:
    app = make_app(
        engine, gateway_settings(tmp_path), lambda: datetime.now(UTC), make_adapter(sandbox, space_polls=False)
    )
    days = [TODAY - timedelta(days=d) for d in (12, 11, 10, 9)]
    stripe = [
        _paid_by_card(app, sandbox, n, a, days[n - 1], "stripe")
        for n, a in ((1, "45.00"), (2, "30.00"), (3, "120.00"), (4, "35.00"))
    ]
    paypal = [_paid_by_card(app, sandbox, n, a, days[n - 11], "paypal") for n, a in ((11, "134.00"), (12, "35.00"))]
    never = _paid_by_card(app, sandbox, 21, "45.00", TODAY - timedelta(days=30), "stripe")  # no payout ever carries it
    _cycle(app)  # the card payments are recorded on the clearing accounts
    stripe_net = net("45.00", "30.00", "120.00", "35.00")
    paypal_net = net("134.00", "35.00", rate=PAYPAL_RATE)
    # The worker's first cycle saw the old payment first; the payout carries the four recent ones.
    _bank_line(sandbox, STRIPE_LINE, stripe_net, TODAY - timedelta(days=2), "STRIPE")
    _bank_line(sandbox, PAYPAL_LINE, paypal_net, TODAY - timedelta(days=1), "PAYPAL")
    _cycle(app)

    books = sandbox.books
    with app.engine.connect() as conn:
        settled = conn.execute(select(payouts).where(payouts.c.state == "settled")).all()
        carried = {r.receipt_id: r.payout_key for r in conn.execute(select(card_payments))}
    assert sorted(p.gateway for p in settled) == ["paypal", "stripe"]
    lines = {line["statementLineId"]: Decimal(str(line["amount"])) for line in books.statement_lines}
    for payout in settled:
        clearing = "091" if payout.gateway == "stripe" else "092"
        ins = sum(
            (
                money(p.data["Amount"])
                for p in books.payments.values()
                if p.data.get("Reference") in _refs(carried, payout.key, [*stripe, *paypal])
            ),
            Decimal("0"),
        )
        outs = {
            bt.data["Type"]: money(bt.data["Total"])
            for bt in books.bank_transactions.values()
            if bt.data.get("Reference") == payout.reference and bt.data["BankAccount"]["Code"] == clearing
        }
        assert ins - outs["SPEND"] - outs["SPEND-TRANSFER"] == 0, (payout.key, ins, outs)
        [transfer] = [t.data for t in books.bank_transfers.values() if t.data.get("Reference") == payout.reference]
        assert money(transfer["Amount"]) == lines[payout.bank_line]
        assert (transfer["FromBankAccount"]["Code"], transfer["ToBankAccount"]["Code"]) == (clearing, "090")
    # No card payment on the bank account; the one never paid out still waits on Stripe's clearing account.
    card_refs = {r.gateway_txn_id for r in [*stripe, *paypal, never]}
    on_bank = [p.data for p in books.payments.values() if p.data["Account"]["Code"] == "090"]
    assert not [p for p in on_bank if p.get("Reference") in card_refs]
    assert movement(books, "091") == Decimal("45.00")  # exactly the payment no payout carried
    assert movement(books, "092") == Decimal("0")
    assert movement(books, "090") == stripe_net + paypal_net
    assert carried[never.receipt_id] is None


def _refs(carried: dict[str, Any], key: str, receipts: list[Receipt]) -> set[str]:
    return {r.gateway_txn_id for r in receipts if carried.get(r.receipt_id) == key}


def test_a_transfer_the_accountant_reconciled_is_the_second_evidence(
    engine: Engine, tmp_path: Path, sandbox: XeroSandbox
) -> None:
    """Without a bank feed the worker can read, the payout reached the bank when Xero shows its transfer reconciled
    (the accountant matched the payout's bank line to it); Xero is asked at most hourly."""
    from integrations.xero.sandbox.banking import reconcile_transfer
    from rules.payouts import Sighting, SightingSource
    from worker.jobs.payouts import add_sighting

    from .conftest import Clock

    clock = Clock(now=datetime.now(UTC))
    app = make_app(engine, gateway_settings(tmp_path), clock, make_adapter(sandbox, space_polls=False))
    cards = [
        _paid_by_card(app, sandbox, n, a, TODAY - timedelta(days=9), "stripe") for n, a in ((1, "45.00"), (2, "30.00"))
    ]
    _cycle(app)
    amount = Money(amount=net("45.00", "30.00"), currency="NZD")
    with app.engine.begin() as conn:
        add_sighting(
            conn,
            Sighting(
                source=SightingSource.NOTICE,
                ref="payout-9@stripe.com",
                gateway="stripe",
                net=amount,
                on=TODAY - timedelta(days=2),
            ),
            clock(),
        )
    _cycle(app)
    with app.engine.connect() as conn:
        [payout] = conn.execute(select(payouts)).all()
    assert payout.state == "waiting" and payout.matched == 1
    [transfer] = [t for t in sandbox.books.bank_transfers.values() if t.data.get("Reference") == payout.reference]
    asked = lambda: sandbox.count("GET", "/BankTransfers")  # noqa: E731
    before = asked()
    clock.now += timedelta(hours=2)
    match_payouts(app)  # not reconciled yet: asked once, still waiting
    assert asked() == before + 1
    match_payouts(app)  # asked again only after an hour
    assert asked() == before + 1
    reconcile_transfer(sandbox.books, transfer.data["BankTransferID"])
    clock.now += timedelta(hours=2)
    assert match_payouts(app)["settled"] == 1
    with app.engine.connect() as conn:
        [payout] = conn.execute(select(payouts)).all()
        states = {r.receipt_id: r.state for r in conn.execute(select(card_payments))}
    assert payout.state == "settled" and payout.bank_line == "reconciled in Xero"
    assert states == {c.receipt_id: "settled" for c in cards}
