"""Sender authentication of a notice: our own DKIM verification (dkimpy), aligned with the From domain, and
the verdict of our own mail server (the topmost Authentication-Results carrying our authserv-id).

A valid signature proves only which platform sent the mail; whether it proves a payment is decided later.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from integrations.notices.dkim_bytes import use_fast_conversions
from integrations.notices.dkim_verifier import NoticeDKIM
from integrations.notices.headers import Headers
from rules.notice_text import in_domain

# A message may carry several signatures; each aligned one is verified once, and only this many are tried.
MAX_SIGNATURES_VERIFIED = 3
REQUIRED_SIGNED_HEADERS = frozenset({b"from", b"subject", b"date"})


def _quiet_logger() -> logging.Logger:
    # dkimpy logs a missing key at ERROR level; our reading reports it as a reason instead.
    # dkimpy also logs at DEBUG on every verification; a level above CRITICAL means no record is even built.
    logger = logging.Logger("integrations.notices.dkimpy", level=logging.CRITICAL + 1)
    logger.addHandler(logging.NullHandler())
    return logger


_DKIM_LOGGER = _quiet_logger()


@dataclass(frozen=True, kw_only=True, slots=True)
class ServerVerdict:
    """What our own MX wrote in its topmost Authentication-Results header."""

    found: bool
    dkim: tuple[tuple[str, str], ...] = ()  # (result, signing domain) per dkim= result, in order
    dmarc: str = ""
    spf: str = ""
    spf_domain: str = ""  # smtp.mailfrom's domain: the domain SPF passed or failed for
    dmarc_from: str = ""  # header.from of the dmarc= result

    @property
    def dkim_summary(self) -> str:
        return ",".join(result for result, _ in self.dkim) or "nothing"

    def failed(self, from_domain: str) -> str:
        """Why our MX says the mail is not authentic, or "": DMARC failed, or every DKIM result for a domain
        aligned with From failed (a failing extra signature of some other domain does not count)."""
        if self.dmarc == "fail":
            return "our mail server recorded dmarc=fail"
        aligned = [result for result, domain in self.dkim if not domain or in_domain(from_domain, domain)]
        if aligned and "pass" not in aligned and {"fail", "permerror"} & set(aligned):
            return f"our mail server recorded dkim={','.join(aligned)}"
        return ""

    def aligned_pass(self, from_domain: str) -> str:
        """What our MX recorded that authenticates `from_domain` itself, or "": DMARC pass for that From domain,
        or a DKIM or SPF pass for a domain aligned with it (the same domain, or one a parent of the other). A pass
        for some other domain (`spf=pass` for the sender's own server) says nothing about our From."""
        if self.dmarc == "fail":
            return ""
        if self.dmarc == "pass" and (not self.dmarc_from or _aligned(self.dmarc_from, from_domain)):
            return "dmarc=pass"
        for result, domain in self.dkim:
            if result == "pass" and domain and _aligned(domain, from_domain):
                return f"dkim=pass for {domain}"
        if self.spf == "pass" and self.spf_domain and _aligned(self.spf_domain, from_domain):
            return f"spf=pass for {self.spf_domain}"
        return ""

    def summary(self) -> str:
        spf = f"spf={self.spf or 'none'}" + (f" for {self.spf_domain}" if self.spf_domain else "")
        dkim = ", ".join(f"dkim={r}" + (f" for {d}" if d else "") for r, d in self.dkim) or "dkim=none"
        return f"{spf}, {dkim}, dmarc={self.dmarc or 'none'}"


def _aligned(domain: str, from_domain: str) -> bool:
    return in_domain(domain, from_domain) or in_domain(from_domain, domain)


_COMMENT = re.compile(r"\([^()]*\)")


def server_verdict(headers: Headers, trusted_authserv_id: str) -> ServerVerdict:
    """Read the topmost Authentication-Results whose authserv-id is ours; every lower one arrived with the
    message (a sender can write any header it likes), so it is never read."""
    trusted = trusted_authserv_id.strip().lower()
    if not trusted:
        return ServerVerdict(found=False)
    for value in headers.all("authentication-results"):
        text = _COMMENT.sub(" ", value.decode("utf-8", errors="replace"))
        parts = [p.strip() for p in text.split(";")]
        authserv = parts[0].split()[0].lower() if parts and parts[0].split() else ""
        if authserv != trusted:
            continue
        dkim_results: list[tuple[str, str]] = []
        results: dict[str, str] = {}
        for part in parts[1:]:
            tokens = part.split()
            if not tokens or "=" not in tokens[0]:
                continue
            method, _, result = tokens[0].lower().partition("=")
            props = {}
            for token in tokens[1:]:
                key, sep, val = token.partition("=")
                if sep:
                    props[key.lower()] = val.strip().lower()
            if method == "dkim":
                domain = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
                dkim_results.append((result, domain.rstrip(".")))
            elif method not in results and method == "spf":
                # Alignment is judged on the MAIL FROM identity only (RFC 7489 3.1.2), never on HELO.
                results["spf_domain"] = props.get("smtp.mailfrom", "").rpartition("@")[2].rstrip(".")
            elif method not in results and method == "dmarc":
                results["dmarc_from"] = props.get("header.from", "").rstrip(".")
            results.setdefault(method, result)
        return ServerVerdict(
            found=True,
            dkim=tuple(dkim_results),
            dmarc=results.get("dmarc", ""),
            spf=results.get("spf", ""),
            spf_domain=results.get("spf_domain", ""),
            dmarc_from=results.get("dmarc_from", ""),
        )
    return ServerVerdict(found=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class DkimResult:
    ok: bool
    domain: str = ""  # d= of the signature that verified, or of the last one tried
    reason: str = ""
    dns_error: bool = False  # the key could not be fetched (timeout, server failure): try again later
    # Header names the verified signature covers (its h= tag, lower case, in order, repeats kept): only these
    # headers are the platform's word; any other header could have been added by whoever passed the mail on.
    signed_headers: tuple[str, ...] = ()


def verify_dkim(
    raw: bytes,
    headers: Headers,
    from_domain: str,
    allowed_domain: str,
    dns_txt: Callable[[str], str | None],
) -> DkimResult:
    """Verify, once each, the signatures whose d= equals or is a parent of the From domain and lies within the
    allow-listed domain; the first that verifies wins. Body-length (l=) signatures and signatures that leave
    From, Subject or Date unsigned are refused: content could be added or swapped without breaking them."""
    candidates: list[tuple[int, str, tuple[str, ...]]] = []
    refused: list[str] = []
    for index, value in enumerate(headers.all("dkim-signature")):
        try:
            tags = parse_tag_value(value.replace(b"\n", b""))
        except (InvalidTagValueList, ValueError, IndexError):
            refused.append("an unreadable DKIM-Signature")
            continue
        domain = tags.get(b"d", b"").decode("ascii", errors="replace").strip().lower().rstrip(".")
        if not (in_domain(from_domain, domain) and in_domain(domain, allowed_domain)):
            refused.append(f"a signature by d={domain or '?'} (not aligned with {from_domain})")
            continue
        if b"l" in tags:
            refused.append(f"a d={domain} signature with a body length limit (l=)")
            continue
        listed = tuple(h.strip().lower().decode("ascii", "replace") for h in tags.get(b"h", b"").split(b":"))
        missing = REQUIRED_SIGNED_HEADERS - {h.encode() for h in listed}
        if missing:
            refused.append(
                f"a d={domain} signature that leaves {', '.join(sorted(m.decode() for m in missing))} unsigned"
            )
            continue
        candidates.append((index, domain, listed))
    if not candidates:
        why = "; ".join(refused[:3]) if refused else "no DKIM signature"
        return DkimResult(ok=False, reason=f"not authenticated: {why}")

    dns_failed = False
    key_missing = False

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        nonlocal dns_failed, key_missing
        try:
            record = dns_txt(name.decode("ascii", errors="replace").rstrip("."))
        except Exception:  # a resolver failure is "unknown", not "forged": reported apart
            dns_failed = True
            return None
        key_missing = not record
        return record.encode("ascii", errors="replace") if record else None

    use_fast_conversions()
    try:
        verifier = NoticeDKIM(raw, logger=_DKIM_LOGGER, minkey=1024)
    except dkim.DKIMException as exc:
        return DkimResult(ok=False, reason=f"not authenticated: message unreadable for DKIM ({str(exc)[:60]})")
    last = ""
    for index, domain, listed in candidates[:MAX_SIGNATURES_VERIFIED]:
        try:
            if verifier.verify(idx=index, dnsfunc=dnsfunc):
                return DkimResult(ok=True, domain=domain, reason=f"DKIM d={domain} verified", signed_headers=listed)
            last = f"DKIM d={domain} " + ("has no published key" if key_missing else "signature does not verify")
        except dkim.DKIMException as exc:
            problem = "body altered after signing" if "body hash" in str(exc) else str(exc)[:80]
            last = f"DKIM d={domain} failed: {problem}"
        if dns_failed:
            return DkimResult(
                ok=False, domain=domain, reason=f"DKIM key for d={domain} could not be fetched", dns_error=True
            )
    return DkimResult(ok=False, domain=candidates[0][1], reason=f"not authenticated: {last}")
