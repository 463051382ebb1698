"""Reading the words of a payment notice: gateway formats as data, amounts, labelled fields, look-alike domains.

Pure functions over already-decoded text and already-loaded format tables (integrations/notices loads the
files in rules/notice_formats/ and the reseller's own); nothing here touches bytes, DNS or the clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html import unescape
from typing import Any

from rules.money import Money
from rules.money_text import MoneyReading, around, builtin_currencies, read_money
from rules.needles import may_match, needles
from rules.notice_layout import (
    SERVICE_FIELDS,
    Layout,
    LayoutError,
    PayerBlock,
    Relined,
    Statement,
    amount_paid,
    compile_layout,
    payer_blocks,
    relined,
    text_fields,
    typed_statements,
    without_payer_names,
    without_payer_text,
)

# Longest stretch of text a notice is read from: real notices are a few kilobytes, and a bound keeps every
# regular expression linear in practice on hostile bodies.
MAX_TEXT_CHARS = 200_000

# Field names a format may extract as the service's own (rules.notice_layout.SERVICE_FIELDS); every other label
# name is a payer-written field, kept in Receipt.text as evidence for references only.
STRUCTURED_FIELDS = SERVICE_FIELDS

# The kind of event each not-payment kind is, when a format does not say (`category` in [[not_payment]]).
CATEGORIES: Mapping[str, str] = {
    "refund": "refund",
    "reversal": "refund",
    "dispute": "refund",
    "chargeback": "refund",
    "payout": "payout",
    "settlement": "payout",
    "withdrawal": "payout",
    "money_request": "request",
    "invoice_to_us": "request",
}
EVENT_CATEGORIES = frozenset({"payment", "refund", "payout", "request", "other"})

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-']{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,24}")


class FormatError(ValueError):
    """A notice format file is unusable; the message says which key and why."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NotPaymentKind:
    """One kind of gateway mail that is no customer payment (payout, money request, bill to us, ...)."""

    kind: str
    reason: str
    category: str = "other"  # payment-notice kinds shown to people: refund, payout, request or other


@dataclass(frozen=True, kw_only=True, slots=True)
class KindPatterns:
    """The not-payment kinds' patterns for one place (subject or body): one pattern per kind, in the format's order;
    the first kind that matches wins."""

    # (index of the kind, its patterns as one, words without which it cannot match: rules.needles)
    patterns: tuple[tuple[int, re.Pattern[str], frozenset[str] | None], ...]

    def first(self, text: str, lowered: str | None = None) -> tuple[int, str] | None:
        """(index of the kind, the words found) of the first kind in order that matches, or None."""
        lowered = text.lower() if lowered is None else lowered
        for index, pattern, words in self.patterns:
            if not may_match(words, lowered):
                continue
            found = pattern.search(text)
            if found:
                return index, found.group(0)[:80]
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class Wording:
    """What one file of a format says in one language: the service's sentences and its wording of a payment and of
    each not-payment kind. A language's wording is read only when the notice is written in it (one of its `markers`
    among the notice's words): a notice in English is never scanned for German, French or Spanish wording."""

    language: str  # "" for the service's own file, read always
    markers: frozenset[str]  # lower-case words that show a text is in this language
    payment_subject: tuple[re.Pattern[str], ...]
    payment_body: tuple[re.Pattern[str], ...]
    payment_needles: Mapping[re.Pattern[str], frozenset[str] | None]  # rules.needles, for each of the above
    not_payment_subject: KindPatterns
    not_payment_body: KindPatterns
    sentences: tuple[str, ...]  # patterns with named groups amount, payer_name, payer_email, ...
    # The sentences compiled as one pattern (group s<n> around the n-th, its groups renamed <group>__<n>): one scan.
    sentence_scan: re.Pattern[str] | None = None
    sentence_needles: frozenset[str] | None = None
    # The service's sentences stating the amount it pays out (`amount` of a payout kind; group amount).
    payout_amounts: tuple[re.Pattern[str], ...] = ()

    def said(self, text: str) -> Iterator[tuple[int, dict[str, str | None], dict[str, tuple[int, int]]]]:
        """(position, groups, spans) of each sentence found in `text`, in order, at most 4 of each sentence."""
        if self.sentence_scan is None or not may_match(self.sentence_needles, text.lower()):
            return
        counts: dict[str, int] = {}
        for found in self.sentence_scan.finditer(text):
            which = found.lastgroup or "s0"
            counts[which] = counts.get(which, 0) + 1
            if counts[which] > 4:
                continue
            suffix = f"__{which[1:]}"
            groups = {name[: -len(suffix)]: value for name, value in found.groupdict().items() if name.endswith(suffix)}
            spans = {name: found.span(f"{name}{suffix}") for name, value in groups.items() if value is not None}
            yield found.start(), groups, spans


class LazyWording:
    """A language's wording, compiled when a notice in that language first comes (built-in files, which the test
    suite compiles whole; a reseller's own files are compiled at start, so a bad pattern stops the worker at once)."""

    __slots__ = ("_compile", "_wording", "language", "markers")

    def __init__(self, language: str, markers: frozenset[str], compile_it: Callable[[], Wording]) -> None:
        self.language = language
        self.markers = markers
        self._compile: Callable[[], Wording] | None = compile_it
        self._wording: Wording | None = None

    def get(self) -> Wording:
        if self._wording is None:
            assert self._compile is not None
            self._wording = self._compile()
            self._compile = None
        return self._wording


