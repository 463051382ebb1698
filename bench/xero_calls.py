"""How many Xero calls the worker spends: an idle poll cycle, a cycle that brings in 100 payments, and a payout.

Runs `sync_xero` with the real adapter against the sandbox and prints
`idle_cycle_calls=<n>` (target <= 1) and `calls_for_100_payments=<n>` (target: pages, not one call per item).
Then a Stripe payout of 50 card payments, read through the official package from the Stripe emulator and matched
by `match_payouts`, and its fee and transfer booked: `calls_per_payout=<n>` (Xero calls; target: the same for 1 or
1,000 charges) and `stripe_calls_per_payout=<n>` (pages).
Usage: .venv/bin/python bench/xero_calls.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import load_settings
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.adapter import XeroAccounting, poll_spacing
from integrations.xero.sandbox import XeroSandbox, seed_demo
from integrations.xero.sandbox import spec as sandbox_spec
from integrations.xero.tokens import MemoryTokenStore, XeroTokens
from worker.app import App
from worker.jobs.xero_sync import sync_xero
from worker.store.database import make_engine, upgrade


class Clock:
    """Real time plus an offset the bench moves, so poll spacing can be stepped over."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def _orders(n: int) -> list[dict[str, object]]:
    return [
        {
            "order_id": f"ORD-{i}",
            "kind": ("domain_renewal", "domain_registration", "hosting")[i % 3],
            "invoice_number": f"INV-{i:04d}",
            "invoice_id": f"11111111-0000-4000-8000-{i:012d}",
            "contact": {
                "contact_id": f"00000000-0000-4000-8000-{i:012d}",
                "name": f"Customer {i}",
                "email": f"c{i}@example.org",
            },
            "domain": f"site{i}.co.nz",
            "plan": "Starter",
            "amount_due": "30.00",
            "currency": "NZD",
            "issued": "2026-11-01",
            "due": "2026-11-15",
        }
        for i in range(1, n + 1)
    ]


def main() -> None:
    books_clock = Clock()
    books_clock.offset = -timedelta(hours=2)  # the organisation's history happened two hours ago
    with tempfile.TemporaryDirectory() as tmp, XeroSandbox(clock=books_clock) as sb:
        settings = load_settings(None, {"RW_WORKER_DATA_DIR": tmp})
        xero = replace(settings.xero, base_url=sb.base_url)
        clock = Clock()
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        adapter = XeroAccounting(
            xero, tokens=XeroTokens(settings=xero, store=MemoryTokenStore(), clock=clock), clock=clock
        )
        app = App(
            settings=settings,
            engine=engine,
            clock=clock,
            accounting=adapter,
            registrar=FakeRegistrar(),
            mailer=None,
            open_mailbox=None,
        )
        seed_demo(sb, orders=_orders(120))
        first_calls = sb.count()
        sync_xero(app)  # the first load
        first_calls = sb.count() - first_calls
        books_clock.offset = timedelta()  # now: nothing has changed for two hours
        clock.offset += timedelta(minutes=5)
        sync_xero(app)  # the cycles in between (one stands for them all)

        step = poll_spacing("invoices", xero.daily_budget, adapter.quota().day_remaining) + timedelta(seconds=1)
        clock.offset += step  # the invoice poll is due again; the bank poll (spaced wider) is not
        before = sb.count()
        t0 = time.monotonic()
        sync_xero(app)
        idle_calls = sb.count() - before
        if "-v" in sys.argv:
            print([(c.method, c.path, c.status) for c in sb.calls[before:]])
        idle_seconds = time.monotonic() - t0

        clock.offset += poll_spacing("bank", xero.daily_budget, adapter.quota().day_remaining)
        before = sb.count()
        sync_xero(app)
        idle_with_bank = sb.count() - before

        with sb._lock:  # 100 customers pay through Xero's online invoice
            for i in range(1, 101):
                sb.books.add_payment(
                    {
                        "Invoice": {"InvoiceID": f"11111111-0000-4000-8000-{i:012d}"},
                        "Account": {"Code": "090"},
                        "Amount": "30.00",
                        "Date": date(2026, 11, 20).isoformat(),
                        "Reference": f"card {i}",
                    }
                )
        clock.offset += step
        before = sb.count()
        counts = sync_xero(app)
        pay_calls = sb.count() - before
        assert counts["payments_new"] == 100, counts
        assert not sb.violations, sb.violations

        print(f"first_load_calls={first_calls} (120 open invoices, contacts, bank lines)")
        print(f"idle_cycle_calls={idle_calls} (invoices due, bank not due; {idle_seconds * 1000:.0f} ms)")
        print(
            f"idle_cycle_calls_with_bank_poll={idle_with_bank} (once per "
            f"{poll_spacing('bank', xero.daily_budget, None)} at a {xero.daily_budget}/day budget)"
        )
        print(f"calls_for_100_payments={pay_calls} (changed invoices page + payments page)")
        print(f"spec_load_seconds={sandbox_spec.load_seconds}")
    payout_bench(charges=50)


