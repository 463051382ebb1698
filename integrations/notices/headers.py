"""The header block of a raw message, read with the standard library before anything trusts it.

Security checks (exactly one From, size, sane header lines, one Date/Subject/Message-ID) look at the raw
bytes, never at what a lenient MIME parser made of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime

MAX_HEADER_BYTES = 256 * 1024
MAX_HEADER_COUNT = 500
# Headers RFC 5322 allows at most once; a second copy is how a signed value is shadowed by an unsigned one.
SINGLE_HEADERS = (
    "from",
    "date",
    "subject",
    "message-id",
    "sender",
    "reply-to",
    "to",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
)

_NAME = re.compile(rb"^([\x21-\x39\x3b-\x7e]{1,100}):")
_MESSAGE_ID = re.compile(r"^[\x21-\x7e]{1,250}$")


class Malformed(Exception):
    """The message cannot be trusted to mean what it seems: the reason says why."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Headers:
    """Unfolded header fields in order, top first, with the raw value bytes kept for DKIM tags."""

    fields: tuple[tuple[str, bytes], ...]  # (lower-case name, raw value without the name and colon)
    body_offset: int
    by_name: Mapping[str, tuple[bytes, ...]]  # the same fields by name, top first

    def all(self, name: str) -> tuple[bytes, ...]:
        return self.by_name.get(name, ())

    def text(self, name: str) -> str:
        """The first field of that name, RFC 2047 decoded, unfolded and stripped; "" when absent."""
        values = self.all(name)
        return decode_text(values[0]) if values else ""


def split_header_block(raw: bytes) -> tuple[bytes, int]:
    """The header block and the offset of the body; the block is capped so a header bomb stays cheap."""
    window = raw[: MAX_HEADER_BYTES + 4]
    ends = [i for i in (window.find(b"\r\n\r\n"), window.find(b"\n\n")) if i >= 0]
    if not ends:
        if len(raw) > MAX_HEADER_BYTES:
            raise Malformed(f"no end of headers within {MAX_HEADER_BYTES} bytes")
        return raw, len(raw)
    end = min(ends)
    separator = 4 if raw[end : end + 4] == b"\r\n\r\n" else 2
    return raw[:end], end + separator


def read_headers(raw: bytes) -> Headers:
    """Parse the header block strictly enough to refuse what a lenient parser would silently paper over."""
    block, body_offset = split_header_block(raw)
    if b"\x00" in block:
        raise Malformed("NUL byte in the headers")
    fields: list[tuple[str, bytes]] = []
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise Malformed("the message starts with a continuation line")
            name, value = fields[-1]
            fields[-1] = (name, value + b"\n" + line)
            continue
        match = _NAME.match(line)
        if not match:
            raise Malformed(f"not a header line: {line[:40]!r}")
        fields.append((match.group(1).decode("ascii").lower(), line[match.end() :]))
        if len(fields) > MAX_HEADER_COUNT:
            raise Malformed(f"more than {MAX_HEADER_COUNT} header fields")
    by_name: dict[str, list[bytes]] = {}
    for name, value in fields:
        by_name.setdefault(name, []).append(value)
    return Headers(
        fields=tuple(fields),
        body_offset=body_offset,
        by_name={name: tuple(values) for name, values in by_name.items()},
    )


_FOLD = re.compile(r"\s*\n\s*")


def decode_text(value: bytes) -> str:
    """A header value as text: RFC 2047 words decoded, raw 8-bit taken as UTF-8 (replacing what is not)."""
    text = value.decode("utf-8", errors="replace")
    text = (_FOLD.sub(" ", text) if "\n" in text else text).strip()
    if "=?" in text:
        # Undecodable words keep their raw text: odd charsets must not stop the reading.
        with contextlib.suppress(ValueError, LookupError, UnicodeError, AssertionError):
            text = str(make_header(decode_header(text)))
    return text.replace("\x00", "")


