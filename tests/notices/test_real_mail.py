"""Real notices payment services sent (../shared/realmail, kept outside this repository: see its SOURCES.md) read as
its expected.json says: kind (payment, refund, payout, request, other), amount, currency, payer, transaction id and
the reference the payer wrote; no wrong amount, no payment taken for something else, nothing else taken for a
payment. Runs when that folder exists (or $RW_REALMAIL_DIR names it) and is skipped, saying so, when it does not.

Each sample is wrapped as the mail the inbox would receive: the service's own sender and subject (as SOURCES.md
names them for the text-only samples), addressed to our receiving address and signed with the test DKIM key for
the sender's domain, then read by `notices explain` (the inbox's own reader)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from email.header import Header
from pathlib import Path
from typing import Any

import pytest

from integrations.notices import SenderTrust, builtin_formats
from integrations.notices.explain import explain_notice
from integrations.notices.headers import read_headers
from tests.notices.support import corpus_trust, sign

ROOT = Path(__file__).resolve().parents[2]


def realmail_dir() -> Path | None:
    named = os.environ.get("RW_REALMAIL_DIR")
    # ../shared from the main checkout, ../../shared from a worktree under /work/wt.
    candidates = [Path(named)] if named else [root / "shared" / "realmail" for root in (ROOT.parent, ROOT.parents[1])]
    return next((path for path in candidates if (path / "expected.json").is_file()), None)


REALMAIL = realmail_dir()
pytestmark = pytest.mark.skipif(
    REALMAIL is None,
    reason="no ../shared/realmail (real notices are kept outside the repository; set RW_REALMAIL_DIR to read them)",
)
RECEIVER = "accounts@kiwiweb.example"
# Sender domains of the samples and the service each is read as (what a reseller would allow-list).
SENDERS = {
    "paypal.com": "paypal",
    "paypal.de": "paypal",
    "paypal.at": "paypal",
    "paypal.co.uk": "paypal",
    "stripe.com": "stripe",
    "square.com": "cashapp",
}


def samples() -> list[dict[str, Any]]:
    if REALMAIL is None:
        return []
    return list(json.loads((REALMAIL / "expected.json").read_text(encoding="utf-8"))["samples"])


@pytest.fixture(scope="module")
def trust() -> Iterator[SenderTrust]:
    base = corpus_trust()
    record = base.dns_txt("test1._domainkey.paypal.com")  # the public half of the test key

    def dns_txt(name: str) -> str | None:
        return record if name.startswith("test1._domainkey.") else base.dns_txt(name)

    yield replace(base, payment_senders={**base.payment_senders, **SENDERS}, dns_txt=dns_txt)


def _split(text: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = text.partition(b"\n\n")
    fields: dict[str, str] = {}
    for line in head.decode("utf-8").splitlines():
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return fields, body


def _domain(address: str) -> str:
    found = re.search(r"@([\w.\-]+)", address)
    return found.group(1).lower() if found else ""


def wrapped(sample: dict[str, Any], raw: bytes | None = None) -> bytes:
    """The sample as the mail our inbox would receive from the service, signed with the test key (`raw`: the
    sample's file as given instead of as read, e.g. collapsed onto one line)."""
    assert REALMAIL is not None
    raw = (REALMAIL / "samples" / sample["file"]).read_bytes() if raw is None else raw
    raw = raw.replace(b"\r\n", b"\n")
    if sample["file"].endswith(".eml"):
        headers = read_headers(raw)
        sender = headers.text("from")
        if not any(_domain(sender).endswith(d) for d in SENDERS):
            # Old PayPal mail put the payer in From and PayPal in Sender: the service's own address is the sender.
            sender = headers.text("sender") or "service@paypal.com"
        subject = headers.text("subject")
        content = [
            f"{name}:".encode() + value for name, value in headers.fields if name.startswith(("content-", "mime-"))
        ]
        body = raw[headers.body_offset :]
    else:
        fields, body = _split(raw)
        sender, subject = fields["from"], fields["subject"]
        subtype = "html" if sample["file"].endswith(".html") else "plain"
        content = [
            b"MIME-Version: 1.0",
            f'Content-Type: text/{subtype}; charset="utf-8"'.encode(),
            b"Content-Transfer-Encoding: 8bit",
        ]
    head = [
        f"From: {sender}".encode(),
        f"To: {RECEIVER}".encode(),
        b"Subject: " + Header(subject, "utf-8").encode().encode(),
        b"Date: Mon, 16 Nov 2026 09:00:00 +0000",
        f"Message-ID: <{sample['id']}@realmail.test>".encode(),
        *content,
    ]
    message = b"\n".join(head) + b"\n\n" + body
    domain = _domain(sender)
    signer = next((d for d in SENDERS if domain == d or domain.endswith("." + d)), domain)
    return sign(message, domain=signer)


@pytest.mark.parametrize("sample", samples(), ids=lambda s: s["id"])
def test_real_notice_is_read_as_expected(sample: dict[str, Any], trust: SenderTrust) -> None:
    got = explain_notice(wrapped(sample), trust, builtin_formats(), file=sample["file"]).as_json()
    assert got["authenticated"], got["auth_reasons"]
    assert got["kind"] == sample["kind"], f"kind: {got}"
    if sample.get("gateway"):
        assert got["service"] == sample["gateway"]
    for key, field in (("amount", "amount"), ("currency", "currency"), ("txn_id", "transaction_id")):
        if sample.get(key) is not None:
            assert got[field] == sample[key], f"{field}: {got}"
    if sample.get("payer_name") is not None:
        assert got["payer"] == sample["payer_name"], f"payer: {got}"
    written = " ".join(t["text"] for t in got["payer_text"])
    for key in ("invoice_ref", "payer_note"):
        if sample.get(key):
            assert sample[key] in written, f"{key} {sample[key]!r} not among what the payer wrote: {got}"


def test_no_real_payment_is_missed_and_nothing_else_is_taken_for_one(trust: SenderTrust) -> None:
    """The whole set at once: every payment becomes a receipt of the right amount, and nothing else does."""
    for sample in samples():
        reading = explain_notice(wrapped(sample), trust, builtin_formats()).reading
        if sample["kind"] == "payment":
            assert reading.receipt is not None, (sample["id"], reading.reason)
            assert f"{reading.receipt.money.amount:.2f}" == sample["amount"], sample["id"]
        else:
            assert reading.receipt is None, (sample["id"], reading.reason)
