"""Message bodies: a single text part is decoded exactly as mail-parser decodes it (the short way round is only
for speed), whatever its charset and transfer encoding; anything else is left to mail-parser."""

from __future__ import annotations

import base64
import email
import email.policy
import quopri

from hypothesis import example, given, settings
from hypothesis import strategies as st

from integrations.notices.reading import mail_parser_parts, single_text_part

CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "utf-16", "shift_jis", "koi8-r", "x-unknown", ""]
ENCODINGS = ["", "7bit", "8bit", "quoted-printable", "base64", "x-uuencode", "binary"]


def message(content_type: str, charset: str, encoding: str, body: bytes, extra: str) -> email.message.Message:
    head = ""
    if content_type:
        head += f"Content-Type: {content_type}" + (f"; charset={charset}" if charset else "") + "\n"
    if encoding:
        head += f"Content-Transfer-Encoding: {encoding}\n"
    if encoding == "base64":
        body = base64.encodebytes(body)
    elif encoding == "quoted-printable":
        body = quopri.encodestring(body)
    return email.message_from_bytes(head.encode() + extra.encode() + b"\n" + body, policy=email.policy.compat32)


def encoded(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset or "utf-8")
    except (LookupError, UnicodeError):
        return text.encode("utf-8")


@settings(max_examples=600, deadline=None)
@given(
    content_type=st.sampled_from(["", "text/plain", "text/html", "TEXT/PLAIN", "text/enriched", "application/pdf"]),
    charset=st.sampled_from(CHARSETS),
    encoding=st.sampled_from(ENCODINGS),
    # Composed and compatibility characters too: mail-parser hands back NFC text.
    text=st.text(alphabet=st.characters() | st.sampled_from(["\uf900", "\u0301", "\u212b", "\ufb01"]), max_size=80),
    raw=st.binary(max_size=40),
    use_raw=st.booleans(),
    extra=st.sampled_from(
        ["", "Content-Disposition: inline\n", "Content-Disposition: attachment; filename=a.txt\n", "Content-ID: <x>\n"]
    ),
)
@example(
    content_type="text/plain", charset="utf-8", encoding="", text="\uf900 cafe\u0301", raw=b"", use_raw=False, extra=""
)
def test_a_single_text_part_reads_as_mail_parser_reads_it(
    content_type: str, charset: str, encoding: str, text: str, raw: bytes, use_raw: bool, extra: str
) -> None:
    msg = message(content_type, charset, encoding, raw if use_raw else encoded(text, charset), extra)
    single = single_text_part(msg)
    if single is None:
        return  # mail-parser reads it
    assert not extra, "parts with a disposition or id are left to mail-parser"
    subtype, body = single
    expected_plain, expected_html = mail_parser_parts(msg)
    assert ([body] if body and subtype == "plain" else []) == expected_plain
    assert ([body] if body and subtype == "html" else []) == expected_html


def test_multipart_and_attachments_are_left_to_mail_parser() -> None:
    multipart = email.message_from_bytes(
        b'Content-Type: multipart/alternative; boundary="b"\n\n--b\nContent-Type: text/plain\n\nhi\n--b--\n'
    )
    named = email.message_from_bytes(b'Content-Type: text/plain; name="notice.txt"\n\nhi\n')
    assert single_text_part(multipart) is None
    assert single_text_part(named) is None
    assert single_text_part(email.message_from_bytes(b"Content-Type: text/plain\n\nhi\n")) == ("plain", "hi\n")
