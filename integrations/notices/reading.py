"""read_notice: one raw e-mail from the payments inbox in, one NoticeReading out, for the inbox job and the replay.

Order matters: bytes and headers are checked with the standard library first, then who sent it (allow-list,
look-alikes, DKIM aligned with From, our own MX's verdict), and only then is the content read (mail-parser for
multipart mail, a lone text part decoded the same way directly, the standard library as fallback) against the
gateway's notice format. Nothing raises.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import functools
import re
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from html import unescape
from typing import Any

import structlog

from integrations.notices.authentication import server_verdict, verify_dkim
from integrations.notices.formats import builtin_formats
from integrations.notices.headers import (
    Headers,
    Malformed,
    Sender,
    check_singletons,
    content_digest,
    date_of,
    message_id_of,
    read_headers,
    sender_of,
    signed_recipients,
    sniff_message_id,
)
from integrations.notices.trust import SenderTrust
from rules.model import DecisionKind, NoticeReading, Receipt, ReceiptSource
from rules.notice_text import (
    MAX_TEXT_CHARS,
    NoticeContent,
    NoticeFormat,
    NoticeFormats,
    claims_gateway,
    classify,
    html_to_text,
    in_domain,
    lookalike_of,
    mentions_payment,
    read_content,
    tidy_text,
)
from rules.payouts import read_payout_notice

log = structlog.get_logger(__name__)

_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@([A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,24})")
_FORWARDED_SUBJECT = re.compile(r"(?im)^[ \t>*]*subject[ \t]*:[ \t]*([^\n]{1,300})$")
_FORWARD_PREFIX = re.compile(r"^\s*(?:(?:fwd?|fw|tr|wg|re|aw)\s*:\s*)+", re.IGNORECASE)


@dataclass(kw_only=True, slots=True)
class Trace:
    """What reading one message found on the way, filled in as the reader goes (for `notices explain`)."""

    sender: str = ""
    service: str = ""
    authenticated: bool = False  # the payment service itself (or our own staff, as our MX recorded) sent it
    auth_reasons: list[str] = dataclasses.field(default_factory=list)
    content: NoticeContent | None = None
    wanted: bool = True  # False for the reader's own throw-away trace: nothing costly is written into it


def read_notice(
    raw: bytes, trust: SenderTrust, formats: NoticeFormats | None = None, trace: Trace | None = None
) -> NoticeReading:
    """Read one raw message: a receipt (authenticated, or forwarded by our staff), a verdict with its reason
    (reject / ignore / review), or quarantine for malformed and hostile input. Never raises. `trace`, when given,
    is filled in with what authentication and the reading found."""
    try:
        if not isinstance(raw, bytes | bytearray | memoryview):
            return NoticeReading(
                message_id="sha256-" + "0" * 64,
                received_at=None,
                quarantine=True,
                reason=f"not a message: {type(raw).__name__}, not bytes",
            )
        data = bytes(raw)
        reading = _read(
            data, trust, formats if formats is not None else builtin_formats(), trace or Trace(wanted=False)
        )
        return dataclasses.replace(reading, digest=content_digest(data))
    except Exception as exc:  # the last line of defence: a reading must always come back
        log.warning("notice_unreadable", error=type(exc).__name__)
        data = bytes(raw) if isinstance(raw, bytes | bytearray | memoryview) else b""
        return NoticeReading(
            message_id=sniff_message_id(data),
            received_at=None,
            quarantine=True,
            reason=f"could not read the message ({type(exc).__name__}): quarantined for a person",
            digest=content_digest(data),
        )


def _quarantine(message_id: str, reason: str, received_at: Any = None) -> NoticeReading:
    return NoticeReading(message_id=message_id, received_at=received_at, quarantine=True, reason=reason)


def _read(raw: bytes, trust: SenderTrust, formats: NoticeFormats, trace: Trace) -> NoticeReading:
    try:
        headers = read_headers(raw)
    except Malformed as exc:
        return _quarantine(sniff_message_id(raw), f"malformed headers: {exc}")
    message_id = message_id_of(headers, raw)
    if len(raw) > trust.max_bytes:
        return _quarantine(message_id, f"message is {len(raw):,} bytes, over the {trust.max_bytes:,}-byte cap")
    from_count = len(headers.all("from"))
    if from_count > 1:
        try:
            when = date_of(headers) if len(headers.all("date")) == 1 else None
        except Malformed:
            when = None
        return NoticeReading(
            message_id=message_id,
            received_at=when,
            verdict=DecisionKind.REJECT,
            reason=f"{from_count} From headers: a spoofing trick (exactly one is allowed)",
        )
    try:
        if not headers.all("from"):
            raise Malformed("no From header")
        sender = sender_of(headers)
    except Malformed as exc:
        return _quarantine(message_id, f"malformed headers: {exc}")
    # A repeated To or an unreadable Date is kept for after authentication: a forged notice with one is still
    # rejected as forged, and only a genuine one goes to a person as malformed.
    header_problem = ""
    received_at = None
    try:
        check_singletons(headers)
    except Malformed as exc:
        header_problem = str(exc)
    if headers.all("date"):
        try:
            received_at = date_of(headers)
        except Malformed as exc:
            header_problem = header_problem or str(exc)
    subject = tidy_text(headers.text("subject"))
    trace.sender = sender.address

    gateway_domain = _allowed_domain(sender.domain, trust)
    try:
        if gateway_domain:
            reading = _from_gateway(
                raw,
                headers,
                sender,
                subject,
                gateway_domain,
                message_id,
                received_at,
                trust,
                formats,
                trace,
                header_problem=header_problem,
            )
        elif any(in_domain(sender.domain, own) for own in trust.own_domains):
            reading = _from_own_domain(
                raw,
                headers,
                sender,
                subject,
                message_id,
                received_at,
                trust,
                formats,
                trace,
                header_problem=header_problem,
            )
        else:
            trace.auth_reasons.append(f"{sender.domain} is no allow-listed payment service and not our own domain")
            reading = _from_stranger(raw, headers, sender, subject, message_id, received_at, trust, formats)
    except RecursionError:
        return _quarantine(message_id, "MIME parts nested too deeply to read", received_at)
    except Malformed as exc:
        return _quarantine(message_id, f"malformed body: {exc}", received_at)
    if header_problem and reading.verdict is not DecisionKind.REJECT:
        return _quarantine(message_id, f"malformed headers: {header_problem}", received_at)
    return reading


def _not_for_us(headers: Headers, signed: tuple[str, ...], trust: SenderTrust) -> str:
    """Why the notice's signed recipients do not show it is for our account, or "" when one of them is ours."""
    if not trust.receiving_addresses:
        return (
            "cannot be checked against our receiving address, since none is configured "
            "([matching] receiving_addresses): a person decides"
        )
    recipients = signed_recipients(headers, signed)
    if any(address in trust.receiving_addresses for address in recipients):
        return ""
    shown = ", ".join(sorted(set(recipients))[:3])
    if not shown:
        return "names no recipient its signature covers: a notice not shown to be for our account proves nothing"
    return f"is addressed to {shown}, not to our receiving address: a notice for another account proves nothing"


