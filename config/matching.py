"""Matching policy settings: who may send payment notices, and the tolerances the bookkeeper allows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class MatchingSettings:
    trusted_authserv_id: str
    payment_senders: dict[str, str]  # sender domain -> gateway
    own_domains: tuple[str, ...]  # the reseller's own mail domains (forwarded notices)
    fee_tolerance: Decimal
    # Extra gateway notice format files (*.toml) added to, or replacing by gateway, the built-in set in
    # rules/notice_formats/; "" for the built-in set only.
    notice_formats_dir: str = ""


def read_matching(r: Reader) -> MatchingSettings:
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
        fee_tolerance=r.decimal("fee_tolerance", "0.00"),
        notice_formats_dir=r.str("notice_formats_dir", ""),
    )
