"""Reading card-payment notice e-mails (PayPal, Stripe, Windcave, Xero) into NoticeReadings: sender
authentication on the raw bytes, then the gateway's notice format (data in rules/notice_formats/).

Names are loaded on first use: a process that only hands messages to forked readers (the replay's main
process) never loads DKIM, DNS and MIME libraries it does not call."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "NO_DATE": "integrations.notices.batch",
    "NoticeStream": "integrations.notices.batch",
    "read_notices": "integrations.notices.batch",
    "builtin_formats": "integrations.notices.formats",
    "load_format_dir": "integrations.notices.formats",
    "load_formats": "integrations.notices.formats",
    "read_notice": "integrations.notices.reading",
    "DEFAULT_MAX_BYTES": "integrations.notices.trust",
    "SenderTrust": "integrations.notices.trust",
    "dns_txt_resolver": "integrations.notices.trust",
    "trust_from_context": "integrations.notices.trust",
    "trust_from_settings": "integrations.notices.trust",
    "zone_lookup": "integrations.notices.trust",
    "FormatError": "rules.notice_text",
    "NoticeFormats": "rules.notice_text",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


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