_WORDS = re.compile(r"[^\W\d_]+")
LANGUAGE_SAMPLE = 1000  # characters of a text looked at for its language (its greeting and first lines)


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeFormat:
    """How one gateway words its mail: what a payment notice looks like and where each field sits."""

    gateway: str
    brands: tuple[str, ...]  # lower-case words that claim this gateway in a display name or subject
    wordings: tuple[Wording | LazyWording, ...]  # the service's own file first, then one per language
    not_payment: tuple[NotPaymentKind, ...]  # every kind any wording names, in the order they first appear
    layout: Layout  # the service's fields and the payer's, by label, in every language (rules.notice_layout)
    # What this service's bare symbols mean ("$" -> "USD", or "home" for the account's own currency; "" stands for
    # a number with no symbol): an amount without a code or a symbol of one currency gets its currency only here, and
    # is never taken for the home currency otherwise.
    bare_symbols: Mapping[str, str] = field(default_factory=dict)
    # Where the service puts its transaction id in the links of an HTML notice (a group `txn`), when the text does
    # not show it.
    link_txn: tuple[re.Pattern[str], ...] = ()
    languages: tuple[str, ...] = ()  # the language files merged into this format
    source: str = ""  # where the format came from, for error messages

    def wordings_for(self, *texts: str) -> tuple[Wording, ...]:
        """The wordings to read these texts with: the service's own, and each language the texts are written in."""
        if len(self.wordings) == 1:
            return (_compiled(self.wordings[0]),)
        words: set[str] = set()
        for text in texts:
            # A notice's language shows in its first lines; reading further costs time and shows nothing more.
            words.update(_WORDS.findall(text[:LANGUAGE_SAMPLE].lower()))
        return tuple(_compiled(w) for w in self.wordings if not w.markers or not w.markers.isdisjoint(words))

    def all_wordings(self) -> tuple[Wording, ...]:
        return tuple(_compiled(w) for w in self.wordings)


def _compiled(wording: Wording | LazyWording) -> Wording:
    return wording.get() if isinstance(wording, LazyWording) else wording


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeFormats:
    """The formats in force, by gateway name."""

    by_gateway: Mapping[str, NoticeFormat]

    def get(self, gateway: str) -> NoticeFormat | None:
        return self.by_gateway.get(gateway)

    def brands(self) -> dict[str, str]:
        """brand word -> gateway, for spotting mail that claims a gateway it does not come from."""
        return {brand: fmt.gateway for fmt in self.by_gateway.values() for brand in fmt.brands}

    def merged(self, other: NoticeFormats) -> NoticeFormats:
        """These formats with `other`'s added; a gateway in both takes `other`'s format."""
        return NoticeFormats(by_gateway={**self.by_gateway, **other.by_gateway})


# ---------------------------------------------------------------------------------------------- compiling