def _allowed_domain(domain: str, trust: SenderTrust) -> str:
    """The most specific allow-listed sender domain that `domain` is, or is inside; "" if none."""
    matches = [allowed for allowed in trust.payment_senders if in_domain(domain, allowed)]
    return max(matches, key=len) if matches else ""


# ---------------------------------------------------------------------------------------------- senders


def _from_gateway(
    raw: bytes,
    headers: Headers,
    sender: Sender,
    subject: str,
    allowed: str,
    message_id: str,
    received_at: Any,
    trust: SenderTrust,
    formats: NoticeFormats,
    trace: Trace,
    *,
    header_problem: str = "",
) -> NoticeReading:
    gateway = trust.payment_senders[allowed]
    trace.service = gateway
    server = server_verdict(headers, trust.trusted_authserv_id)
    checked = verify_dkim(raw, headers, sender.domain, allowed, trust.dns_txt)
    trace.auth_reasons.append(f"{sender.domain} is allow-listed for {gateway}")
    trace.auth_reasons.append(checked.reason)
    if server.found and trace.wanted:
        trace.auth_reasons.append(f"our mail server recorded {server.summary()}")
    if checked.dns_error:
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REVIEW,
            gateway=gateway,
            reason=f"{gateway} mail from {sender.address}: {checked.reason}; read it again later",
            retry_later=True,
        )
    if not checked.ok:
        mx = f"; our mail server recorded dkim={server.dkim_summary}" if server.found else ""
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REJECT,
            gateway=gateway,
            reason=f"claims to be {gateway} ({sender.address}) but is {checked.reason}{mx}",
        )
    if server.failed(sender.domain):
        trace.auth_reasons.append(server.failed(sender.domain))
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REJECT,
            gateway=gateway,
            reason=f"claims to be {gateway} ({sender.address}): {checked.reason} but {server.failed(sender.domain)}",
        )
    mismatch = _not_for_us(headers, checked.signed_headers, trust)
    trace.auth_reasons.append(mismatch or "its signed recipient is one of our receiving addresses")
    trace.authenticated = not mismatch
    if mismatch:
        # A genuine notice for someone else's account (a scammer paying themselves with our invoice number in the
        # note, then passing the signed mail on) is addressed to them; only what the signature covers counts.
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REJECT if trust.receiving_addresses else DecisionKind.REVIEW,
            gateway=gateway,
            reason=f"{gateway} mail ({checked.reason}) {mismatch}",
        )
    if header_problem:
        return _quarantine(message_id, f"malformed headers: {header_problem}", received_at)
    fmt = formats.get(gateway)
    if fmt is None:
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REVIEW,
            gateway=gateway,
            reason=f"authenticated {gateway} mail, but no notice format for {gateway} is installed",
        )
    return _read_content(
        fmt,
        subject,
        _body_of(raw, headers),
        message_id=message_id,
        received_at=received_at,
        trust=trust,
        authenticity=checked.reason,
        forwarded_by="",
        trace=trace,
    )