def message_id_of(headers: Headers | None, raw: bytes) -> str:
    """Message-ID without angle brackets, or a stable digest of the bytes when it is missing or unusable."""
    if headers is not None:
        values = headers.all("message-id")
        if values:
            candidate = decode_text(values[0]).strip().strip("<>").strip()
            if _MESSAGE_ID.match(candidate):
                return candidate
    return "sha256-" + hashlib.sha256(raw).hexdigest()


def sniff_message_id(raw: bytes) -> str:
    """Best-effort Message-ID of bytes too broken to parse, else the digest: every reading has an id."""
    try:
        return message_id_of(read_headers(raw), raw)
    except Exception:
        head = raw[:MAX_HEADER_BYTES]
        found = re.search(rb"(?im)^message-id:[ \t]*<?([\x21-\x3b\x3d\x3f-\x7e]{1,250})>?[ \t]*\r?$", head)
        if found:
            return found.group(1).decode("ascii")
        return "sha256-" + hashlib.sha256(raw).hexdigest()


# Fields each relay and our own server put on top of a message as it travels; two deliveries of one message
# differ only in these.
TRACE_FIELDS = frozenset(
    {
        b"received",
        b"return-path",
        b"delivered-to",
        b"x-original-to",
        b"envelope-to",
        b"x-envelope-to",
        b"authentication-results",
        b"received-spf",
        b"arc-seal",
        b"arc-message-signature",
        b"arc-authentication-results",
        b"x-received",
    }
)
_TRACE_LINE = re.compile(rb"([!-9;-~]{1,100}):[^\n]*\n(?:[ \t][^\n]*\n)*")


def content_digest(raw: bytes) -> str:
    """sha256 of the message without the trace fields relays put on top of it: what makes two messages the same
    message. A second delivery through another relay has the same digest; any other change gives another."""
    start = 0
    while start < len(raw) and start < MAX_HEADER_BYTES:
        found = _TRACE_LINE.match(raw, start)
        if not found or found.group(1).lower() not in TRACE_FIELDS:
            break
        start = found.end()
    return hashlib.sha256(memoryview(raw)[start:]).hexdigest()


def check_singletons(headers: Headers) -> None:
    """Exactly one From and one Date, at most one of each SINGLE_HEADERS."""
    count = len(headers.all("from"))
    if count == 0:
        raise Malformed("no From header")
    for name in SINGLE_HEADERS:
        if len(headers.all(name)) > 1:
            raise Malformed(f"{len(headers.all(name))} {name} headers (RFC 5322 allows one)")
    if not headers.all("date"):
        raise Malformed("no Date header")


@dataclass(frozen=True, kw_only=True, slots=True)
class Sender:
    display_name: str
    address: str  # lower-case
    domain: str  # lower-case, IDNA (xn--) form


# The common address forms, `Name <local@domain>`, `"Name" <local@domain>` and `local@domain`, read without the
# standard library's general RFC 5322 parser, which is slow; anything else (comments, groups, several addresses,
# quoting tricks) still goes through it. tests/notices/test_headers.py checks both give the same answer.
_PLAIN_ADDRESS = re.compile(
    r"""[ \t]*(?:(?P<name>[A-Za-z0-9'\- \t]*?)[ \t]*|"(?P<quoted>[A-Za-z0-9'\-. ]*)"[ \t]*)"""
    r"<(?P<addr>[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*)>[ \t]*"
    r"|[ \t]*(?P<bare>[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*)[ \t]*"
)


def addresses_of(value: str) -> list[tuple[str, str]]:
    """(display name, address) pairs as `email.utils.getaddresses` gives them, empty ones dropped."""
    plain = _PLAIN_ADDRESS.fullmatch(value)
    if plain:
        if plain.group("bare"):
            return [("", plain.group("bare"))]
        name = plain.group("quoted")
        return [(" ".join(plain.group("name").split()) if name is None else name, plain.group("addr"))]
    return [(name, addr) for name, addr in getaddresses([value]) if addr or name]


