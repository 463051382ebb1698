"""dkimpy's verification without the work it repeats on every message, with the same verdicts: the message split
into header fields and body in one pass over the header block only, a key record's text parsed once however many
notices its key signed, and only the header fields a signature lists canonicalized.
"""

from __future__ import annotations

import binascii
import functools
import re
from typing import Any

import dkim

_SEPARATOR = re.compile(rb"\r?\n")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_FIELD_NAME = re.compile(rb"([\x21-\x7e]+?):")  # dkimpy's own pattern for a field name


def split_message(message: bytes) -> tuple[list[list[bytes]], bytes]:
    """What `dkim.rfc822_parse` returns: the header fields as [name, value with CRLF line ends] (continuation lines
    appended to their field, mbox "From " lines skipped) up to the first empty line, and the rest with every line
    ending (CRLF or LF) made CRLF. dkimpy splits the whole message, body included, into lines in Python and joins
    the body's lines again; this splits the header block alone and converts the body's line ends in one pass.
    Raises what rfc822_parse raises on a line that is no header field."""
    if not message or message.startswith((b"\n", b"\r\n")):
        end = 0  # the first line is empty: no header fields
    else:
        blank = _BLANK_LINE.search(message)
        end = blank.start() + 1 if blank else len(message) if message.endswith(b"\n") else -1
    if end < 0:  # no empty line and no final line end: every line is a header line, there is no body
        lines, body = _SEPARATOR.split(message), b""
    else:
        lines = _SEPARATOR.split(message[:end])[:-1] if end else []
        rest = message[end + (2 if message.startswith(b"\r\n", end) else 1) :]
        # Each LF, with the CR before it if any, becomes one CRLF: what splitting on \r?\n and joining with CRLF
        # gives (a CR not before an LF stays as it is).
        body = rest.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    headers: list[list[bytes]] = []
    for line in lines:
        if line[0] in (0x09, 0x20):
            headers[-1][1] += line + b"\r\n"  # an IndexError on a first line that continues nothing, as dkimpy's
            continue
        name = _FIELD_NAME.match(line)
        if name is not None:
            headers.append([name.group(1), line[name.end(0) :] + b"\r\n"])
        elif not line.startswith(b"From "):
            raise dkim.MessageFormatError(f"Unexpected characters in RFC822 header: {line!r}")
    return headers, body


@functools.lru_cache(maxsize=64)
def parsed_key(name: bytes, record: bytes | None) -> tuple[Any, Any, Any, bool]:
    """`dkim.evaluate_pk` for one key record (its text as DNS gave it): the public key, its size, its type, whether
    it is for TLS reports. The result depends on the record's text alone, so the same text is parsed once; the record
    is still looked up for every message, so a key that changes is read anew at once. A record that cannot be
    parsed raises every time (failures are not kept)."""
    result: tuple[Any, Any, Any, bool] = dkim.evaluate_pk(name, record)
    return result


class NoticeDKIM(dkim.DKIM):  # type: ignore[misc]
    """dkim.DKIM for verifying, doing less work per message (tests/notices/test_dkim_verifier.py compares the verdicts
    with dkim.DKIM's on signed, altered and re-keyed messages)."""

    def set_message(self, message: bytes | None) -> None:
        super().set_message(None)  # dkimpy's reset of what the last verification left
        if message:
            self.headers, self.body = split_message(message)

    def verify_sig(self, sig: dict[bytes, bytes], include_headers: list[bytes], sig_header: Any, dnsfunc: Any) -> Any:
        # dkimpy's verify_sig, with the key record's parse kept (`parsed_key`).
        name = sig[b"s"] + b"._domainkey." + sig[b"d"] + b"."
        try:
            record = dnsfunc(name, timeout=self.timeout)
            self.pk, self.keysize, self.ktag, self.seqtlsrpt = parsed_key(name, record)
        except (dkim.KeyFormatError, binascii.Error, dkim.DnsTimeoutError) as exc:
            self.logger.error("%s", exc)
            return False
        return self.verify_sig_process(sig, include_headers, sig_header, dnsfunc)

    def verify_sig_process(
        self, sig: dict[bytes, bytes], include_headers: list[bytes], sig_header: Any, dnsfunc: Any
    ) -> Any:
        # dkimpy canonicalizes every header field (Received lines and all) and then picks the ones the signature lists,
        # matching names in lower case; fields of other names can never be picked, so they are left out first.
        everything = self.headers
        listed = set(include_headers)
        self.headers = [field for field in everything if field[0].lower() in listed]
        try:
            return super().verify_sig_process(sig, include_headers, sig_header, dnsfunc)
        finally:
            self.headers = everything