def _from_own_domain(
    raw: bytes,
    headers: Headers,
    sender: Sender,
    subject: str,
    message_id: str,
    received_at: Any,
    trust: SenderTrust,
    formats: NoticeFormats,
    trace: Trace,
    *,
    header_problem: str = "",
) -> NoticeReading:
    server = server_verdict(headers, trust.trusted_authserv_id)
    if server.found:
        passed = server.aligned_pass(sender.domain)
        why_not = (
            f"our mail server recorded no DMARC pass and no DKIM or SPF pass for {sender.domain} ({server.summary()})"
        )
    else:
        # No verdict of our own MX to read: only our own check of a DKIM signature aligned with From will do.
        own = max((d for d in trust.own_domains if in_domain(sender.domain, d)), key=len)
        checked = verify_dkim(raw, headers, sender.domain, own, trust.dns_txt)
        if checked.dns_error:
            return NoticeReading(
                message_id=message_id,
                received_at=received_at,
                verdict=DecisionKind.REVIEW,
                reason=f"mail from our own {sender.address}: {checked.reason}; read it again later",
                retry_later=True,
            )
        passed = checked.reason if checked.ok else ""
        why_not = f"no verdict of our mail server to read and it is {checked.reason}"
    trace.auth_reasons.append(f"from our own domain: {passed or why_not}")
    trace.authenticated = bool(passed)
    if not passed:
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REJECT,
            reason=f"claims to come from our own {sender.address}, but {why_not}: not a genuine staff forward",
        )
    if header_problem:
        return _quarantine(message_id, f"malformed headers: {header_problem}", received_at)
    parts = _body_of(raw, headers)
    body = parts.text(with_html=not parts.plain)
    gateway = _inner_gateway(body, trust, formats)
    fmt = formats.get(gateway) if gateway else None
    if fmt is None:
        mentioned = mentions_payment(f"{subject}\n{body}")
        if mentioned:
            return NoticeReading(
                message_id=message_id,
                received_at=received_at,
                verdict=DecisionKind.REVIEW,
                forwarded=True,
                reason=f"mail from our own {sender.address} mentions a payment ({mentioned}) but forwards no notice "
                "of a known gateway: a person decides",
            )
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.IGNORE,
            forwarded=True,
            reason=f"mail from our own {sender.address} that forwards no payment notice of a known gateway",
        )
    inner = _FORWARDED_SUBJECT.search(body)
    inner_subject = tidy_text(inner.group(1)) if inner else _FORWARD_PREFIX.sub("", subject)
    trace.service = fmt.gateway
    return _read_content(
        fmt,
        inner_subject,
        parts,
        message_id=message_id,
        received_at=received_at,
        trust=trust,
        authenticity=f"forwarded by our own {sender.address}",
        forwarded_by=sender.address,
        trace=trace,
    )


