"""What payers type into references: invoice numbers in their many spellings, domain names (often truncated by
a 12-character bank field), and the words around them. Pure text functions; the word lists are data
(`rules/patterns.toml`, extendable from configuration).
"""

from __future__ import annotations

import itertools
import re
import tomllib
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Answers worked out from these patterns are remembered, up to this many per table: names, payees and own
# names repeat across receipts, and a table that fills up starts afresh, so memory stays bounded.
MEMORY_LIMIT = 50_000

PATTERNS_FILE = Path(__file__).with_name("patterns.toml")


@dataclass(frozen=True, kw_only=True, slots=True)
class Patterns:
    """The data the reference and payer rules read."""

    invoice_words: tuple[str, ...] = ()
    digit_lookalikes: tuple[tuple[str, str], ...] = ()
    noise_words: frozenset[str] = frozenset()
    public_suffix_labels: frozenset[str] = frozenset()
    company_suffixes: frozenset[str] = frozenset()
    titles: frozenset[str] = frozenset()
    top_level_domains: frozenset[str] = frozenset()
    settlement_payees: tuple[str, ...] = ()
    settlement_words: tuple[str, ...] = ()
    settlement_filler_words: frozenset[str] = frozenset()
    interest_words: tuple[str, ...] = ()
    own_transfer_words: tuple[str, ...] = ()
    payer_prefixes: tuple[str, ...] = ()  # "payment from", "direct credit from": before a payer's name in a bank line
    trading_as: tuple[str, ...] = ()  # "t/a", "trading as": a payer's own name, then the name it trades under
    column_width: int = 12  # NZ Particulars / Code / Reference, packed into one field by some feeds
    # A family trust's or holding company's own words ([payers] in patterns.toml): "SMITH FAMILY TRUST"
    trust_words: frozenset[str] = frozenset()
    family_words: frozenset[str] = frozenset()
    trust_leads: tuple[str, ...] = ()  # "trustees of": before the family's name, longest first
    holding_words: frozenset[str] = frozenset()
    min_cut_word: int = 4  # the start of one of those words, at least this long, ends a name the bank cut short
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def extended(self, extra: Mapping[str, Sequence[str]]) -> Patterns:
        """These patterns plus words from configuration (`extra_<list name>`), so wording changes need no
        release. Unknown names raise ValueError."""
        changes: dict[str, Any] = {}
        for name, words in extra.items():
            if not words:
                continue
            current = getattr(self, name, None)
            if current is None or name.startswith("_") or name == "digit_lookalikes":
                raise ValueError(f"no pattern list called {name!r}")
            lowered = tuple(w.lower() for w in words)
            changes[name] = current | frozenset(lowered) if isinstance(current, frozenset) else tuple(current) + lowered
        return replace(self, _cache={}, **changes) if changes else self

    def remembered(self, table: str, key: Hashable, compute: Callable[[], T]) -> T:
        """compute(), remembered under `key` in `table` for this pattern set (a changed set starts empty)."""
        memory: dict[Hashable, Any] | None = self._cache.get(table)
        if memory is None:
            memory = self._cache[table] = {}
        if key in memory:
            value: T = memory[key]
            return value
        value = compute()
        if len(memory) >= MEMORY_LIMIT:
            memory.clear()
        memory[key] = value
        return value


@cache
def builtin_patterns() -> Patterns:
    """The built-in patterns file, read once on first use (never at import)."""
    data = tomllib.loads(PATTERNS_FILE.read_text(encoding="utf-8"))
    ignore = data.get("ignore", {})
    bank = data.get("bank", {})
    payers = data.get("payers", {})
    return Patterns(
        invoice_words=tuple(data["invoice_words"]),
        digit_lookalikes=tuple(data["digit_lookalikes"].items()),
        noise_words=frozenset(data["noise_words"]),
        public_suffix_labels=frozenset(data["public_suffix_labels"]),
        company_suffixes=frozenset(data["company_suffixes"]),
        titles=frozenset(data["titles"]),
        top_level_domains=frozenset(data["top_level_domains"]),
        settlement_payees=tuple(ignore["settlement_payees"]),
        settlement_words=tuple(ignore["settlement_words"]),
        settlement_filler_words=frozenset(ignore["settlement_filler_words"]),
        interest_words=tuple(ignore["interest_words"]),
        own_transfer_words=tuple(ignore["own_transfer_words"]),
        payer_prefixes=tuple(sorted((p.lower() for p in bank.get("payer_prefixes", ())), key=len, reverse=True)),
        column_width=int(bank.get("column_width", 12)),
        trading_as=tuple(w.lower() for w in data.get("trading_as", ())),
        trust_words=frozenset(w.lower() for w in payers.get("trust_words", ())),
        family_words=frozenset(w.lower() for w in payers.get("family_words", ())),
        trust_leads=tuple(sorted((w.lower() for w in payers.get("trust_leads", ())), key=len, reverse=True)),
        holding_words=frozenset(w.lower() for w in payers.get("holding_words", ())),
        min_cut_word=int(payers.get("min_cut_word", 4)),
    )


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def plain(text: str) -> str:
    """Lower case without accents or macrons, as banks write names: 'Māori Café' -> 'maori cafe'."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def squash(text: str) -> str:
    """Lower case letters and digits only: 'NAPIER-CLEANI.' -> 'napiercleani'."""
    lowered = plain(text)
    if lowered.isalnum() and lowered.isascii():
        return lowered  # letters and digits already (a word, a name without spaces): nothing to substitute
    return _NON_ALNUM.sub("", lowered)


def digits_key(digits: str) -> str:
    """An invoice number's numeric part without leading zeros ('0042' -> '42'; '000' -> '0')."""
    return digits.lstrip("0") or "0"


