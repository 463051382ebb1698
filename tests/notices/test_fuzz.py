"""Property tests: random header soups, random MIME trees and mutated real notices never make the reader raise,
and every input ends as exactly one of receipt, verdict or quarantine, with a reason."""

from __future__ import annotations

from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.notices import read_notice
from rules.model import NoticeReading
from tests.notices.support import build_message, corpus_trust, fixture_mail, outcome, sign

TRUST = corpus_trust()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADER_NAMES = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "DKIM-Signature",
    "Authentication-Results",
    "Received",
    "Reply-To",
    "Sender",
    "X-Anything",
]
SENDERS = [
    "PayPal <service@paypal.com>",
    "service@paypa1.com",
    "Stripe <notifications@stripe.com>",
    "a@b",
    "<>",
    "",
    "Sam <sam@kiwiweb.example>",
    "=?utf-8?b?UGF5UGFs?= <service@paypal.com>",
    "x@xn--80ak6aa92e.com",
]
header_value = st.one_of(
    st.sampled_from(SENDERS),
    st.text(max_size=80),
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "Fri, 20 Nov 2026 09:30:00 +0000",
            "yesterday",
            "<id@x>",
            "multipart/mixed; boundary=z",
            "v=1; d=paypal.com; s=pp2026; h=from; bh=; b=",
            "mx.kiwiweb.example; dkim=pass",
        ]
    ),
)


def settle(reading: NoticeReading) -> None:
    outcome(reading)  # asserts exactly one of the three
    assert reading.message_id
    assert reading.reason


@FUZZ
@given(
    st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_value), max_size=14),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
    st.binary(max_size=400),
)
def test_header_soup_never_raises(headers: list[tuple[str, str]], newline: bytes, body: bytes) -> None:
    """Any mix of headers (duplicated, missing, binary, encoded) ends in one outcome with a reason."""
    head = newline.join(f"{name}: {value}".encode("utf-8", "surrogateescape") for name, value in headers)
    settle(read_notice(head + newline + newline + body, TRUST))


def _safe_text_part(text: str, subtype: str, charset: str) -> Message:
    try:
        return MIMEText(text, subtype, charset)
    except (UnicodeError, LookupError):
        return MIMEText(text, subtype, "utf-8")


text_part = st.builds(
    _safe_text_part,
    st.text(max_size=200),
    st.sampled_from(["plain", "html"]),
    st.sampled_from(["utf-8", "iso-8859-1", "us-ascii", "utf-16"]),
)


def _binary(data: bytes) -> Message:
    part = MIMEBase("application", "octet-stream")
    part.set_payload(data)
    return part


leaf = st.one_of(text_part, st.binary(max_size=100).map(_binary))


def _multipart(children: list[Message], subtype: str) -> Message:
    container = MIMEMultipart(subtype)
    for child in children:
        container.attach(child)
    return container


mime_tree = st.recursive(
    leaf,
    lambda inner: st.builds(_multipart, st.lists(inner, max_size=4), st.sampled_from(["mixed", "alternative"])),
    max_leaves=12,
)


@FUZZ
@given(mime_tree, st.sampled_from(SENDERS[:3] + SENDERS[6:7]), st.booleans())
def test_random_mime_trees_never_raise(tree: Message, sender: str, signed: bool) -> None:
    """Random nestings of text, HTML and binary parts, signed or not, end in one outcome with a reason."""
    tree["From"] = sender
    tree["Subject"] = "You've got money"
    tree["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    tree["Message-ID"] = "<fuzz@paypal.com>"
    try:
        raw = tree.as_bytes()
    except (UnicodeError, LookupError):
        return  # the generator built something the stdlib cannot serialise; nothing to read
    if signed and "paypal.com" in sender:
        raw = sign(raw)
    settle(read_notice(raw, TRUST))


@FUZZ
@given(
    st.sampled_from(["dev-00001.eml", "dev-00020.eml", "dev-00019.eml", "dev-00002.eml", "dev-00048.eml"]),
    st.lists(st.tuples(st.integers(min_value=0, max_value=4000), st.integers(min_value=0, max_value=255)), max_size=8),
    st.integers(min_value=0, max_value=4000),
)
def test_mutated_real_notices_never_raise(name: str, flips: list[tuple[int, int]], cut: int) -> None:
    """Real notices with bytes flipped and the tail cut off still end in one outcome with a reason."""
    data = bytearray(fixture_mail(name))
    for position, value in flips:
        if position < len(data):
            data[position] = value
    settle(read_notice(bytes(data[: max(cut, 1)] if cut else data), TRUST))


@FUZZ
@given(st.text(max_size=300), st.text(max_size=80))
def test_signed_notice_with_any_body_is_never_an_exception(body: str, subject: str) -> None:
    """An authenticated PayPal message with arbitrary text ends as a receipt or a verdict, never quarantine."""
    raw = sign(build_message(body=body, subject=subject.replace("\n", " ").replace("\r", " ")))
    reading = read_notice(raw, TRUST)
    settle(reading)
    assert not reading.quarantine or "header" in reading.reason