def _strings(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FormatError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern.replace("{money}", builtin_currencies().pattern), re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise FormatError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def _compile_any(patterns: Iterable[str], where: str) -> tuple[re.Pattern[str], ...]:
    """Several alternatives as one pattern (one scan of the text instead of one per alternative), in their order;
    a pattern with named groups is compiled on its own, since names may repeat across alternatives. Should the
    whole not compile, each is compiled alone so the error names the pattern at fault."""
    out: list[re.Pattern[str]] = []
    run: list[str] = []

    def flush() -> None:
        if not run:
            return
        try:
            out.append(_compile("|".join(f"(?:{p})" for p in run), where))
        except FormatError:
            for pattern in run:
                _compile(pattern, where)
            raise
        run.clear()

    for pattern in patterns:
        if "(?P<" in pattern:
            flush()
            out.append(_compile(pattern, where))
        else:
            run.append(pattern)
    flush()
    return tuple(out)


def _bare_symbols(data: Mapping[str, Any], where: str) -> dict[str, str]:
    table = data.get("bare_symbols", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise FormatError(f'{where}: [bare_symbols] must map symbols to a currency code or "home"')
    for symbol, code in table.items():
        if code.lower() != "home" and code.upper() not in builtin_currencies().codes:
            raise FormatError(f'{where}: bare_symbols.{symbol!r} = {code!r} is no currency code (or "home")')
    return {str(k): str(v) for k, v in table.items()}


_GROUP_NAME = re.compile(r"\(\?P([<=])(\w+)")


def _needles(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """rules.needles of a compiled format pattern, worked out with each amount as `\\d`: an amount holds no word a
    match needs, and the whole amount pattern is slow to parse again."""
    return needles(pattern.pattern.replace(builtin_currencies().pattern, r"\d"), pattern.flags)


def _sentence_scan(sentences: tuple[str, ...], where: str) -> re.Pattern[str] | None:
    if not sentences:
        return None
    parts = []
    for n, sentence in enumerate(sentences):
        renamed = _GROUP_NAME.sub(lambda m: f"(?P{m.group(1)}{m.group(2)}__{n}", sentence)  # noqa: B023
        parts.append(f"(?P<s{n}>{renamed})")
    return _compile("|".join(parts), where)


def _kind_patterns(per_kind: Mapping[int, tuple[str, ...]], where: str) -> KindPatterns:
    compiled = []
    for index in sorted(per_kind):
        for pattern in _compile_any(per_kind[index], where):
            compiled.append((index, pattern, _needles(pattern)))
    return KindPatterns(patterns=tuple(compiled))


def merge_tables(tables: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One gateway's format from its base table and its language tables (each with `language = "de"`, ...): every
    list is extended, [payment] and [labels] key by key, and a [[not_payment]] kind the base has gains the other
    file's patterns (a new kind is added). Adding a language is adding a file."""
    merged: dict[str, Any] = {}
    for table in tables:
        for key, value in table.items():
            if key == "language":
                merged.setdefault("languages", []).append(value)
            elif key in ("payment", "labels") and isinstance(value, Mapping):
                section = merged.setdefault(key, {})
                for name, patterns in value.items():
                    section[name] = [*_as_list(section.get(name)), *_as_list(patterns)]
            elif key == "not_payment" and isinstance(value, list):
                rows = merged.setdefault("not_payment", [])
                for row in value:
                    same = [
                        r
                        for r in rows
                        if isinstance(r, dict) and isinstance(row, Mapping) and r.get("kind") == row.get("kind")
                    ]
                    if not same:
                        rows.append(dict(row) if isinstance(row, Mapping) else row)
                        continue
                    for part in ("subject", "body"):
                        same[0][part] = [*_as_list(same[0].get(part)), *_as_list(row.get(part))]
            elif isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = [*merged[key], *value]
            else:
                merged[key] = value
    return merged


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _kinds_of(table: Mapping[str, Any], where: str, kinds: list[NotPaymentKind]) -> list[tuple[Mapping[str, Any], int]]:
    """Each [[not_payment]] row of a table with the index of its kind in `kinds` (a new kind is added)."""
    rows = table.get("not_payment", [])
    if not isinstance(rows, list):
        raise FormatError(f"{where}: [[not_payment]] must be an array of tables")
    out: list[tuple[Mapping[str, Any], int]] = []
    for i, row in enumerate(rows):
        row_where = f"{where} not_payment[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("kind"), str):
            raise FormatError(f"{row_where}: needs a kind")
        index = next((n for n, k in enumerate(kinds) if k.kind == row["kind"]), None)
        if index is None:
            category = str(row.get("category") or CATEGORIES.get(row["kind"], "other"))
            if category not in EVENT_CATEGORIES - {"payment"}:
                raise FormatError(f"{row_where}: category must be refund, payout, request or other")
            kinds.append(
                NotPaymentKind(kind=row["kind"], reason=str(row.get("reason", row["kind"])), category=category)
            )
            index = len(kinds) - 1
        out.append((row, index))
    return out


def _markers(table: Mapping[str, Any], where: str, language: str) -> frozenset[str]:
    markers = frozenset(m.lower() for m in _strings(table, "markers", where))
    if language and not markers:
        raise FormatError(f"{where}: a language file needs markers (words that show a notice is in {language!r})")
    return markers


def _later(table: Mapping[str, Any], where: str, kinds: list[NotPaymentKind], language: str) -> Callable[[], Wording]:
    return lambda: _wording(table, where, kinds, language=language)


def _wording(table: Mapping[str, Any], where: str, kinds: list[NotPaymentKind], *, language: str = "") -> Wording:
    """One file's wording; its not-payment kinds join `kinds` (a kind another file named keeps its place)."""
    payment = table.get("payment", {})
    if not isinstance(payment, dict):
        raise FormatError(f"{where}: [payment] must be a table")
    subjects: dict[int, tuple[str, ...]] = {}
    bodies: dict[int, tuple[str, ...]] = {}
    payout_amounts: list[re.Pattern[str]] = []
    for i, (row, index) in enumerate(_kinds_of(table, where, kinds)):
        row_where = f"{where} not_payment[{i}]"
        subjects[index] = subjects.get(index, ()) + _strings(row, "subject", row_where)
        bodies[index] = bodies.get(index, ()) + _strings(row, "body", row_where)
        for pattern in _strings(row, "amount", row_where):
            if kinds[index].category != "payout" or "(?P<amount>" not in pattern:
                raise FormatError(f"{row_where}: amount is for a payout kind, with a group (?P<amount>...)")
            payout_amounts.append(_compile(pattern, f"{row_where} amount"))
    markers = _markers(table, where, language)
    payment_subject = _compile_any(_strings(payment, "subject", where), f"{where} payment")
    payment_body = _compile_any(_strings(payment, "body", where), f"{where} payment")
    scan = _sentence_scan(_strings(table, "sentences", where), f"{where} sentences")
    return Wording(
        language=language,
        markers=markers,
        payment_subject=payment_subject,
        payment_body=payment_body,
        payment_needles={p: _needles(p) for p in (*payment_subject, *payment_body)},
        not_payment_subject=_kind_patterns(subjects, f"{where} not_payment subject"),
        not_payment_body=_kind_patterns(bodies, f"{where} not_payment body"),
        sentences=_strings(table, "sentences", where),
        sentence_scan=scan,
        sentence_needles=_needles(scan) if scan is not None else None,
        payout_amounts=tuple(payout_amounts),
    )


def compile_format(
    data: Mapping[str, Any],
    source: str = "",
    languages: Sequence[tuple[str, Mapping[str, Any]]] = (),
    *,
    lazy_languages: Callable[[str], bool] | None = None,
) -> NoticeFormat:
    """Build a NoticeFormat from a service's loaded table (TOML) and its language tables ((file, table) each);
    raises FormatError naming the file and key at fault. A language file for which `lazy_languages(file)` holds is
    compiled when a notice in it first comes (the built-in files, which the tests compile whole)."""
    where = source or "notice format"
    gateway = data.get("gateway")
    if not isinstance(gateway, str) or not re.fullmatch(r"[a-z][a-z0-9_\-]{0,40}", gateway):
        raise FormatError(f"{where}: gateway must be a short lower-case name")
    kinds: list[NotPaymentKind] = []
    wordings: list[Wording | LazyWording] = [_wording(data, where, kinds)]
    for path, table in languages:
        language = str(table.get("language") or "?")
        if lazy_languages is not None and lazy_languages(path):
            _kinds_of(table, path, kinds)  # every kind is known now, so each keeps its place in the order
            wordings.append(
                LazyWording(language, _markers(table, path, language), _later(table, path, kinds, language))
            )
        else:
            wordings.append(_wording(table, path, kinds, language=language))
    merged = merge_tables([data, *(table for _, table in languages)])  # labels and lists: every language's
    label_table = merged.get("labels", {})
    if not isinstance(label_table, dict):
        raise FormatError(f"{where}: [labels] must be a table")
    labels = {name: _strings(label_table, name, f"{where} labels") for name in label_table}
    for name in labels:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
            raise FormatError(f"{where}: label field {name!r} must be a lower-case name")
    block_ends = _strings(merged, "block_ends", where) if "block_ends" in merged else tuple(SERVICE_FIELDS)
    unknown = sorted(set(block_ends) - SERVICE_FIELDS)
    if unknown:
        raise FormatError(f"{where}: block_ends names {', '.join(unknown)}, which are no service fields")
    try:
        layout = compile_layout(
            labels,
            _strings(merged, "headings", where),
            builtin_currencies().pattern,
            _strings(merged, "greetings", where),
            block_ends=block_ends,
        )
    except LayoutError as exc:
        raise FormatError(f"{where}: {exc}") from exc
    return NoticeFormat(
        gateway=gateway,
        brands=tuple(b.lower() for b in _strings(merged, "brands", where)),
        wordings=tuple(wordings),
        not_payment=tuple(kinds),
        layout=layout,
        bare_symbols=_bare_symbols(merged, where),
        link_txn=tuple(_compile(p, f"{where} link_txn") for p in _strings(merged, "link_txn", where)),
        languages=_strings(merged, "languages", where),
        source=source,
    )


# ---------------------------------------------------------------------------------------------- text


_BREAK_TAGS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "title"})
_CELL_TAGS = frozenset({"td", "th"})
# A tag is "<name ...>" with bounded attributes: text like "<a <a <a" is left as it is instead of making the
# search backtrack (html.parser takes minutes on 60 kB of that).
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,15})(?:[\s/][^<>]{0,2000})?>")
_HIDDEN_BLOCKS = (("<!--", "-->"), ("<script", "</script"), ("<style", "</style"))


