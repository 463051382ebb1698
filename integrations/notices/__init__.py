"""Reading card-payment notice e-mails (PayPal, Stripe, Windcave, Xero) into NoticeReadings: sender
authentication on the raw bytes, then the gateway's notice format (data in rules/notice_formats/)."""

from integrations.notices.batch import NO_DATE, NoticeStream, read_notices
from integrations.notices.formats import builtin_formats, load_format_dir, load_formats
from integrations.notices.reading import read_notice
from integrations.notices.trust import (
    DEFAULT_MAX_BYTES,
    SenderTrust,
    dns_txt_resolver,
    trust_from_context,
    trust_from_settings,
    zone_lookup,
)
from rules.notice_text import FormatError, NoticeFormats

__all__ = [
    "DEFAULT_MAX_BYTES",
    "NO_DATE",
    "FormatError",
    "NoticeFormats",
    "NoticeStream",
    "SenderTrust",
    "builtin_formats",
    "dns_txt_resolver",
    "load_format_dir",
    "load_formats",
    "read_notice",
    "read_notices",
    "trust_from_context",
    "trust_from_settings",
    "zone_lookup",
]
