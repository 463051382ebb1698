"""Whom the notice reader trusts: our mail server's authserv-id, the payment services' sender domains, our
own domains, and where DKIM keys come from (DNS in production, a corpus's context.json in a replay)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from config.matching import MatchingSettings

DEFAULT_MAX_BYTES = 2 * 1024 * 1024  # real notices are a few kilobytes; anything near this is not one


@dataclass(frozen=True, kw_only=True, slots=True)
class SenderTrust:
    trusted_authserv_id: str  # the authserv-id our own MX writes into Authentication-Results; "" if none
    payment_senders: Mapping[str, str]  # sender domain -> gateway (paypal.com -> paypal)
    own_domains: tuple[str, ...]  # the reseller's own mail domains: staff forwards
    # The exact addresses payment notices for the reseller's own accounts are sent to (lower case). A domain alone
    # says nothing when the inbox is at a public provider, so a notice counts only when its signed To or Cc names
    # one of these.
    receiving_addresses: tuple[str, ...] = ()
    dns_txt: Callable[[str], str | None] = field(repr=False)  # "sel._domainkey.example.com" -> TXT or None
    max_bytes: int = DEFAULT_MAX_BYTES
    default_currency: str = "NZD"  # for a bare "$45.00": the reseller's home currency, said so in the receipt


def dns_txt_resolver(timeout_seconds: float = 5.0) -> Callable[[str], str | None]:
    """Production key lookup through dnspython with a timeout; NXDOMAIN/no answer is None, a timeout or server
    failure raises (the reader reports it as "try again", not as a forgery)."""
    import dns.resolver

    resolver = dns.resolver.Resolver()
    resolver.lifetime = timeout_seconds
    resolver.timeout = timeout_seconds

    def lookup(name: str) -> str | None:
        try:
            answer = resolver.resolve(name.rstrip(".") + ".", "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None  # the name has no key: a signature with this selector cannot verify
        # Timeouts and failing servers (NoNameservers, SERVFAIL) propagate: the reader says "try again later".
        for record in answer:
            return b"".join(record.strings).decode("ascii", errors="replace")
        return None

    return lookup


def zone_lookup(records: Mapping[str, str]) -> Callable[[str], str | None]:
    """Key lookup from a fixed table (a corpus's context.json `dns_txt`, or test fixtures); no network."""
    table = {name.lower().rstrip("."): value for name, value in records.items()}

    def lookup(name: str) -> str | None:
        return table.get(name.lower().rstrip("."))

    return lookup


# Public mail providers: an inbox there says nothing about who "we" are, so it is no own domain by default
# (anyone can write from gmail.com); a reseller on one sets own_domains explicitly, or leaves it empty.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.nz",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "fastmail.com",
        "xtra.co.nz",
        "zoho.com",
        "gmx.com",
        "mail.com",
    }
)


def _inbox_domain(inbox: str) -> tuple[str, ...]:
    domain = inbox.rsplit("@", 1)[1].strip().lower() if "@" in inbox else ""
    return (domain,) if domain and domain not in PUBLIC_MAIL_DOMAINS else ()


def receiving_addresses(configured: Iterable[str], inbox: str = "") -> tuple[str, ...]:
    """The configured receiving addresses, or else the inbox's own address when it is one (lower case)."""
    found = [a.strip().lower() for a in configured if a and "@" in a]
    if not found and "@" in inbox:
        found = [inbox.strip().lower()]
    return tuple(dict.fromkeys(found))


def trust_from_context(context: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES) -> SenderTrust:
    """SenderTrust for a replay of a corpus: everything from its context.json, keys from its `dns_txt`."""
    own = tuple(str(d).lower() for d in context.get("own_domains", ())) or _inbox_domain(str(context.get("inbox", "")))
    return SenderTrust(
        trusted_authserv_id=str(context.get("trusted_authserv_id", "")),
        payment_senders={str(k).lower(): str(v) for k, v in dict(context.get("payment_senders", {})).items()},
        own_domains=own,
        receiving_addresses=receiving_addresses(
            (str(a) for a in context.get("receiving_addresses", ())), str(context.get("inbox", ""))
        ),
        dns_txt=zone_lookup({str(k): str(v) for k, v in dict(context.get("dns_txt", {})).items()}),
        max_bytes=max_bytes,
        default_currency=str(context.get("home_currency", "NZD")) or "NZD",
    )


def trust_from_settings(
    matching: MatchingSettings,
    *,
    inbox_address: str = "",
    dns_txt: Callable[[str], str | None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    default_currency: str = "NZD",
) -> SenderTrust:
    """SenderTrust for the daemon from the [matching] settings; own domains default to the inbox address's
    domain, receiving addresses to the inbox address, keys to DNS (dnspython, with a timeout)."""
    own = tuple(d.lower() for d in matching.own_domains) or _inbox_domain(inbox_address)
    return SenderTrust(
        trusted_authserv_id=matching.trusted_authserv_id,
        payment_senders={str(k).lower(): str(v) for k, v in matching.payment_senders.items()},
        own_domains=own,
        receiving_addresses=receiving_addresses(matching.receiving_addresses, inbox_address),
        dns_txt=dns_txt if dns_txt is not None else dns_txt_resolver(),
        max_bytes=max_bytes,
        default_currency=default_currency,  # the worker's home currency, for a bare "$45.00"
    )