def _from_stranger(
    raw: bytes,
    headers: Headers,
    sender: Sender,
    subject: str,
    message_id: str,
    received_at: Any,
    trust: SenderTrust,
    formats: NoticeFormats,
) -> NoticeReading:
    imitated = lookalike_of(sender.domain, [*trust.payment_senders, *trust.own_domains])
    if imitated:
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REJECT,
            reason=f"sender domain {sender.domain} is a look-alike of {imitated}",
        )
    claimed = claims_gateway(f"{sender.display_name} {sender.address.split('@')[0]}", subject, formats.brands())
    if claimed:
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REJECT,
            reason=f"claims to be {claimed} but comes from {sender.address}, which is no allow-listed {claimed} sender",
        )
    body = _body_of(raw, headers).text(with_html=True)
    for fmt in formats.by_gateway.values():
        if classify(fmt, subject, body).kind == "payment":
            return NoticeReading(
                message_id=message_id,
                received_at=received_at,
                verdict=DecisionKind.REJECT,
                reason=f"reads like a {fmt.gateway} payment notice but comes from {sender.address}, which is no "
                "allow-listed payment service",
            )
    mentioned = mentions_payment(f"{subject}\n{body}")
    if mentioned:
        return NoticeReading(
            message_id=message_id,
            received_at=received_at,
            verdict=DecisionKind.REVIEW,
            reason=f"mail from {sender.address} (no payment service) mentions a payment ({mentioned}): it proves "
            "nothing, a person decides",
        )
    return NoticeReading(
        message_id=message_id,
        received_at=received_at,
        verdict=DecisionKind.IGNORE,
        reason=f"mail from {sender.address}: not a payment service and not our own domain",
    )


def _inner_gateway(body: str, trust: SenderTrust, formats: NoticeFormats) -> str:
    """The gateway whose notice a staff member forwarded: by its sender address in the body, else its name."""
    for found in _EMAIL_DOMAIN.finditer(body[:20_000]):
        domain = found.group(1).lower()
        allowed = _allowed_domain(domain, trust)
        if allowed:
            return trust.payment_senders[allowed]
    words = set(re.findall(r"[a-z0-9]+", body[:20_000].lower()))
    for brand, gateway in formats.brands().items():
        if brand in words:
            return gateway
    return ""


# ---------------------------------------------------------------------------------------------- content


def _read_content(
    fmt: NoticeFormat,
    subject: str,
    parts: _Body,
    *,
    message_id: str,
    received_at: Any,
    trust: SenderTrust,
    authenticity: str,
    forwarded_by: str,
    trace: Trace | None = None,
) -> NoticeReading:
    gateway = fmt.gateway
    forwarded = bool(forwarded_by)
    what = f"{gateway} mail forwarded by {forwarded_by}" if forwarded else f"{gateway} mail ({authenticity})"
    # The plain text is read first; HTML is converted only when there is no plain text or it states no amount
    # (an HTML-only receipt with a "view it as HTML" plain part).
    home = trust.default_currency
    # A plain part of a line or two beside an HTML part is the "view it as HTML" kind: read the HTML at once.
    short = bool(parts.html) and len(parts.plain) < SHORT_PLAIN
    content = read_content(
        fmt, subject, parts.text(with_html=not parts.plain or short), home_currency=home, links=parts.links()
    )
    if content.money is None and parts.plain and parts.html and not short:
        content = read_content(fmt, subject, parts.text(with_html=True), home_currency=home, links=parts.links())
    if trace is not None:
        trace.content = content
    common: dict[str, Any] = {
        "message_id": message_id,
        "received_at": received_at,
        "forwarded": forwarded,
        "gateway": gateway,
        "gateway_txn_id": content.txn_id,
    }
    if content.kind not in ("payment", "unknown"):
        payout = None
        if content.kind == "payout" and not forwarded and isinstance(received_at, datetime):
            # The service's own word that a payout is on its way: one sign of that payout (never a payment).
            content_text = parts.text(with_html=not parts.plain)
            payout = read_payout_notice(
                gateway=gateway,
                message_id=message_id,
                subject=subject,
                body=content_text,
                default_currency=home,
                on=received_at.date(),
                amounts=[p for w in fmt.wordings_for(subject, content_text) for p in w.payout_amounts],
            )
        return NoticeReading(
            **common,
            verdict=DecisionKind.IGNORE,
            reason=f"{what} is no payment: {content.reason} ({content.evidence})",
            payout=payout,
        )
    money = content.money
    if content.kind == "unknown" and (money is None or not forwarded):
        # Authenticated mail of a payment service that its format cannot place: a person looks, it is never
        # silently filed away (it may be a payment in a wording not known yet).
        said = f"states {money}" if money is not None else "states no amount it can read"
        return NoticeReading(
            **common,
            verdict=DecisionKind.REVIEW,
            reason=f"{what} is in no wording known for {gateway} and {said}: check whether it is a payment",
        )
    if money is None:
        return NoticeReading(
            **common,
            verdict=DecisionKind.REVIEW,
            reason=f"{what} reads as a payment ({content.evidence}) but the amount cannot be taken "
            f"({content.money_problem}): check by hand",
        )
    text = list(content.payer_text)
    if content.assumed_currency:
        text.append(("currency_assumed", money.currency))
    invoice_number = next((value for name, value in text if name == "invoice"), "") if gateway == "xero" else ""
    receipt = Receipt(
        receipt_id=message_id,
        source=ReceiptSource.NOTICE,
        received_at=received_at,
        money=money,
        payer_name=content.payer_name,
        payer_email=content.payer_email,
        text=tuple(text),
        gateway=gateway,
        gateway_txn_id=content.txn_id,
        invoice_number=invoice_number,
        raw_kind=f"{gateway}:forwarded" if forwarded else f"{gateway}:payment",
    )
    payer = content.payer_name or content.payer_email or "an unnamed payer"
    if forwarded:
        reason = f"{what}: {money} from {payer}; genuine but no proof of payment, a person decides"
    else:
        reason = f"{what}: payment of {money} from {payer}"
    return NoticeReading(**common, receipt=receipt, reason=reason)