def _without_hidden_blocks(html: str) -> str:
    """Drop comments, scripts and styles in one left-to-right pass (each marker is searched forward only once,
    so many unclosed markers cannot make it quadratic); an unclosed block hides the rest."""
    low = html.lower()
    upcoming = {opening: low.find(opening) for opening, _ in _HIDDEN_BLOCKS}
    kept: list[str] = []
    position = 0
    while True:
        for opening, _ in _HIDDEN_BLOCKS:
            if 0 <= upcoming[opening] < position:
                upcoming[opening] = low.find(opening, position)
        found = [(upcoming[opening], opening, closing) for opening, closing in _HIDDEN_BLOCKS if upcoming[opening] >= 0]
        if not found:
            kept.append(html[position:])
            return "".join(kept)
        start, opening, closing = min(found)
        kept.append(html[position:start])
        end = low.find(closing, start + len(opening))
        if end < 0:
            return "".join(kept)
        if closing == "-->":
            position = end + 3
        else:
            close_mark = low.find(">", end)
            position = close_mark + 1 if close_mark >= 0 else len(html)


def _tag_as_text(match: re.Match[str]) -> str:
    name = match.group(2).lower()
    if name in _CELL_TAGS:
        return "" if match.group(1) else "\t"
    return "\n" if name in _BREAK_TAGS else ""


def html_to_text(html: str) -> str:
    """Readable text of an HTML body, table rows as "cell<TAB>cell" lines; linear in the input's length."""
    visible = _without_hidden_blocks(html[: MAX_TEXT_CHARS * 4])
    return tidy_text(unescape(_TAG.sub(_tag_as_text, visible)))


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u200b": None})
_SPACES = re.compile(r"[ \u00a0\u2007\u202f\f\v]+")
_GAP = re.compile(r"[ \u00a0\u2007\u202f]{2,}")


def tidy_text(text: str) -> str:
    """Normalise Unicode and spacing: each line stripped, a wide gap between columns ("Amount      $45.00") and
    an HTML cell boundary both become one tab, other runs of spaces one space."""
    text = text[:MAX_TEXT_CHARS]
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _GAP.sub("\t", text)
    if "\t" not in text:
        return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    lines = []
    for line in text.split("\n"):
        cells = (_SPACES.sub(" ", cell).strip() for cell in line.split("\t"))
        lines.append("\t".join(cell for cell in cells if cell))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- money