_LAST_NUMBER = re.compile(r"(\d+)\D*$")
_DIGITS = re.compile(r"\d+")


def invoice_number_key(number: str) -> tuple[str, str] | None:
    """(prefix, digits key) of an invoice number that exists: 'INV-0042' -> ('inv', '42'). None without digits."""
    m = _LAST_NUMBER.search(number)
    if not m:
        return None
    prefix = _DIGITS.sub("", squash(number[: m.start()]))
    return prefix, digits_key(m.group(1))


@dataclass(frozen=True, kw_only=True, slots=True)
class InvoiceRef:
    """An invoice number found in text: its digits key, whether a prefix word introduced it, and the text."""

    key: str
    prefixed: bool
    raw: str


def _invoice_regex(patterns: Patterns, prefixes: Iterable[str]) -> re.Pattern[str]:
    words = {w.lower() for w in patterns.invoice_words} | {p.lower() for p in prefixes if p}
    # Longest first so "invoice" wins over "inv"; spaces inside a word may be any separator.
    alternatives = "|".join(
        r"[\s\-_.]*".join(re.escape(part) for part in word.split()) for word in sorted(words, key=len, reverse=True)
    )
    look = "".join(sorted({k for k, _ in patterns.digit_lookalikes}))
    digit_run = rf"[{re.escape(look)}]*\d[\d{re.escape(look)}]*" if look else r"\d+"
    return re.compile(
        rf"(?<![a-z0-9])(?:{alternatives})s?\s*(?:no\.?|number|num|#)?\s*[\s\-#:/_.]{{0,3}}\s*({digit_run})(?![0-9])",
        re.IGNORECASE,
    )


# Three to eight digits standing alone: not part of an amount, a date, a time, or a dashed account or phone number.
_BARE_NUMBER = re.compile(r"(?<![\w.,$/:])(?<!\d-)(\d{3,8})(?![\w/:]|[.,]\d|-\d)")
_BARE_LIST = re.compile(r"(?<![\w.,$/:])(?<!\d-)(\d{3,8}(?:[/,]\d{3,8}){1,5})(?![\w/:]|[.,]\d|-\d)")
_SEPARATORS = re.compile(r"[/,]")


# Numbers run on after a prefixed invoice number with slashes: "INV1085/1088/1090" (a bare number after a slash is
# otherwise not read, being what dates look like). "1085 & 1088", "1085+1088" and "1085, 1088 and 1090" are read
# as bare numbers already.
_LISTED = re.compile(r"(?:/\d{3,8}(?![\d.:]|,\d))+")
_LISTED_NUMBER = re.compile(r"\d{3,8}")


def payer_after_prefix(text: str, patterns: Patterns) -> str:
    """The payer's name after a bank's prefix ("PAYMENT FROM KAURI CAFE" -> "KAURI CAFE"), or "" when there is
    none."""
    lowered = " ".join(text.lower().split())
    for prefix in patterns.payer_prefixes:
        if lowered.startswith(prefix + " "):
            # The narrative may go on after the name with the payer's reference ("DIRECT CREDIT FROM M NGATA
            # INV1058"): the name ends before the first word with a digit or a word that introduces an invoice.
            words = " ".join(text.split())[len(prefix) + 1 :].split(" ")
            cut = next(
                (i for i, w in enumerate(words) if any(c.isdigit() for c in w) or w.lower() in patterns.invoice_words),
                len(words),
            )
            return " ".join(words[: cut or len(words)]).strip(" ,.-")
    return ""


