"""A card payment is recorded on its payment service's clearing account; a bank receipt, and a card payment through
a service that is not set up, on the bank account, as before."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from config.settings import load_settings
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from rules.model import ReceiptSource
from tests.outbox.conftest import Clock, make_app, new_order, pay, payments_for, receipt_for
from worker.jobs.dispatch import dispatch

GATEWAYS = {
    "RW_GATEWAYS_STRIPE_CLEARING_ACCOUNT": "091",
    "RW_GATEWAYS_PAYPAL_CLEARING_ACCOUNT": "092",
}


def test_each_payment_goes_to_the_account_its_money_waits_on(engine: Engine, tmp_path: Path) -> None:
    clock = Clock()
    settings = load_settings(None, {"RW_WORKER_DATA_DIR": str(tmp_path), **GATEWAYS})
    accounting = FakeAccounting(clock=clock)
    accounting.add_account("091", "Stripe clearing")
    accounting.add_account("092", "PayPal clearing")
    app = make_app(engine, settings, clock, accounting, FakeRegistrar(clock=clock))
    stripe, paypal, windcave, bank = (new_order(f"ORD-20{i}", domain=f"d{i}.nz") for i in range(4))
    pay(app, accounting, stripe, receipt_for(stripe))
    pay(app, accounting, paypal, replace(receipt_for(paypal), gateway="paypal", gateway_txn_id="8AB12345CD678901E"))
    pay(app, accounting, windcave, replace(receipt_for(windcave), gateway="windcave", gateway_txn_id="000000012ab"))
    pay(
        app,
        accounting,
        bank,
        replace(receipt_for(bank), source=ReceiptSource.BANK_LINE, gateway="", gateway_txn_id=""),
    )
    counts = dispatch(app)
    assert counts["failed"] == 0, counts
    accounts = {
        o.order_id: payments_for(accounting, o.invoice_id)[0].account_code for o in (stripe, paypal, windcave, bank)
    }
    assert accounts == {
        "ORD-200": "091",  # Stripe's clearing account
        "ORD-201": "092",  # PayPal's
        "ORD-202": "090",  # Windcave is not set up: the bank account, as before
        "ORD-203": "090",  # a bank receipt
    }