@functools.cache
def _body_parser() -> type[Any]:
    """mail-parser's body decoding (charsets, transfer encodings, inline vs attachment) without rebuilding its
    summary dictionaries twice per message, which we never read. Loaded on first use: notices in the usual
    layout never need it (see `simple_text_parts`)."""
    import mailparser

    class BodyParser(mailparser.MailParser):  # type: ignore[misc]
        def _make_mail(self, complete: bool = True) -> dict[str, Any]:
            return {}

    return BodyParser


MAX_MIME_PARTS = 200
SHORT_PLAIN = 160  # characters: a plain part this short says no more than "view this message as HTML"
_HREF = re.compile(r"""href\s*=\s*["']([^"'<>\s]{1,2000})["']""", re.IGNORECASE)

# Only these headers matter for the body; the rest were read (strictly) from the raw bytes already.
_CONTENT_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version", "content-disposition"})


@dataclass(frozen=True, kw_only=True, slots=True)
class _Body:
    plain: str  # tidied text of the text/plain parts
    html: tuple[str, ...]  # raw text/html parts, converted only when the plain text is not enough

    def links(self) -> Iterator[str]:
        """The targets of the HTML parts' links, read only when asked for."""
        for part in self.html:
            for found in _HREF.finditer(part[:MAX_TEXT_CHARS]):
                yield unescape(found.group(1))

    def text(self, with_html: bool) -> str:
        if not with_html or not self.html:
            return self.plain
        budget = max(0, MAX_TEXT_CHARS - len(self.plain))
        converted = "\n\n".join(html_to_text(part[: budget * 4]) for part in self.html)
        return f"{self.plain}\n\n{converted}"[:MAX_TEXT_CHARS] if self.plain else converted[:MAX_TEXT_CHARS]


def _body_of(raw: bytes, headers: Headers) -> _Body:
    """Parse the MIME body once (standard library) and decode its text parts: a lone text part directly, anything
    else with mail-parser (the standard library's own decoding should mail-parser fail on the message)."""
    parts = raw[headers.body_offset :].lower().count(b"content-type:")
    if parts > MAX_MIME_PARTS:
        raise Malformed(f"{parts} MIME parts (a notice has a handful; at most {MAX_MIME_PARTS} are read)")
    head = b"".join(
        name.encode("ascii") + b":" + value + b"\n" for name, value in headers.fields if name in _CONTENT_HEADERS
    )
    message = email.message_from_bytes(
        _stable_boundaries(head + b"\n" + raw[headers.body_offset :]), policy=email.policy.compat32
    )
    simple = simple_text_parts(message)
    if simple is not None:
        plain = [text for subtype, text in simple if text and subtype == "plain"]
        html = [text for subtype, text in simple if text and subtype == "html"]
    else:
        plain, html = mail_parser_parts(message)
    tidy = "\n\n".join(tidy_text(part) for part in plain)[:MAX_TEXT_CHARS]
    return _Body(plain=tidy, html=tuple(part[: MAX_TEXT_CHARS * 4] for part in html))


