"""Explaining one notice: the authentication verdict with its reasons, what was read (service, kind, amount,
currency, payer, transaction id, what the payer wrote, the references in it) and the receipt it becomes, by the same
reader the inbox runs. For a reseller whose notice was not picked up, and for tests of real mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.notices.formats import builtin_formats
from integrations.notices.headers import read_headers, sender_of
from integrations.notices.reading import Trace, _body_of, read_notice
from integrations.notices.trust import SenderTrust
from rules.model import NoticeReading
from rules.notice_text import NoticeContent, NoticeFormats, in_domain, read_content, tidy_text
from rules.references import builtin_patterns, find_domains, find_invoice_refs

# The keys of `notices explain --json`, one object per file.
JSON_KEYS = (
    "file",
    "authenticated",
    "auth_reasons",
    "service",
    "kind",
    "amount",
    "currency",
    "payer",
    "transaction_id",
    "payer_text",
    "references",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Explanation:
    file: str
    authenticated: bool
    auth_reasons: tuple[str, ...]
    service: str  # the payment service whose notice it is (or claims to be), "" when none
    kind: str  # payment, refund, payout, request or other
    content: NoticeContent | None  # what was read; None when it was no notice of a known service
    read_unauthenticated: bool  # the content was read for this explanation only: the inbox would not have read it
    references: tuple[str, ...]
    reading: NoticeReading  # what the inbox makes of it: a receipt, a verdict, or quarantine

    def as_json(self) -> dict[str, Any]:
        content = self.content
        payer = (content.payer_name or content.payer_email) if content else ""
        return {
            "file": self.file,
            "authenticated": self.authenticated,
            "auth_reasons": list(self.auth_reasons),
            "service": self.service or None,
            "kind": self.kind,
            "amount": f"{content.amount:.2f}" if content and content.amount is not None else None,
            "currency": (content.currency or None) if content else None,
            "payer": payer or None,
            "transaction_id": (content.txn_id or None) if content else None,
            "payer_text": [{"field": name, "text": value} for name, value in content.payer_text] if content else [],
            "references": list(self.references),
        }

    def as_text(self) -> str:
        data = self.as_json()
        lines = [f"{self.file}"]
        verdict = "authenticated" if self.authenticated else "NOT authenticated"
        lines.append(f"  sender          {verdict}")
        lines += [f"                  - {reason}" for reason in self.auth_reasons]
        lines.append(f"  service         {data['service'] or '-'}")
        lines.append(
            f"  kind            {self.kind}"
            + (f" ({self.content.reason})" if self.content and self.content.reason else "")
        )
        amount = f"{data['amount']} {data['currency'] or '(currency unknown)'}" if data["amount"] else "-"
        if self.content and self.content.money_problem:
            amount += f"  [{self.content.money_problem}]"
        lines.append(f"  amount          {amount}")
        lines.append(f"  payer           {data['payer'] or '-'}")
        lines.append(f"  transaction id  {data['transaction_id'] or '-'}")
        texts = data["payer_text"] or []
        lines.append("  payer wrote     " + ("; ".join(f"{t['field']}: {t['text']}" for t in texts) or "-"))
        lines.append("  references      " + (", ".join(self.references) or "-"))
        if self.read_unauthenticated:
            lines.append(
                "  (read for this explanation only: mail that is not authenticated is never read by the inbox)"
            )
        lines.append(f"  becomes         {_outcome(self.reading)}")
        return "\n".join(lines)


def _outcome(reading: NoticeReading) -> str:
    if reading.quarantine:
        return f"quarantine: {reading.reason}"
    if reading.receipt is not None:
        r = reading.receipt
        who = r.payer_name or r.payer_email or "an unnamed payer"
        kind = "a forwarded receipt (a person decides)" if reading.forwarded else "a receipt"
        return f"{kind} {r.receipt_id}: {r.money} from {who}, {r.gateway} transaction {r.gateway_txn_id or '-'}"
    verdict = reading.verdict.value if reading.verdict else "review"
    return f"{verdict}: {reading.reason}"


def _category(content: NoticeContent | None) -> str:
    if content is None or content.kind == "unknown":
        return "other"
    return content.category


def references_in(texts: list[tuple[str, str]]) -> tuple[str, ...]:
    """Invoice numbers and domain names in what the payer wrote, as written."""
    joined = " ".join(value for _, value in texts)
    found = [ref.raw for ref in find_invoice_refs(joined, builtin_patterns())]
    found += find_domains(joined)
    return tuple(dict.fromkeys(found))


def explain_notice(
    raw: bytes, trust: SenderTrust, formats: NoticeFormats | None = None, *, file: str = ""
) -> Explanation:
    """Read one message as the inbox does, and say what was found on the way."""
    formats = formats if formats is not None else builtin_formats()
    trace = Trace()
    reading = read_notice(raw, trust, formats, trace)
    content = trace.content
    read_unauthenticated = False
    service = trace.service
    if content is None and not reading.quarantine:
        # Mail the inbox did not read (not authenticated, or from no allow-listed sender): read what it claims,
        # for the person asking, when it claims a service whose format we have.
        claimed = service or _claimed_service(raw, trust)
        fmt = formats.get(claimed) if claimed else None
        if fmt is not None:
            try:
                headers = read_headers(raw)
                parts = _body_of(raw, headers)
                content = read_content(
                    fmt,
                    tidy_text(headers.text("subject")),
                    parts.text(with_html=not parts.plain),
                    home_currency=trust.default_currency,
                    links=parts.links(),
                )
                service = claimed
                read_unauthenticated = not trace.authenticated
            except Exception:  # an explanation never fails on a message the inbox would quarantine
                content = None
    texts = list(content.payer_text) if content else []
    return Explanation(
        file=file,
        authenticated=trace.authenticated and not reading.quarantine,
        auth_reasons=tuple(trace.auth_reasons) or ((reading.reason,) if reading.reason else ()),
        service=service,
        kind=_category(content),
        content=content,
        read_unauthenticated=read_unauthenticated,
        references=references_in(texts),
        reading=reading,
    )


def _claimed_service(raw: bytes, trust: SenderTrust) -> str:
    try:
        domain = sender_of(read_headers(raw)).domain
    except Exception:
        return ""
    matches = [allowed for allowed in trust.payment_senders if in_domain(domain, allowed)]
    return trust.payment_senders[max(matches, key=len)] if matches else ""