_ADDRESS_AS_NAME = re.compile(
    r"[ \t]*([^\s<>\"(),;:]{1,254}@[^\s<>\"(),;:]{1,253})[ \t]*"
    r"<([^\s<>\"(),;:]{1,254}@[^\s<>\"(),;:]{1,253})>[ \t]*"
)


def sender_of(headers: Headers) -> Sender:
    """The one address in the one From header; several addresses or an unparseable one is refused."""
    value = decode_text(headers.all("from")[0])
    same = _ADDRESS_AS_NAME.fullmatch(value)
    if same and same.group(1).lower() == same.group(2).lower():
        value = f"<{same.group(2)}>"  # `a@b.c <a@b.c>`: an address shown as its own (unquoted) name, one address
    try:
        pairs = addresses_of(value)
    except RecursionError as exc:  # thousands of nested comments in the address
        raise Malformed("From nests too deeply to read") from exc
    addresses = [addr for _, addr in pairs if addr]
    if len(addresses) != 1 or len(pairs) != 1:
        raise Malformed(f"From must hold exactly one address, not {value[:80]!r}")
    name, address = pairs[0]
    if address.count("@") != 1:
        raise Malformed(f"From address {address[:80]!r} is not an address")
    local, domain = address.rsplit("@", 1)
    domain = domain.strip().rstrip(".").lower()
    if not local or not domain or "." not in domain:
        raise Malformed(f"From address {address[:80]!r} has no usable domain")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise Malformed(f"From domain {domain[:80]!r} is not a valid domain name") from exc
    if not re.fullmatch(r"[a-z0-9.\-]{1,253}", domain):
        raise Malformed(f"From domain {domain[:80]!r} is not a valid domain name")
    return Sender(display_name=name.strip(), address=f"{local}@{domain}".lower(), domain=domain)


RECIPIENT_HEADERS = ("to", "cc")


def signed_recipients(headers: Headers, signed: tuple[str, ...]) -> list[str]:
    """Lower-case addresses in the To and Cc fields a DKIM signature covers (`signed`: its h= names). A name
    listed n times covers the last n fields of that name (RFC 6376 5.4.2); fields above them are unsigned and
    could have been added by anyone who passed the mail on. Addresses are read from the raw value, so an
    encoded display name cannot pose as an address."""
    addresses: list[str] = []
    for name in RECIPIENT_HEADERS:
        fields = headers.all(name)
        covered = min(signed.count(name), len(fields))
        for value in fields[len(fields) - covered :]:
            text = value.decode("utf-8", errors="replace")
            try:
                pairs = addresses_of(_FOLD.sub(" ", text))
            except RecursionError:
                continue  # thousands of nested comments: no address we could trust
            addresses.extend(addr.strip().lower() for _, addr in pairs if "@" in addr)
    return addresses


def date_of(headers: Headers) -> datetime:
    """The Date header as an aware UTC datetime; "-0000" or no zone at all is read as UTC (RFC 5322 3.3)."""
    return _utc_date(decode_text(headers.all("date")[0]))


_DATE_FIELD = re.compile(rb"(?im)^date:([^\n]*(?:\n[ \t][^\n]*)*)")


def date_hint(raw: bytes) -> datetime | None:
    """The first Date header as date_of reads it, or None: for putting messages in time order before they are
    read. Nothing is trusted on it; a message whose reading has a date has this one."""
    try:
        block, _ = split_header_block(raw)
    except Malformed:
        return None
    found = _DATE_FIELD.search(block)
    if not found:
        return None
    try:
        return _utc_date(decode_text(found.group(1)))
    except Malformed:
        return None


def _utc_date(value: str) -> datetime:
    try:
        when = parsedate_to_datetime(value)
        if when is None:
            raise Malformed(f"unreadable Date {value[:60]!r}")
        # A date at the edge of the calendar ("31 Dec 9999 23:59:59 -0100") has no UTC equivalent.
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise Malformed(f"unreadable Date {value[:60]!r}") from exc