def mail_parser_parts(message: Message) -> tuple[list[str], list[str]]:
    """The text/plain and text/html parts as mail-parser reads them (inline versus attachment, nested parts,
    charset recovery), or the standard library's reading should mail-parser fail on the message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = _body_parser()(message=message)
            return [str(p) for p in parsed.text_plain], [str(p) for p in parsed.text_html]
    except Exception:
        return _stdlib_parts(message)


_PLAIN_ENCODINGS = frozenset({"", "7bit", "8bit"})
_SINGLE_PART_ENCODINGS = _PLAIN_ENCODINGS | {"quoted-printable", "base64"}


# A container of more parts than this is left to mail-parser.
MAX_SIMPLE_PARTS = 8


def simple_text_parts(message: Message) -> list[tuple[str, str]] | None:
    """The text parts of a message laid out as notices are: one text part, or one multipart container (no
    disposition, no defects) holding only text parts, each decoded by `single_text_part`, in order. This is
    what mail-parser gives for that layout (tests/notices/test_body.py compares the two). None for anything
    else (nested containers, attachments, named or unusual parts, parser defects); mail-parser reads those."""
    if not message.is_multipart():
        single = single_text_part(message)
        return None if single is None else [single]
    if message.defects or "content-disposition" in message or message.get_param("name") is not None:
        return None
    children = message.get_payload()
    if not isinstance(children, list) or not children or len(children) > MAX_SIMPLE_PARTS:
        return None
    parts = []
    for child in children:
        if not isinstance(child, Message) or child.defects:
            return None
        single = single_text_part(child)
        if single is None:
            return None
        parts.append(single)
    return parts


def single_text_part(message: Message) -> tuple[str, str] | None:
    """("plain" or "html", text) of a message that is one text part and nothing else: no file name, disposition
    or content id, an ordinary transfer encoding. It is decoded exactly as mail-parser decodes such a part
    (tests/notices/test_body.py compares the two), without the rest of mail-parser's summary, which costs more
    than the whole notice reading. None for any other message; mail-parser reads those."""
    if message.is_multipart() or "content-disposition" in message or "content-id" in message:
        return None
    kind = message.get_content_type()
    if kind not in ("text/plain", "text/html") or message.get_param("name") is not None:
        return None
    encoding = str(message.get("content-transfer-encoding", "")).strip().lower()
    if encoding not in _SINGLE_PART_ENCODINGS:
        return None
    subtype = kind[5:]
    payload = message.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        return subtype, ""
    if encoding in _PLAIN_ENCODINGS and payload.isascii():
        return subtype, payload.decode("ascii")  # mail-parser takes unencoded ASCII as it stands, whatever the charset
    try:
        decoded = payload.decode(message.get_content_charset("utf-8"))
        decoded.encode("utf-8")  # some codecs give lone surrogates
    except (LookupError, UnicodeError):
        decoded = payload.decode("utf-8", "replace")
    return subtype, unicodedata.normalize("NFC", decoded)  # as mail-parser's ported_string does


_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE)


def _stable_boundaries(message: bytes) -> bytes:
    """Rename each MIME boundary to a fixed token. The standard library compiles one regular expression per
    boundary it meets, and every notice has unique ones, so this saves a compile per message; a boundary never
    occurs in content (RFC 2046), so the parts stay the same."""
    found = []
    for match in _BOUNDARY.finditer(message[:200_000]):
        boundary = match.group(1) or match.group(2)
        # Short boundaries ("z") could occur inside words; generated ones are long and unique.
        if len(boundary) >= 16 and boundary not in found:
            found.append(boundary)
        if len(found) >= 8:
            break
    for index, boundary in enumerate(found):
        message = message.replace(boundary, b"=_rw_part_%d_=" % index)
    return message


def _stdlib_parts(message: Message) -> tuple[list[str], list[str]]:
    plain: list[str] = []
    html: list[str] = []
    try:
        parts: list[Message] = list(message.walk())[:200]
    except Exception:
        return plain, html
    for part in parts:
        if part.get_content_maintype() != "text" or part.get_filename():
            continue
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            continue
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:
            text = payload.decode("utf-8", errors="replace")
        (html if part.get_content_subtype() == "html" else plain).append(text)
    return plain, html


__all__ = ["read_notice"]
