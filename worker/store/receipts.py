"""One way to store a Receipt in `receipts.payload` and read it back, for every source.

The payload keeps every field (money as a decimal string), so what matching reads is what the source gave.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date
from typing import Any

from rules.model import Receipt, ReceiptSource
from rules.money import Money


def clean_text(text: str) -> str:
    """Text both databases accept: no NUL, no lone surrogates (hostile headers carry both)."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def receipt_payload(receipt: Receipt, *, forwarded: bool = False) -> dict[str, Any]:
    """The receipt as JSON for `receipts.payload`; `forwarded` marks a notice a member of staff forwarded."""
    return {
        "receipt_id": clean_text(receipt.receipt_id),
        "source": receipt.source.value,
        "received_at": receipt.received_at.isoformat(),
        "paid_on": receipt.paid_on.isoformat() if receipt.paid_on else None,
        "amount": str(receipt.money.amount),
        "currency": receipt.money.currency,
        "payer_name": clean_text(receipt.payer_name),
        "payer_email": clean_text(receipt.payer_email),
        "text": [[clean_text(k), clean_text(v)] for k, v in receipt.text],
        "gateway": clean_text(receipt.gateway),
        "gateway_txn_id": clean_text(receipt.gateway_txn_id),
        "invoice_id": clean_text(receipt.invoice_id),
        "invoice_number": clean_text(receipt.invoice_number),
        "raw_kind": clean_text(receipt.raw_kind),
        "flags": [clean_text(str(f)) for f in receipt.flags],
        "account_code": clean_text(receipt.account_code),
        "forwarded": forwarded,
    }


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def receipt_from_row(row: Any) -> Receipt:
    """A Receipt from a `receipts` row: the columns, completed from the stored payload."""
    payload = row.payload if isinstance(row.payload, Mapping) else {}
    received = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=UTC)
    text = payload.get("text") or ()
    pairs = tuple((str(p[0]), str(p[1])) for p in text if isinstance(p, list | tuple) and len(p) == 2)
    flags = payload.get("flags") or ()
    return Receipt(
        receipt_id=row.receipt_id,
        source=ReceiptSource(row.source),
        received_at=received,
        paid_on=_date(payload.get("paid_on")),
        money=Money.of(row.amount, row.currency),
        payer_name=str(payload.get("payer_name", "") or ""),
        payer_email=str(payload.get("payer_email", "") or ""),
        text=pairs,
        gateway=row.gateway or str(payload.get("gateway", "") or ""),
        gateway_txn_id=row.gateway_txn_id or str(payload.get("gateway_txn_id", "") or ""),
        invoice_id=str(payload.get("invoice_id", "") or ""),
        invoice_number=str(payload.get("invoice_number", "") or ""),
        raw_kind=str(payload.get("raw_kind", "") or ""),
        flags=tuple(str(f) for f in flags) if isinstance(flags, list | tuple) else (),
        account_code=str(payload.get("account_code", "") or ""),
    )


def was_forwarded(row: Any) -> bool:
    payload = row.payload if isinstance(row.payload, Mapping) else {}
    return bool(payload.get("forwarded"))