def parse_money(
    token: str, currency_field: str = "", home_currency: str = "", bare_symbols: Mapping[str, str] | None = None
) -> MoneyReading:
    """Read "$1,234.50 NZD", "NZ$45.00", "35,00 $ NZ", "6 380,00 Ft" (+ a separate currency field) into Money.
    Every currency signal must agree; an amount with no code and no symbol of one currency gets a currency only from
    `bare_symbols` (a service's own "$" -> "USD", or "home" for `home_currency`), and says so (rules.money_text)."""
    return read_money(
        unicodedata.normalize("NFKC", token or ""),
        builtin_currencies(),
        currency_field=currency_field,
        bare_symbols=bare_symbols,
        home_currency=home_currency,
    )


# ---------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True, kw_only=True, slots=True)
class Classification:
    kind: str  # "payment", "unknown", or a not-payment kind such as "payout"
    reason: str = ""
    evidence: str = ""  # the words that decided
    category: str = "other"  # payment, refund, payout, request or other


def _first(
    patterns: Iterable[re.Pattern[str]],
    text: str,
    words: Mapping[re.Pattern[str], frozenset[str] | None] | None = None,
    lowered: str = "",
) -> str | None:
    for pattern in patterns:
        if words is not None and not may_match(words.get(pattern), lowered):
            continue
        found = pattern.search(text)
        if found:
            return found.group(0)[:80]
    return None


def _payer_free_subject(wordings: Iterable[Wording], subject: str, payer: Iterable[str]) -> str:
    """The subject with what the payer chose blanked: their name or address as the body states it, and any
    `payer` group of the service's subject wording ("You received a payment from <payer>")."""
    for name in payer:
        if len(name) < 2:
            continue
        lowered, wanted = subject.lower(), name.lower()
        if len(lowered) != len(subject):
            continue  # lower-casing moved the letters: the service's own groups below still apply
        at = lowered.find(wanted)
        while at >= 0:
            subject = subject[:at] + " " * len(name) + subject[at + len(name) :]
            at = lowered.find(wanted, at + len(name))
    lowered = subject.lower()
    for wording in wordings:
        for pattern in wording.payment_subject:
            if "payer" not in pattern.groupindex or not may_match(wording.payment_needles.get(pattern), lowered):
                continue
            found = pattern.search(subject)
            if found and "payer" in pattern.groupindex and found.group("payer"):
                subject = subject[: found.start("payer")] + " " + subject[found.end("payer") :]
    return subject


def _first_kind(found: Iterable[tuple[int, str] | None]) -> tuple[int, str] | None:
    hits = [hit for hit in found if hit is not None]
    return min(hits, key=lambda hit: hit[0]) if hits else None


def classify(
    fmt: NoticeFormat,
    subject: str,
    body: str,
    payer: Iterable[str] = (),
    wordings: tuple[Wording, ...] | None = None,
) -> Classification:
    """Payment notice, a known kind of not-payment mail, or unknown; subject first, since it names the kind.
    `body` must be the service's words alone (`rules.notice_layout.without_payer_text`), and what the payer chose
    in the subject (`payer`: their name and address) is blanked first: a payer's words never decide the kind.
    Read with the service's own wording and that of each language the mail is written in (`wordings`)."""
    subject = unicodedata.normalize("NFKC", subject or "")[:1000]
    body = body[:MAX_TEXT_CHARS]
    wordings = wordings if wordings is not None else fmt.wordings_for(subject, body)
    subject = _payer_free_subject(wordings, subject, payer)
    low_subject, low_body = subject.lower(), body.lower()
    found = _first_kind(w.not_payment_subject.first(subject, low_subject) for w in wordings)
    if found:
        kind = fmt.not_payment[found[0]]
        return Classification(
            kind=kind.kind, reason=kind.reason, evidence=f"subject {found[1]!r}", category=kind.category
        )
    hit = next(
        (h for w in wordings if (h := _first(w.payment_subject, subject, w.payment_needles, low_subject)) is not None),
        None,
    )
    found = _first_kind(w.not_payment_body.first(body, low_body) for w in wordings)
    if found:
        # The service's own words (the payer's are cut out) say it is no payment: declined, refunded, reversed.
        kind = fmt.not_payment[found[0]]
        return Classification(kind=kind.kind, reason=kind.reason, evidence=f"body {found[1]!r}", category=kind.category)
    if hit is not None:
        return Classification(kind="payment", evidence=f"subject {hit!r}", category="payment")
    hit = next(
        (h for w in wordings if (h := _first(w.payment_body, body, w.payment_needles, low_body)) is not None), None
    )
    if hit is None:
        return Classification(kind="unknown", reason="no wording of this payment service that it knows")
    return Classification(kind="payment", evidence=f"body {hit!r}", category="payment")


def _clean(value: str) -> str:
    return " ".join(value.split()).strip(".,;").strip()


def split_payer(value: str) -> tuple[str, str]:
    """ "Ana Tipene (ana@x.nz)", "ana@x.nz", "Ana Tipene <ana@x.nz>" or "Ana Tipene" -> (name, email)."""
    value = _clean(value)
    email_match = _EMAIL_RE.search(value)
    if not email_match:
        return value.strip("()<>[]\"' ,-"), ""
    email = email_match.group(0).strip(".'")
    name = _clean((value[: email_match.start()] + value[email_match.end() :]).replace("()", "").replace("<>", ""))
    name = name.strip("()<>[]\"' ,-")
    return name, email.lower()


