"""A minimal stand-in for `integrations.notices.read_notice`, honouring the NoticeReading contract.

Header-driven (X-Test-Outcome, X-Amount, X-Txn) so the inbox tests control the outcome of each message; the
real reader is exercised by the Notices area's own tests and, when present, by the fuzz test.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from rules.model import DecisionKind, NoticeReading, Receipt, ReceiptSource
from rules.money import Money

SENDERS = {"paypal.com": "paypal", "stripe.com": "stripe"}


def read_standin(raw: bytes) -> NoticeReading:
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
        message_id = str(msg.get("Message-ID", "") or "").strip().strip("<>").strip() or digest
        froms = msg.get_all("From") or []
    except Exception as exc:
        return NoticeReading(message_id=digest, received_at=None, quarantine=True, reason=f"unparsable: {exc}")
    if len(froms) != 1:
        return NoticeReading(message_id=message_id, received_at=None, quarantine=True, reason="not exactly one From")
    try:
        outcome = str(msg.get("X-Test-Outcome", "") or "")
        domain = str(froms[0]).rpartition("@")[2].strip(" >").lower()
    except Exception as exc:
        return NoticeReading(message_id=message_id, received_at=None, quarantine=True, reason=f"bad header: {exc}")
    now = datetime(2026, 11, 26, tzinfo=UTC)
    if outcome == "reject":
        return NoticeReading(message_id=message_id, received_at=now, verdict=DecisionKind.REJECT, reason="DKIM fail")
    if outcome == "ignore":
        return NoticeReading(message_id=message_id, received_at=now, verdict=DecisionKind.IGNORE, reason="no payment")
    if outcome == "review":
        return NoticeReading(message_id=message_id, received_at=now, verdict=DecisionKind.REVIEW, reason="unsure")
    gateway = SENDERS.get(domain, "")
    if not gateway and outcome != "forwarded":
        return NoticeReading(message_id=message_id, received_at=now, quarantine=True, reason="unknown template")
    try:
        amount = Money(amount=Decimal(str(msg.get("X-Amount", "10.00"))), currency="NZD")
        txn = str(msg.get("X-Txn", "") or "")
    except (InvalidOperation, ValueError, TypeError) as exc:
        return NoticeReading(message_id=message_id, received_at=now, quarantine=True, reason=f"bad amount: {exc}")
    gateway = gateway or "stripe"
    receipt = Receipt(
        receipt_id=message_id,
        source=ReceiptSource.NOTICE,
        received_at=now,
        money=amount,
        gateway=gateway,
        gateway_txn_id=txn,
        payer_name=str(msg.get("X-Payer", "") or ""),
    )
    return NoticeReading(
        message_id=message_id,
        received_at=now,
        receipt=receipt,
        forwarded=outcome == "forwarded",
        gateway=gateway,
        gateway_txn_id=txn,
    )


def notice(
    n: int,
    *,
    txn: str | None = None,
    outcome: str = "",
    sender: str = "notifications@stripe.com",
    amount: str = "10.00",
    message_id: str | None = None,
    extra: str = "",
) -> bytes:
    """A small payment notice the stand-in reads as `outcome` (default: a receipt)."""
    mid = message_id if message_id is not None else f"notice-{n}@test.local"
    lines = [
        f"From: Gateway <{sender}>",
        "To: billing@reseller.test",
        f"Subject: Payment {n}",
        f"Message-ID: <{mid}>",
        "Date: Thu, 26 Nov 2026 06:00:00 +0000",
        f"X-Amount: {amount}",
        f"X-Txn: {txn if txn is not None else f'txn_{n}'}",
    ]
    if outcome:
        lines.append(f"X-Test-Outcome: {outcome}")
    if extra:
        lines.append(extra)
    return ("\r\n".join(lines) + f"\r\n\r\nYou received NZ${amount} (payment {n}).\r\n").encode()
