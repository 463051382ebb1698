"""Matching policy settings: who may send payment notices, and the tolerances and word lists the bookkeeper
allows. Everything has a safe default: exact amounts only, five suggestions, a day to confirm a Xero notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from config.sources import Reader

# Word lists in rules/patterns.toml a reseller may extend: `[matching.extra_patterns] settlement_payees = [...]`.
EXTENDABLE_PATTERNS = (
    "invoice_words",
    "noise_words",
    "public_suffix_labels",
    "company_suffixes",
    "titles",
    "top_level_domains",
    "settlement_payees",
    "settlement_words",
    "settlement_filler_words",
    "interest_words",
    "own_transfer_words",
    "trust_words",
    "family_words",
    "trust_leads",
    "holding_words",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class MatchingSettings:
    trusted_authserv_id: str
    payment_senders: dict[str, str]  # sender domain -> gateway
    own_domains: tuple[str, ...]  # the reseller's own mail domains (forwarded notices)
    # Exact addresses the payment services send our notices to; empty means the inbox username, when it is one.
    receiving_addresses: tuple[str, ...] = ()
    fee_tolerance: Decimal  # how far an amount may differ and still be acted on; 0 = exact only
    own_account_names: tuple[str, ...] = ()  # payee names of the reseller's own accounts (own transfers)
    max_candidates: int = 5
    min_domain_prefix: int = 8
    bank_field_length: int = 12
    notice_confirm_hours: int = 24
    amount_only_candidates: int = 5
    platform_gateways: tuple[str, ...] = ("xero",)  # anyone can send mail through these; confirm against records
    extra_patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notice_formats_dir: str = ""  # extra gateway notice formats (one file per gateway), beside the built-in ones
    # DKIM keys from a JSON file of TXT records instead of DNS: for the demo and offline tests only, since a key
    # that is not in public DNS proves nothing about who sent a message.
    dkim_keys_file: str = ""


def _addresses(r: Reader, key: str) -> tuple[str, ...]:
    values = r.list(key)
    for value in values:
        if value.count("@") != 1 or not value.split("@")[0] or "." not in value.split("@")[1]:
            r.problems.add(r.env_name(key), f"{value!r} is not an e-mail address (a domain alone proves nothing)")
    return tuple(v.strip().lower() for v in values)


def read_matching(r: Reader) -> MatchingSettings:
    extra_raw = r.mapping("extra_patterns", {})
    extra: dict[str, tuple[str, ...]] = {}
    for name, words in extra_raw.items():
        if name not in EXTENDABLE_PATTERNS:
            r.problems.add(
                f"{r.file} [matching.extra_patterns] {name}",
                f"is not a pattern list (one of {', '.join(EXTENDABLE_PATTERNS)})",
            )
        elif not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            r.problems.add(f"{r.file} [matching.extra_patterns] {name}", "must be a list of strings")
        else:
            extra[name] = tuple(words)
    keys_file = r.str("dkim_keys_file", "")
    if keys_file and not Path(keys_file).is_file():
        r.problems.add(r.where("dkim_keys_file"), f"no such file: {keys_file}")
    tolerance = r.decimal("fee_tolerance", "0.00")
    if tolerance < 0:
        r.problems.add(r.where("fee_tolerance"), "must not be negative")
    return MatchingSettings(
        trusted_authserv_id=r.str("trusted_authserv_id", ""),
        payment_senders={
            str(k): str(v)
            for k, v in r.mapping(
                "payment_senders",
                {"paypal.com": "paypal", "stripe.com": "stripe", "windcave.com": "windcave", "post.xero.com": "xero"},
            ).items()
        },
        own_domains=r.list("own_domains"),
        receiving_addresses=_addresses(r, "receiving_addresses"),
        fee_tolerance=tolerance,
        own_account_names=r.list("own_account_names"),
        max_candidates=r.int("max_candidates", 5, minimum=1, maximum=20),
        min_domain_prefix=r.int("min_domain_prefix", 8, minimum=4, maximum=64),
        bank_field_length=r.int("bank_field_length", 12, minimum=4, maximum=64),
        notice_confirm_hours=r.int("notice_confirm_hours", 24, minimum=1, maximum=24 * 14),
        amount_only_candidates=r.int("amount_only_candidates", 5, minimum=0, maximum=20),
        platform_gateways=r.list("platform_gateways", ("xero",)),
        extra_patterns=extra,
        notice_formats_dir=r.str("notice_formats_dir", ""),
        dkim_keys_file=keys_file,
    )
