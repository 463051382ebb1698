"""The demo's card money: Stripe, PayPal and Windcave set up with clearing accounts, and, once the cycle has recorded
the card payments on them, the payment services paying out as they would over the following days: a Stripe payout
of several charges net of fees (its contents read from the Stripe emulator through the official package), a PayPal
transfer (matched by window and fee schedule), and a Windcave payment that no payout ever carries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.stripe.emulator import StripeEmulator
from integrations.xero.sandbox.banking import add_account
from integrations.xero.sandbox.server import XeroSandbox
from rules.money import Money
from rules.payouts import FeeRate
from worker.store.payout_tables import card_payments

DEMO_STRIPE_KEY = "rk_test_demo_reseller"
STRIPE_FEES = FeeRate(percent=Decimal("2.7"), fixed=Decimal("0.30"))
PAYPAL_FEES = FeeRate(percent=Decimal("3.9"), fixed=Decimal("0.45"))

SETTINGS = """
[gateways.stripe]
clearing_account = "091"
payout_days = 4
api = "stripe"

[gateways.stripe.fees]
NZD = "2.7% + 0.30"

[gateways.paypal]
clearing_account = "092"
payout_days = 5

[gateways.paypal.fees]
NZD = "3.9% + 0.45"

[gateways.windcave]
clearing_account = "093"
payout_days = 2

[gateways.windcave.fees]
NZD = "2.5% + 0.25"
"""


def environment(stripe_url: str) -> dict[str, str]:
    """The Stripe API key (a secret: environment only) and the emulator standing in for Stripe."""
    return {"RW_GATEWAYS_STRIPE_API_KEY": DEMO_STRIPE_KEY, "RW_GATEWAYS_STRIPE_API_BASE": stripe_url}


def open_clearing_accounts(sandbox: XeroSandbox) -> None:
    """The clearing accounts an accountant sets up once, one bank-type account per payment service."""
    with sandbox._lock:
        for code, name in (("091", "Stripe clearing"), ("092", "PayPal clearing"), ("093", "Windcave clearing")):
            add_account(sandbox.books, code, name, "BANK")


def pay_out(engine: Engine, sandbox: XeroSandbox, stripe: StripeEmulator, *, today: date) -> dict[str, Any]:
    """The services pay out: Stripe the charges of up to five days before `today` less four business days' wait,
    PayPal a transfer of what was in its balance a week ago; Windcave nothing. Returns what was paid out."""
    with engine.connect() as conn:
        rows = conn.execute(select(card_payments).order_by(card_payments.c.paid_on, card_payments.c.receipt_id)).all()
    stripe_rows = [r for r in rows if r.gateway == "stripe" and r.txn_id.startswith("pi_")][:3]
    paypal_rows = [r for r in rows if r.gateway == "paypal"][:3]
    done: dict[str, Any] = {}
    if stripe_rows:
        for r in stripe_rows:
            gross = Money.of(r.amount, r.currency)
            fee = Money(amount=STRIPE_FEES.fee(gross.amount), currency=gross.currency)
            stripe.charge(
                gross, fee, at=datetime.combine(date.fromisoformat(r.paid_on), time(9), UTC), payment_intent=r.txn_id
            )
        arrival = max(date.fromisoformat(r.paid_on) for r in stripe_rows).replace(day=25)
        payout_id = stripe.pay_out(arrival=arrival)
        net = Decimal(stripe.objects[payout_id]["amount"]) / 100
        _bank_line(sandbox, "44444444-0000-4000-8000-000000000001", net, arrival, "STRIPE", "STRIPE PAYOUT")
        done["stripe"] = (payout_id, net, len(stripe_rows))
    if paypal_rows:
        net = sum((Decimal(r.amount) - PAYPAL_FEES.fee(Decimal(r.amount)) for r in paypal_rows), Decimal("0"))
        day = max(date.fromisoformat(r.paid_on) for r in paypal_rows).replace(day=20)
        _bank_line(sandbox, "44444444-0000-4000-8000-000000000002", net, day, "PAYPAL", "PAYPAL TRANSFER")
        done["paypal"] = (net, len(paypal_rows))
    return done


def _bank_line(sandbox: XeroSandbox, line_id: str, amount: Decimal, day: date, payee: str, reference: str) -> None:
    with sandbox._lock:
        sandbox.books.add_statement_line(
            {
                "statementLineId": line_id,
                "postedDate": day.isoformat(),
                "transactionDate": day.isoformat(),
                "payee": payee,
                "reference": reference,
                "amount": float(amount),
                "type": "CREDIT",
            }
        )


def summary(engine: Engine, settings: Settings, today: date, paid_out: dict[str, Any]) -> str:
    """What `reseller-worker payouts list` shows after the demo's payouts."""
    from worker.payouts import list_payouts, never_paid, payouts_text

    with engine.connect() as conn:
        views = list_payouts(conn)
        late = never_paid(conn, settings, today)
    head = "PAYOUTS (reseller-worker payouts list)\n" + "-" * 78
    return f"{head}\n{payouts_text(views, late)}\n"
