"""Message bodies: a single text part, or a container of text parts, is decoded exactly as mail-parser decodes it
(the short way round is only for speed), whatever the charsets and transfer encodings; anything else is left to
mail-parser."""

from __future__ import annotations

import base64
import email
import email.policy
import quopri

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from integrations.notices.reading import mail_parser_parts, simple_text_parts, single_text_part

CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "utf-16", "shift_jis", "koi8-r", "x-unknown", ""]
ENCODINGS = ["", "7bit", "8bit", "quoted-printable", "base64", "x-uuencode", "binary"]


def message(content_type: str, charset: str, encoding: str, body: bytes, extra: str) -> email.message.Message:
    return email.message_from_bytes(
        part_bytes(content_type, charset, encoding, body, extra), policy=email.policy.compat32
    )


def part_bytes(content_type: str, charset: str, encoding: str, body: bytes, extra: str) -> bytes:
    head = ""
    if content_type:
        head += f"Content-Type: {content_type}" + (f"; charset={charset}" if charset else "") + "\n"
    if encoding:
        head += f"Content-Transfer-Encoding: {encoding}\n"
    if encoding == "base64":
        body = base64.encodebytes(body)
    elif encoding == "quoted-printable":
        body = quopri.encodestring(body)
    return head.encode() + extra.encode() + b"\n" + body


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
    text=st.text(
        alphabet=st.characters(exclude_categories=("Cs",)) | st.sampled_from(["\uf900", "\u0301", "\u212b", "\ufb01"]),
        max_size=80,
    ),
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
    event("mail-parser" if single is None else "direct")
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


def as_lists(parts: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return [t for s, t in parts if t and s == "plain"], [t for s, t in parts if t and s == "html"]


PART = st.tuples(
    # Mostly the layout notices have, so that the direct reading is exercised often.
    st.sampled_from(["text/plain", "text/html", "text/plain", "text/html", "", "text/calendar", "image/png"]),
    st.sampled_from(CHARSETS),
    st.sampled_from(ENCODINGS),
    st.text(
        alphabet=st.characters(exclude_categories=("Cs",)) | st.sampled_from(["\uf900", "\u0301", "\ufb01"]),
        max_size=40,
    ),
    st.sampled_from(["", "", "", "", "Content-Disposition: inline\n", "Content-Disposition: attachment; filename=a\n"]),
)


@settings(max_examples=400, deadline=None)
@given(
    subtype=st.sampled_from(["alternative", "mixed", "related"]),
    parts=st.lists(PART, min_size=1, max_size=3),
    outer=st.sampled_from(["", "", "Content-Disposition: attachment\n"]),
    broken=st.sampled_from(["", "", "", "no-close", "no-start"]),
)
def test_a_container_of_text_parts_reads_as_mail_parser_reads_it(
    subtype: str, parts: list[tuple[str, str, str, str, str]], outer: str, broken: str
) -> None:
    chunks = [part_bytes(ct, cs, enc, encoded(text, cs), extra) for ct, cs, enc, text, extra in parts]
    body = b"".join(b"--=_b_=\n" + chunk + b"\n" for chunk in chunks)
    if broken == "no-start":
        body = body.replace(b"--=_b_=\n", b"", 1)
    if broken != "no-close":
        body += b"--=_b_=--\n"
    raw = f'Content-Type: multipart/{subtype}; boundary="=_b_="\n{outer}MIME-Version: 1.0\n\n'.encode() + body
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    simple = simple_text_parts(msg)
    event("mail-parser" if simple is None else "direct")
    if simple is None:
        return  # mail-parser reads it
    assert as_lists(simple) == mail_parser_parts(msg)