def payout_bench(*, charges: int) -> None:
    """One Stripe payout of `charges` card payments: the Xero calls (and Stripe pages) of matching and booking it."""
    from integrations.stripe.adapter import StripePaymentService
    from integrations.stripe.emulator import StripeEmulator
    from integrations.xero.sandbox.banking import add_account
    from rules.model import Decision, DecisionKind, Receipt, ReceiptSource
    from rules.money import Money
    from rules.payouts import FeeRate
    from rules.sources import order_from_dict
    from worker.jobs.dispatch import dispatch_outbox
    from worker.jobs.match import match_receipts
    from worker.jobs.payouts import match_payouts
    from worker.outbox import enqueue_effects_for_decision
    from worker.store.orders import order_values
    from worker.store.tables import orders

    key = "rk_test_bench"
    rate = FeeRate(percent=Decimal("2.7"), fixed=Decimal("0.30"))
    today = datetime.now(UTC).date()
    # The 50 card payments arrive over days; here within a second, so Xero's minute limit is lifted for them.
    with tempfile.TemporaryDirectory() as tmp, XeroSandbox(minute_limit=10_000) as sb:
        add_account(sb.books, "091", "Stripe clearing", "BANK")
        emulator = StripeEmulator(api_key=key)
        with emulator.serve() as stripe_url:
            config = Path(tmp) / "worker.toml"
            config.write_text('[gateways.stripe.fees]\nNZD = "2.7% + 0.30"\n', encoding="utf-8")
            env = {
                "RW_WORKER_DATA_DIR": tmp,
                "RW_GATEWAYS_STRIPE_CLEARING_ACCOUNT": "091",
                "RW_GATEWAYS_STRIPE_API": "stripe",
                "RW_GATEWAYS_STRIPE_API_KEY": key,
            }
            settings = load_settings(config, env)
            xero = replace(settings.xero, base_url=sb.base_url)
            clock = Clock()
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            upgrade(engine)
            adapter = XeroAccounting(
                xero,
                tokens=XeroTokens(settings=xero, store=MemoryTokenStore(), clock=clock),
                clock=clock,
                space_polls=False,
            )
            stripe_service = StripePaymentService(api_key=key, api_base=stripe_url)
            app = App(
                settings=settings,
                engine=engine,
                clock=clock,
                accounting=adapter,
                registrar=FakeRegistrar(),
                mailer=None,
                open_mailbox=None,
                payment_services={"stripe": stripe_service},
            )
            rows = _orders(charges)
            seed_demo(sb, orders=rows)
            paid_on = today - timedelta(days=6)
            net = Decimal("0")
            with engine.begin() as conn:
                for row in rows:
                    order = order_from_dict(row)
                    intent = f"pi_bench_{order.order_id}"
                    receipt = Receipt(
                        receipt_id=f"{order.order_id}@stripe.com",
                        source=ReceiptSource.NOTICE,
                        received_at=datetime.combine(paid_on, datetime.min.time(), UTC),
                        money=order.amount_due,
                        gateway="stripe",
                        gateway_txn_id=intent,
                    )
                    conn.execute(
                        orders.insert().values(
                            order_id=order.order_id, **order_values(order), status="paid", updated_at=clock()
                        )
                    )
                    decision = Decision(receipt_id=receipt.receipt_id, kind=DecisionKind.AUTO, orders=(order.order_id,))
                    enqueue_effects_for_decision(
                        conn, decision=decision, receipt=receipt, orders=[order], now=clock(), zone=UTC
                    )
                    fee = Money(amount=rate.fee(order.amount_due.amount), currency="NZD")
                    emulator.charge(order.amount_due, fee, at=receipt.received_at, payment_intent=intent)
                    net += order.amount_due.amount - fee.amount
            dispatch_outbox(app)  # the card payments, on the clearing account (one per charge, as they come)
            emulator.pay_out(arrival=today - timedelta(days=1))
            sb.books.add_statement_line(
                {
                    "statementLineId": "33333333-0000-4000-8000-000000000001",
                    "postedDate": (today - timedelta(days=1)).isoformat(),
                    "payee": "STRIPE",
                    "reference": "STRIPE PAYOUT",
                    "amount": float(net),
                    "type": "CREDIT",
                }
            )
            sync_xero(app)
            match_receipts(app)
            before, stripe_before = sb.count(), stripe_service.calls
            matched = match_payouts(app)
            booked = dispatch_outbox(app)
            calls = sb.count() - before
            assert matched["matched"] == 1 and booked["done"] == 2, (matched, booked)
            assert not sb.violations, sb.violations
            paths = sorted(f"{c.method} {c.path.rsplit('/', 1)[-1]}" for c in sb.calls[before:])
            print(f"calls_per_payout={calls} (a Stripe payout of {charges} charges: {', '.join(paths)})")
            print(f"stripe_calls_per_payout={stripe_service.calls - stripe_before} (payouts page + contents pages)")


if __name__ == "__main__":
    main()