def _said_again(wording: Wording, text: str, after: int) -> list[Statement]:
    """The amounts the same wording states in the rest of the line after position `after`."""
    line_end = text.find("\n", after)
    rest = text[after : len(text) if line_end < 0 else line_end]
    found = []
    for _, groups, spans in wording.said(rest):
        if groups.get("amount"):
            start, end = spans["amount"]
            found.append(
                Statement(field="amount", position=after + start, text=around(rest, start, end), source="sentence")
            )
    return found


def _with_sentences_begun_by_a_label_word(
    body: str, blocks: list[PayerBlock], service: str, wordings: tuple[Wording, ...]
) -> str:
    """The text the service's sentences are looked for in: its own words, and a line that looked like a payer's label
    only because the payer's name begins with a label word ("Invoice Ninja Ltd sent you $5.00 NZD": no colon, and
    the whole line is the service's sentence with the payer first). Only the sentences read that line: its words
    never decide the kind of mail, and an amount it states is one more statement that must agree with the rest."""
    kept: list[PayerBlock] = []
    for block in blocks:
        line_end = body.find("\n", block.start)
        line = body[block.start : len(body) if line_end < 0 else line_end]
        if (
            ":" not in line
            and "：" not in line
            and any(g.get("amount") and s.get("payer", (-1, -1))[0] == 0 for w in wordings for _, g, s in w.said(line))
        ):
            block = replace(block, start=block.start + len(line))  # the lines below stay the payer's
        kept.append(block)
    return service if kept == blocks else without_payer_text(body, kept)


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeContent:
    """What a notice says, read by its layout: the service's fields and, apart, what the payer wrote."""

    kind: str  # "payment", "unknown", or a not-payment kind of the format ("refund", "money_request", ...)
    category: str  # payment, refund, payout, request or other
    reason: str  # for a not-payment kind: why it is none
    evidence: str  # the service's words that decided the kind
    money: Money | None  # the amount paid, as the service states it
    amount: Decimal | None = None  # its number, even when no currency could be taken for it
    currency: str = ""  # its currency, when one could be taken
    money_problem: str = ""  # why no amount could be taken
    assumed_currency: bool = False  # the service's bare symbol, which its format says is the home currency
    amount_shown: str = ""  # the text the amount was read from
    amount_where: str = ""  # the sentence or label it was read from
    payer_name: str = ""
    payer_email: str = ""
    txn_id: str = ""
    payer_text: tuple[tuple[str, str], ...] = ()  # (field, value): evidence for references, nothing else


_CURRENCY_IN_LABEL = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")


@dataclass(frozen=True, kw_only=True, slots=True)
class _Said:
    """What one reading of a notice's text found: the service's statements and fields, and the payer's text."""

    service: str  # the text without the payer's blocks, and the payer's chosen name blanked (the kind is read here)
    statements: list[Statement]  # labelled amounts, net, fee and transaction ids
    gross: list[Statement]  # every statement of the amount paid, sentences and labels, in order
    texts: dict[str, str]  # labelled payer and currency
    payer_name: str
    payer_email: str
    payer_text: list[tuple[str, str]]
    wordings: tuple[Wording, ...]

    def txn_ids(self) -> list[str]:
        return [s.text for s in self.statements if s.field == "txn_id"]


def _read_said(
    fmt: NoticeFormat, subject: str, body: str, flat: frozenset[int], stated: frozenset[str] = frozenset()
) -> _Said:
    layout = fmt.layout
    blocks = payer_blocks(body, layout, flat, stated)
    service = without_payer_text(body, blocks)
    statements = typed_statements(service, layout, flat)
    texts = text_fields(service, layout, flat)
    gross: list[Statement] = []
    payer_name = payer_email = ""
    payer_text: list[tuple[str, str]] = [(b.field, b.value) for b in blocks if b.value]
    wordings = fmt.wordings_for(subject, service)
    said_in = _with_sentences_begun_by_a_label_word(body, blocks, service, wordings)
    service_alone = without_payer_names(service, layout)  # the service's words without the payer's chosen name
    said_in = service_alone if said_in is service else without_payer_names(said_in, layout)
    for wording, (_, groups, spans) in ((w, said) for w in wordings for said in w.said(said_in)):
        if groups.get("amount"):
            start, end = spans["amount"]
            gross.append(Statement(field="amount", position=start, text=around(said_in, start, end), source="sentence"))
            if spans.get("payer", (end, end))[0] < start:
                # The payer's name (theirs to choose) stands before the amount: a name written as "Kelly sent you
                # $30.00 NZD and Mallory" would put its own amount first. What the line says after the amount is
                # read too, so such a name makes two statements that disagree, never the amount.
                gross.extend(_said_again(wording, said_in, end))
        if not (payer_name or payer_email) and not layout.is_label(groups.get("payer") or ""):
            # A label is no payer: "Amount paid\nNZ$35.00" (each label on its own line) is no "<payer> paid <amount>".
            name, email = split_payer(groups.get("payer") or "")
            payer_name = _clean(groups.get("payer_name") or "") or name
            payer_email = _clean(groups.get("payer_email") or "") or email
        for name, value in groups.items():
            value = _clean(value or "")
            if value and name not in SERVICE_FIELDS and name != "label" and (name, value) not in payer_text:
                payer_text.append((name, value))
    gross.extend(s for s in statements if s.field == "amount")
    gross.sort(key=lambda s: s.position)
    return _Said(
        service=service_alone,
        statements=statements,
        gross=gross,
        texts=texts,
        payer_name=payer_name,
        payer_email=payer_email,
        payer_text=payer_text,
        wordings=wordings,
    )


