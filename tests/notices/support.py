"""Helpers for the notice reader tests: fixture mail, made-up messages, a DKIM signer with the test key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import dkim

from integrations.notices import SenderTrust, trust_from_context
from rules.model import NoticeReading

FIXTURES = Path(__file__).parent / "fixtures"
MAIL = FIXTURES / "mail"
TEST_KEY = (FIXTURES / "test-key.pem").read_bytes()


def load_context() -> dict[str, object]:
    data: dict[str, object] = json.loads((FIXTURES / "context.json").read_text())
    return data


def corpus_trust() -> SenderTrust:
    """The dev corpus's trust settings, DKIM keys from its context.json (no network)."""
    return trust_from_context(load_context())


def fixture_mail(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def outcome(reading: NoticeReading) -> str:
    """Which of the three exclusive outcomes a reading is: receipt, a verdict, or quarantine."""
    held = [reading.receipt is not None, reading.verdict is not None, reading.quarantine]
    assert sum(held) == 1, f"exactly one outcome expected, got {reading}"
    if reading.receipt is not None:
        return "receipt"
    if reading.quarantine:
        return "quarantine"
    assert reading.verdict is not None
    return str(reading.verdict)


PAYPAL_BODY = (
    "You received a payment of $45.00 NZD from Jo Bloggs (jo@example.nz).\n\nTransaction ID: 9AB12345CD678901E\n"
)


def build_message(
    *,
    from_: str = "PayPal <service@paypal.com>",
    subject: str = "You've got money",
    body: str = PAYPAL_BODY,
    date: datetime | None = None,
    message_id: str = "<made-up-1@paypal.com>",
    extra_headers: str = "",
    content_type: str = 'text/plain; charset="utf-8"',
    to: str = "KiwiWeb Design Ltd <accounts@kiwiweb.example>",
) -> bytes:
    """A small RFC 5322 message with LF line endings, like the corpus files."""
    when = format_datetime(date or datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    head = (
        f"{extra_headers}From: {from_}\nTo: {to}\nSubject: {subject}\n"
        f"Date: {when}\nMessage-ID: {message_id}\nMIME-Version: 1.0\nContent-Type: {content_type}\n"
        "Content-Transfer-Encoding: 8bit\n"
    )
    return (head + "\n" + body).encode("utf-8")


def sign(
    message: bytes,
    domain: str = "paypal.com",
    headers: tuple[bytes, ...] = (b"from", b"to", b"subject", b"date", b"message-id"),
    length: bool = False,
) -> bytes:
    """Prepend a DKIM-Signature made with the test key (selector test1) for `domain`."""
    signature = dkim.sign(
        message, b"test1", domain.encode(), TEST_KEY, include_headers=list(headers), length=length, linesep=b"\n"
    )
    return bytes(signature) + message


def with_server_verdict(message: bytes, verdict: str, authserv: str = "mx.kiwiweb.example") -> bytes:
    """Prepend the Authentication-Results our own MX would write (topmost)."""
    return f"Authentication-Results: {authserv};\n {verdict}\n".encode() + message
