"""The real notices of ../shared/realmail collapsed onto one line read as its expected.json says, as they do with
their lines (tests/notices/test_real_mail.py): each text sample with its line breaks lost, each HTML sample with its
block tags gone. Runs when that folder exists (or $RW_REALMAIL_DIR names it) and is skipped, saying so, when it does
not. The .eml samples are whole messages in their transfer encodings and are left to test_real_mail."""

from __future__ import annotations

import re
from typing import Any

import pytest

from integrations.notices import SenderTrust, builtin_formats
from integrations.notices.explain import explain_notice
from tests.notices.test_real_mail import REALMAIL, samples, wrapped
from tests.notices.test_real_mail import trust as realmail_trust

trust = realmail_trust  # the same signed senders as test_real_mail
pytestmark = pytest.mark.skipif(
    REALMAIL is None,
    reason="no ../shared/realmail (real notices are kept outside the repository; set RW_REALMAIL_DIR to read them)",
)
_BLOCK_TAGS = re.compile(r"(?is)</?(?:p|div|br|tr|table|tbody|thead|h[1-6]|li|ul|ol|td|th|title|hr)\b[^>]{0,2000}>")


def collapsed(sample: dict[str, Any]) -> bytes:
    """The sample's file with its text on one line."""
    assert REALMAIL is not None
    raw = (REALMAIL / "samples" / sample["file"]).read_bytes().replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    text = body.decode("utf-8")
    if sample["file"].endswith(".html"):
        text = _BLOCK_TAGS.sub(" ", text)
    return head + b"\n\n" + " ".join(text.split()).encode("utf-8")


@pytest.mark.parametrize("sample", [s for s in samples() if not s["file"].endswith(".eml")], ids=lambda s: str(s["id"]))
def test_a_real_notice_collapsed_reads_as_expected(sample: dict[str, Any], trust: SenderTrust) -> None:
    message = wrapped(sample, collapsed(sample))
    assert b"\n" not in message.partition(b"\n\n")[2].strip()  # the body is one line
    got = explain_notice(message, trust, builtin_formats(), file=sample["file"]).as_json()
    assert got["authenticated"], got["auth_reasons"]
    assert got["kind"] == sample["kind"], f"kind: {got}"
    for key, field in (("amount", "amount"), ("currency", "currency"), ("txn_id", "transaction_id")):
        if sample.get(key) is not None:
            assert got[field] == sample[key], f"{field}: {got}"
    if sample.get("payer_name") is not None:
        assert got["payer"] == sample["payer_name"], f"payer: {got}"
    written = " ".join(t["text"] for t in got["payer_text"])
    for key in ("invoice_ref", "payer_note"):
        if sample.get(key):
            assert sample[key] in written, f"{key} {sample[key]!r} not among what the payer wrote: {got}"