def bank_columns(value: str, width: int) -> list[str]:
    """The Particulars, Code and Reference packed into one field as fixed-width columns ("NAPIERCLEANIINV-1085",
    "JO SMITH    INV1085     KAURICAFE"), one per column; [] when the field is no such packing (shorter than two
    columns, or free text: single spaces and no padding)."""
    if len(value) <= width or len(value) > 3 * width:
        return []
    cut = [value[i : i + width] for i in range(0, len(value), width)]
    padded = "  " in value  # a column shorter than 12 characters, padded with spaces
    glued = not any(ch.isspace() for ch in value)  # full columns run into each other: one long word
    if not (padded or glued):
        return []
    return [column.strip() for column in cut if column.strip()]


def find_invoice_refs(text: str, patterns: Patterns, prefixes: Iterable[str] = ()) -> list[InvoiceRef]:
    """Every invoice number in `text`: prefixed forms (INV-0042, inv42, INV 0042, Invoice INV-0042, INV-O042,
    INV0042) and bare numbers of three or more digits (0042, 1058). Whether one exists is the caller's question.
    """
    regex = patterns.remembered("invoice_regex", ",".join(sorted(prefixes)), lambda: _invoice_regex(patterns, prefixes))
    table = str.maketrans(dict(patterns.digit_lookalikes))
    found: dict[str, InvoiceRef] = {}
    for m in regex.finditer(text):
        digits = m.group(1).translate(table)
        if digits.isdigit():
            k = digits_key(digits)
            found[k] = InvoiceRef(key=k, prefixed=True, raw=m.group(0).strip())
            # "INV1085/1088": numbers run on after one prefix are invoice numbers as well.
            listed = _LISTED.match(text, m.end())
            if listed:
                for more in _LISTED_NUMBER.findall(listed.group(0)):
                    key = digits_key(more)
                    found.setdefault(key, InvoiceRef(key=key, prefixed=True, raw=more))
    bare = [m.group(1) for m in _BARE_NUMBER.finditer(text)]
    for m in _BARE_LIST.finditer(text) if "," in text or "/" in text else ():
        # "1085,1088" and "1085/1088/1090" without spaces: a list, when no part can be a group of thousands
        # ("123,456") or a date's ("10/11/2026", whose parts are shorter).
        parts = _SEPARATORS.split(m.group(1))
        separators = _SEPARATORS.findall(m.group(1))
        if not any(len(part) == 3 and sep == "," for part, sep in zip(parts[1:], separators, strict=True)):
            bare.extend(parts)
    for number in bare:
        k = digits_key(number)
        if k not in found:
            found[k] = InvoiceRef(key=k, prefixed=False, raw=number)
    return list(found.values())


def near_keys(key: str) -> set[str]:
    """Digit keys one typing slip away (swap of neighbours, one digit changed, dropped or doubled): for
    suggestions only, never for acting."""
    out: set[str] = set()
    for i in range(len(key) - 1):
        out.add(key[:i] + key[i + 1] + key[i] + key[i + 2 :])
    for i in range(len(key)):
        out.add(key[:i] + key[i + 1 :])
        for d in "0123456789":
            out.add(key[:i] + d + key[i + 1 :])
            out.add(key[:i] + d + key[i:])
    return {digits_key(k) for k in out if k} - {key}


_DOMAIN = re.compile(r"(?<![a-z0-9@.\-])((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![a-z0-9\-])", re.I)


def find_domains(text: str) -> list[str]:
    """Domain names written out in `text` ('mereking.nz', 'renew brownyoga.com.au' -> 'brownyoga.com.au');
    e-mail addresses are not domains a payer paid for."""
    found = [d.lower().rstrip(".") for d in _DOMAIN.findall(text)]
    return [d[4:] if d.startswith("www.") and d.count(".") > 1 else d for d in found]


def domain_label(domain: str, patterns: Patterns) -> str:
    """The registrable name without its public suffix: 'brownyoga.com.au' -> 'brownyoga'."""
    labels = domain.lower().strip(".").split(".")
    if len(labels) > 1:
        labels.pop()  # the top-level domain
    while len(labels) > 1 and labels[-1] in patterns.public_suffix_labels:
        labels.pop()
    return squash(labels[-1])


def reference_words(text: str, patterns: Patterns, *, min_length: int) -> list[str]:
    """Squashed words (and neighbouring pairs) long enough to name a domain, without noise words:
    'NAPIERCLEANI KIWIWEB' -> ['napiercleani', 'kiwiweb']."""
    raw = [squash(w) for w in re.split(r"[\s,;/|]+", text)]
    words = [w for w in raw if w and w not in patterns.noise_words and not w.isdigit()]
    out = [w for w in words if len(w) >= min_length]
    for a, b in itertools.pairwise(words):
        if len(a) + len(b) >= min_length:
            out.append(a + b)
    return out
