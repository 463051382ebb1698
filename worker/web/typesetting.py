"""Keeps references whole on narrow screens: a browser may break a line at any hyphen, which splits an order id
(ORD-|1042), a date (2026-|11-20), a domain (my-|shop.co.nz) or a negative amount (-|NZ$122.50) across two lines.

Every page's text is read once before it is sent: a hyphenated token holding a digit or a dot is kept on one line,
and a key in `<code>` may break only after its colons. Plain hyphenated words ("comma-separated") still wrap.
"""

from __future__ import annotations

import re

LONGEST = 28  # longer runs (a hostile payer reference) are left to wrap, or a phone would scroll sideways
KEEP_CLASS = "nw"
_PARTS = re.compile(r"(<[^>]*>)")
_TOKEN = re.compile(r"[^\s]*-[^\s]*")
_WORD = re.compile(r"[^\s]+")
# Elements whose text is not marked up: shown as written (title, option, textarea) or not text at all.
_PLAIN = frozenset({"title", "option", "textarea", "script", "style"})
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")


def _kept(token: str) -> bool:
    return len(token) <= LONGEST and any(c.isdigit() or c == "." for c in token)


def _text(text: str) -> str:
    def keep(m: re.Match[str]) -> str:
        token = m.group(0)
        return f'<span class="{KEEP_CLASS}">{token}</span>' if _kept(token) else token

    return _TOKEN.sub(keep, text)


def _code(text: str) -> str:
    # A key like note:inv-ORD-1042:register:aroha.nz:ORD-1042, or a command: each hyphenated part whole, a break
    # allowed after each colon.
    def parts(m: re.Match[str]) -> str:
        return ":<wbr>".join(
            f'<span class="{KEEP_CLASS}">{p}</span>' if "-" in p and len(p) <= LONGEST else p
            for p in m.group(0).split(":")
        )

    return _WORD.sub(parts, text)


def keep_references_whole(page: str) -> str:
    """The page with each reference in its text kept on one line (markup and attribute values untouched)."""
    out: list[str] = []
    plain: str | None = None  # inside this element, text is left alone
    code = 0
    for part in _PARTS.split(page):
        if not part:
            continue
        if part.startswith("<"):
            out.append(part)
            tag = _TAG.match(part)
            if tag is None:
                continue
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if plain is not None:
                if closing and name == plain:
                    plain = None
            elif name in _PLAIN and not closing:
                plain = name
            elif name == "code":
                code = max(0, code - 1) if closing else code + 1
            continue
        if plain is not None or "-" not in part:
            out.append(part)
        else:
            out.append(_code(part) if code else _text(part))
    return "".join(out)
