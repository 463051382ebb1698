"""A receipt stored by any source reads back as the same Receipt, and a reconciled Xero payment still confirms
the Xero notice of the day it was made."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, insert, select

from rules.matching import PaymentRecord
from rules.model import Receipt, ReceiptSource
from rules.money import Money
from worker.store.receipts import receipt_from_row, receipt_payload, was_forwarded
from worker.store.tables import receipts

WHEN = datetime(2026, 11, 2, 8, 3, 49, tzinfo=UTC)


def a_receipt(**changes: object) -> Receipt:
    values: dict[str, object] = {
        "receipt_id": "pay-1",
        "source": ReceiptSource.XERO_PAYMENT,
        "received_at": WHEN,
        "paid_on": date(2026, 11, 2),
        "money": Money.of("134.00", "NZD"),
        "payer_name": "Noah Wilson",
        "payer_email": "noah@example.nz",
        "text": (("reference", "INV-0643"),),
        "gateway": "xero",
        "gateway_txn_id": "pay-1",
        "invoice_id": "inv-1",
        "invoice_number": "INV-0643",
        "raw_kind": "ACCRECPAYMENT",
        "flags": ("reconciled",),
    }
    values.update(changes)
    return Receipt(**values)  # type: ignore[arg-type]


def test_payload_round_trips_every_field(engine: Engine) -> None:
    """Whatever a source stored (flags and payment date included) is what matching later reads."""
    original = a_receipt()
    with engine.begin() as conn:
        conn.execute(
            insert(receipts).values(
                receipt_id=original.receipt_id,
                source=original.source.value,
                received_at=original.received_at,
                amount=str(original.money.amount),
                currency="NZD",
                gateway="xero",
                gateway_txn_id="pay-1",
                payload=receipt_payload(original, forwarded=True),
                status="new",
                created_at=WHEN,
            )
        )
        row = conn.execute(select(receipts)).one()
    assert receipt_from_row(row) == original
    assert was_forwarded(row)


def test_hostile_text_is_made_storable() -> None:
    """NUL bytes and lone surrogates from a hostile notice are replaced, not passed to the database."""
    payload = receipt_payload(a_receipt(payer_name="Eve\x00\udcff"))
    assert payload["payer_name"] == "Eve\ufffd?"


def test_a_payment_reconciled_weeks_later_still_confirms_its_notice() -> None:
    """Reconciling moves a payment's UpdatedDateUTC, not its Date: the notice of the payment day is confirmed."""
    reconciled = a_receipt(received_at=WHEN + timedelta(days=20))
    record = PaymentRecord([reconciled])
    window = timedelta(hours=24)
    assert record.confirming("INV-0643", Money(amount=Decimal("134"), currency="NZD"), WHEN, window) == reconciled
    assert record.confirming("INV-0643", Money.of("134.00", "NZD"), WHEN + timedelta(days=5), window) is None
    assert record.confirming("INV-0643", Money.of("135.00", "NZD"), WHEN, window) is None