def _from_collapsed(fmt: NoticeFormat, subject: str, lined: Relined) -> tuple[_Said, _Said | None]:
    """(what the notice surely says, what its collapsed tails add): a collapsed line read from its first payer's
    label on cannot tell the payer's words from the service's, so the tails' reading counts only where the sure one
    is silent (see read_content)."""
    if not lined.flat:
        return _read_said(fmt, subject, lined.text, lined.flat), None
    sure = _read_said(fmt, subject, lined.certain(), frozenset())
    # The amount and the transaction id, once surely stated, are stated no more: after a payer's label, a second
    # "Amount:" or "Transaction ID:" is the payer's text going on (a payer's block reads on past it). Other labels
    # ("Customer:") end a payer's block, whatever the notice said before.
    stated: set[str] = set()
    if sure.gross:
        stated.update(("amount", "net", "fee"))
    if sure.txn_ids():
        stated.add("txn_id")
    return sure, _read_said(fmt, subject, lined.text, lined.flat, frozenset(stated))


def _uncertain_kind(fmt: NoticeFormat, subject: str, sure: _Said, whole: _Said, kind: Classification) -> Classification:
    """The kind of a collapsed notice: the sure words decide when they can. A payment the service states in its own
    sentence stays one whatever the tail says (in a genuine notice the service never says both). Otherwise the tail
    may tell a not-payment kind (a collapsed Windcave receipt's "Response: DECLINED" stands after the payer's
    reference), unless it holds the service's wording of a payment too: then nobody can tell whose words are whose,
    and a person looks."""
    if kind.kind != "payment" and kind.kind != "unknown":
        return kind
    said_payment = _says_payment(sure)
    if kind.kind == "payment" and said_payment:
        return kind
    tail = classify(fmt, subject, whole.service, (sure.payer_name, sure.payer_email), whole.wordings)
    if tail.kind in ("payment", "unknown"):
        return kind if kind.kind == "payment" else tail
    if _says_payment(whole):
        return Classification(
            kind="unknown",
            reason=f"text collapsed onto one line says both a payment and {tail.kind} after a payer's label "
            "(whose words are whose cannot be told)",
        )
    return tail


def _says_payment(said: _Said) -> bool:
    """Whether the text states, in the service's wording, a payment received."""
    lowered = said.service.lower()
    return any(_first(w.payment_body, said.service, w.payment_needles, lowered) is not None for w in said.wordings)


def _without_greeting(payer_name: str, wordings: Iterable[Wording], subject: str) -> str:
    """A payer's name read from collapsed text may begin with what is left of the greeting ("Hola, Destinatario
    Gamma Scale Labs le envió ..."): when the subject names the payer ("Scale Labs has sent you money") and the name
    read ends with it, the subject's name is the payer's."""
    subject = unicodedata.normalize("NFKC", subject or "")[:1000]
    for wording in wordings:
        for pattern in wording.payment_subject:
            found = pattern.search(subject) if "payer" in pattern.groupindex else None
            named = _clean(found.group("payer") or "") if found else ""
            if len(named) >= 2 and payer_name.lower().endswith(" " + named.lower()):
                return payer_name[-len(named) :]
    return payer_name


def _agreed(values: Iterable[str]) -> str:
    """The one value stated, or "" when the statements differ."""
    found = {v for v in values if v}
    return found.pop() if len(found) == 1 else ""


