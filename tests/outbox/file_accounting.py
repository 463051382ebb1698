"""A JSON-file Accounting side for crash tests: it plays Xero across a worker process that is killed and restarted.

It deliberately does NOT replay on idempotency keys (as if Xero had pruned them), so only the worker's own
check-before-acting keeps a payment from being recorded twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from filelock import FileLock

from integrations.ports import InvoiceDraft, PaymentDraft, Quota
from rules.model import Receipt, ReceiptSource
from rules.money import Money


class FileAccounting:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        with FileLock(str(self.path) + ".lock"):
            s = (
                json.loads(self.path.read_text())
                if self.path.exists()
                else {"payments": [], "notes": [], "invoices": []}
            )
            yield s
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(s))
            tmp.replace(self.path)

    def payments(self) -> list[dict[str, Any]]:
        with self._state() as s:
            return list(s["payments"])

    def notes(self) -> list[dict[str, Any]]:
        with self._state() as s:
            return list(s["notes"])

    def payments_on_invoice(self, invoice_id: str) -> Sequence[Receipt]:
        with self._state() as s:
            return [
                Receipt(
                    receipt_id=p["id"],
                    source=ReceiptSource.XERO_PAYMENT,
                    received_at=datetime.combine(datetime.fromisoformat(p["paid_on"]).date(), time(), UTC),
                    money=Money.of(p["amount"], p["currency"]),
                    text=(("reference", p["reference"]),),
                    invoice_id=invoice_id,
                )
                for p in s["payments"]
                if p["invoice_id"] == invoice_id
            ]

    def invoice_amount_due(self, invoice_id: str) -> Money | None:
        return None  # this file keeps payments, not invoices: the worker cannot tell and records as asked

    def record_payment(self, draft: PaymentDraft, *, idempotency_key: str) -> str:
        with self._state() as s:
            pid = str(uuid.uuid4())
            s["payments"].append(
                {
                    "id": pid,
                    "invoice_id": draft.invoice_id,
                    "amount": str(draft.amount.amount),
                    "currency": draft.amount.currency,
                    "paid_on": draft.paid_on.isoformat(),
                    "reference": draft.reference,
                    "key": idempotency_key,
                }
            )
            return pid

    def add_history_note(self, invoice_id: str, note: str, *, idempotency_key: str) -> None:
        with self._state() as s:
            s["notes"].append({"invoice_id": invoice_id, "note": note, "key": idempotency_key})

    def history_notes(self, invoice_id: str) -> list[str]:
        with self._state() as s:
            return [n["note"] for n in s["notes"] if n["invoice_id"] == invoice_id]

    def create_invoice(self, draft: InvoiceDraft, *, idempotency_key: str) -> tuple[str, str]:
        with self._state() as s:
            iid = str(uuid.uuid4())
            s["invoices"].append({"id": iid, "reference": draft.reference, "key": idempotency_key})
            return iid, f"INV-{len(s['invoices']):04d}"

    def quota(self) -> Quota:
        return Quota()