def read_content(
    fmt: NoticeFormat, subject: str, body: str, *, home_currency: str = "", links: Iterable[str] = ()
) -> NoticeContent:
    """Read one notice's subject and body (text, tidied) by the service's layout (see rules.notice_layout). `links`
    are the targets of an HTML notice's links, where a service may show its transaction id and nowhere else.

    Text collapsed onto one line is first given its line breaks back (`rules.notice_layout.relined`); what stands
    after a payer's label in it is read apart, as uncertain: an amount, transaction id or payer stated there counts
    only when the rest of the notice states none (and every uncertain statement agrees), so a payer's note read past
    its end can add a statement but never change one."""
    body = body[:MAX_TEXT_CHARS]
    lined = relined(body, fmt.layout)
    sure, whole = _from_collapsed(fmt, subject, lined)
    said = whole or sure
    gross = sure.gross or said.gross
    if whole is not None and not sure.gross and not any(s.field == "net" for s in sure.statements):
        statements = said.statements
    else:
        statements = sure.statements
    texts = {**said.texts, **sure.texts}
    currency_field = texts.get("currency", "")
    label_codes = {m for s in gross for m in _CURRENCY_IN_LABEL.findall(s.source)}
    if not currency_field and len(label_codes) == 1:
        currency_field = label_codes.pop()  # "Amount (AUD): 30.00": the currency stands in the label
    amount = amount_paid(
        gross,
        [s for s in statements if s.field == "net"],
        [s for s in statements if s.field == "fee"],
        builtin_currencies(),
        currency_field=currency_field,
        bare_symbols=fmt.bare_symbols,
        home_currency=home_currency,
    )
    # What the sentence did not say, the labelled fields may: "Jo Bloggs sent you ..." and "Buyer email: ...".
    name, email = split_payer(texts.get("payer", ""))
    payer_name = sure.payer_name or said.payer_name if not sure.payer_email else sure.payer_name
    payer_email = sure.payer_email or (said.payer_email if not sure.payer_name else "")
    payer_name = payer_name or _clean(texts.get("payer_name", "")) or name
    payer_email = payer_email or _clean(texts.get("payer_email", "")) or email
    if lined.text != body:
        payer_name = _without_greeting(payer_name, sure.wordings, subject)
    email_found = _EMAIL_RE.search(payer_email)
    payer_email = email_found.group(0).lower() if email_found else ""
    if payer_name and _EMAIL_RE.fullmatch(payer_name):
        payer_email, payer_name = payer_email or payer_name.lower(), ""
    txn = next(iter(sure.txn_ids()), "") or (_agreed(whole.txn_ids()) if whole is not None else "")
    if not txn and fmt.link_txn:
        txn = next((found.group("txn") for link in links for p in fmt.link_txn if (found := p.search(link))), "")
    kind = classify(fmt, subject, sure.service, (payer_name, payer_email), sure.wordings)
    if whole is not None:
        kind = _uncertain_kind(fmt, subject, sure, whole, kind)
    return NoticeContent(
        kind=kind.kind,
        category=kind.category,
        reason=kind.reason,
        evidence=kind.evidence,
        money=amount.money,
        amount=amount.number,
        currency=amount.money.currency if amount.money else "",
        money_problem=amount.problem,
        assumed_currency=amount.assumed_currency,
        amount_shown=amount.shown,
        amount_where=amount.where,
        payer_name=payer_name[:200],
        payer_email=payer_email[:254],
        txn_id=txn[:120],
        payer_text=tuple((n, v[:500]) for n, v in said.payer_text),
    )


# ---------------------------------------------------------------------------------------------- senders


_CONFUSABLE = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "|": "l", "i": "l"})


# Letters from other scripts that render like Latin ones (a small subset of Unicode's confusables list).
_SCRIPT_CONFUSABLE = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "һ": "h",
        "к": "k",
        "м": "m",
        "т": "t",
        "в": "b",
        "ɑ": "a",
        "α": "a",
        "ο": "o",
        "ρ": "p",
        "ν": "v",
        "τ": "t",
        "ι": "i",
        "κ": "k",
        "ε": "e",
        "ѵ": "v",
        "ӏ": "l",
    }
)


def _unicode_label(label: str) -> str:
    """A punycode label (xn--...) as the Unicode its reader sees; anything undecodable stays as it is."""
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return label.removeprefix("xn--")


def _skeleton(label: str) -> str:
    folded = unicodedata.normalize("NFKD", _unicode_label(label.lower()).translate(_SCRIPT_CONFUSABLE))
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", ascii_only.replace("rn", "m").replace("vv", "w")).translate(_CONFUSABLE)


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        # One swap of neighbours ("pyapal").
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def in_domain(domain: str, parent: str) -> bool:
    """True when `domain` is `parent` or a subdomain of it."""
    domain, parent = domain.lower().rstrip("."), parent.lower().rstrip(".")
    return bool(parent) and (domain == parent or domain.endswith("." + parent))


def lookalike_of(domain: str, genuine: Iterable[str]) -> str | None:
    """The allow-listed domain that `domain` imitates (paypa1.com, paypal-secure.com, paypal.com.evil.nz), if any.

    A domain that is the genuine one or inside it is no look-alike.
    """
    domain = domain.lower().rstrip(".")
    labels = [label for label in domain.split(".") if label]
    for real in genuine:
        if in_domain(domain, real):
            return None
    for real in genuine:
        real_labels = real.lower().rstrip(".").split(".")
        # The brand is the most specific label of the genuine registrable name: "paypal", "stripe", "xero".
        brand = real_labels[-2] if len(real_labels) >= 2 else real_labels[0]
        brand_skeleton = _skeleton(brand)
        if len(brand_skeleton) < 4:
            continue
        for label in labels:
            skeleton = _skeleton(label)
            if brand_skeleton in skeleton or _edit_distance_at_most_one(skeleton, brand_skeleton):
                return real
    return None


_PAYMENT_WORDS = re.compile(r"\b(?:paid|payment|remittance|deposit(?:ed)?|transferred|received)\b", re.IGNORECASE)


def mentions_payment(text: str) -> str:
    """ "<amount> (<word>)" when free text speaks of a payment and names an amount, else "": the test for mail
    that is no gateway notice but still deserves a person's look."""
    text = text[:MAX_TEXT_CHARS]
    word = _PAYMENT_WORDS.search(text)
    amount = builtin_currencies().token.search(text) if word else None
    if word and amount and re.search(r"[$€£¥]|[A-Z]{3}|\.\d{2}", amount.group(0)):
        return f"{amount.group(0).strip()}, {word.group(0).lower()}"
    return ""


def claims_gateway(display_name: str, subject: str, brands: Mapping[str, str]) -> str | None:
    """The gateway a display name or subject names ("PayPal", "Stripe Payments"), or None."""
    words = set(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", f"{display_name} {subject}").lower()))
    joined = re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", display_name).lower())
    for brand, gateway in brands.items():
        if brand in words or (len(brand) >= 5 and brand in joined):
            return gateway
    return None
