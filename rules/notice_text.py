"""Reading the words of a payment notice: gateway formats as data, amounts, labelled fields, look-alike domains.

Pure functions over already-decoded text and already-loaded format tables (integrations/notices loads the
files in rules/notice_formats/ and the reseller's own); nothing here touches bytes, DNS or the clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html import unescape
from typing import Any

from rules.money import Money

# Longest stretch of text a notice is read from: real notices are a few kilobytes, and a bound keeps every
# regular expression linear in practice on hostile bodies.
MAX_TEXT_CHARS = 200_000

# A money token as it appears in notices: "$1,234.50 NZD", "NZ$45.00", "NZD 45.00", "45.00", "€86,00 EUR".
# Bounded repetition only, so a long run of digits cannot make the search quadratic.
MONEY_PATTERN = (
    r"(?-i:(?:[A-Z]{3}[ \u00a0]?)?(?:[A-Z]{1,3}\$|[$€£¥])?[ \u00a0]?"
    + r"(?:\d{1,3}(?:[,.' \u00a0]\d{3}){1,5}|\d{1,12})(?:[.,]\d{1,2})?(?!\d)"
    + r"(?:[ \u00a0]?[€£¥])?(?:[ \u00a0]?[A-Z]{3}(?![A-Za-z]))?)"
)
_NUMBER_RE = re.compile(r"(?:\d{1,3}(?:[,.' \u00a0]\d{3}){1,5}|\d{1,12})(?:[.,]\d{1,2})?(?!\d)")
_CODE_RE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
_MONEY_RE = re.compile(MONEY_PATTERN)

# Field names a format may extract; every other label name is a free-text field kept in Receipt.text.
STRUCTURED_FIELDS = frozenset({"amount", "currency", "payer_name", "payer_email", "payer", "txn_id"})

SYMBOL_CURRENCY: Mapping[str, str] = {
    "NZ$": "NZD",
    "A$": "AUD",
    "AU$": "AUD",
    "US$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "CAD$": "CAD",
    "HK$": "HKD",
    "S$": "SGD",
    "SG$": "SGD",
    "NZD$": "NZD",
    "AUD$": "AUD",
    "USD$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
}

# ISO 4217 codes a notice may show; a three-letter word outside this set is not read as a currency.
KNOWN_CURRENCIES = frozenset(
    [
        "NZD",
        "AUD",
        "USD",
        "CAD",
        "EUR",
        "GBP",
        "JPY",
        "HKD",
        "SGD",
        "CHF",
        "CNY",
        "INR",
        "FJD",
        "WST",
        "TOP",
        "XPF",
        "SEK",
        "NOK",
        "DKK",
        "ZAR",
        "MXN",
        "BRL",
        "KRW",
        "THB",
        "MYR",
        "PHP",
        "IDR",
        "VND",
        "TWD",
        "AED",
        "ILS",
        "PLN",
        "CZK",
        "HUF",
    ]
)

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-']{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,24}")


class FormatError(ValueError):
    """A notice format file is unusable; the message says which key and why."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NotPaymentKind:
    """One kind of gateway mail that is no customer payment (payout, money request, bill to us, ...)."""

    kind: str
    reason: str
    subject: tuple[re.Pattern[str], ...] = ()
    body: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeFormat:
    """How one gateway words its mail: what a payment notice looks like and where each field sits."""

    gateway: str
    brands: tuple[str, ...]  # lower-case words that claim this gateway in a display name or subject
    payment_subject: tuple[re.Pattern[str], ...]
    payment_body: tuple[re.Pattern[str], ...]
    not_payment: tuple[NotPaymentKind, ...]
    labels: Mapping[str, re.Pattern[str]]  # field -> one compiled "Label: value" line pattern
    sentences: tuple[re.Pattern[str], ...]  # patterns with named groups amount, payer_name, payer_email, ...
    source: str = ""  # where the format came from, for error messages


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
        return re.compile(pattern.replace("{money}", MONEY_PATTERN), re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise FormatError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def _compile_any(patterns: Iterable[str], where: str) -> tuple[re.Pattern[str], ...]:
    """Several alternatives as one pattern (one scan of the text instead of one per alternative). Should that not
    compile, each is compiled alone so the error names the pattern at fault (compiling is slow enough to matter
    when every process start reads the formats)."""
    patterns = tuple(patterns)
    if not patterns:
        return ()
    try:
        return (_compile("|".join(f"(?:{p})" for p in patterns), where),)
    except FormatError:
        for pattern in patterns:
            _compile(pattern, where)
        raise


def _label_line(labels: Iterable[str], where: str) -> re.Pattern[str]:
    """One pattern for "Label: value" lines: a colon, a tab (an HTML table cell) or a wide gap separates."""
    alternatives = "|".join(f"(?:{label})" for label in labels)
    pattern = (
        rf"^[ \t>*]*(?P<label>{alternatives})[ \t]*(?::[ \t]*|\t[ \t]*|[ \t]{{2,}}|[ \t]+-[ \t]+)"
        r"(?P<value>[^\n]{0,300})$"
    )
    try:
        return re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise FormatError(f"{where}: bad label pattern: {exc}") from exc


def compile_format(data: Mapping[str, Any], source: str = "") -> NoticeFormat:
    """Build a NoticeFormat from a loaded table (TOML); raises FormatError naming the bad key."""
    where = source or "notice format"
    gateway = data.get("gateway")
    if not isinstance(gateway, str) or not re.fullmatch(r"[a-z][a-z0-9_\-]{0,40}", gateway):
        raise FormatError(f"{where}: gateway must be a short lower-case name")
    payment = data.get("payment", {})
    if not isinstance(payment, dict):
        raise FormatError(f"{where}: [payment] must be a table")
    not_payment_rows = data.get("not_payment", [])
    if not isinstance(not_payment_rows, list):
        raise FormatError(f"{where}: [[not_payment]] must be an array of tables")
    kinds: list[NotPaymentKind] = []
    for i, row in enumerate(not_payment_rows):
        row_where = f"{where} not_payment[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("kind"), str):
            raise FormatError(f"{row_where}: needs a kind")
        kinds.append(
            NotPaymentKind(
                kind=row["kind"],
                reason=str(row.get("reason", row["kind"])),
                subject=_compile_any(_strings(row, "subject", row_where), row_where),
                body=_compile_any(_strings(row, "body", row_where), row_where),
            )
        )
    label_table = data.get("labels", {})
    if not isinstance(label_table, dict):
        raise FormatError(f"{where}: [labels] must be a table")
    labels = {
        name: _label_line(_strings(label_table, name, f"{where} labels"), f"{where} labels.{name}")
        for name in label_table
        if _strings(label_table, name, f"{where} labels")
    }
    for name in labels:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
            raise FormatError(f"{where}: label field {name!r} must be a lower-case name")
    return NoticeFormat(
        gateway=gateway,
        brands=tuple(b.lower() for b in _strings(data, "brands", where)),
        payment_subject=_compile_any(_strings(payment, "subject", where), f"{where} payment"),
        payment_body=_compile_any(_strings(payment, "body", where), f"{where} payment"),
        not_payment=tuple(kinds),
        labels=labels,
        sentences=tuple(_compile(p, f"{where} sentences") for p in _strings(data, "sentences", where)),
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


@dataclass(frozen=True, kw_only=True, slots=True)
class MoneyReading:
    money: Money | None
    problem: str = ""  # why no money could be read, when money is None
    assumed_currency: bool = False  # a bare "$" or no currency at all: the default currency was used


def _number(text: str) -> Decimal | None:
    digits = re.sub(r"[ \u00a0']", "", text)
    if not re.fullmatch(r"\d[\d.,]*", digits):
        return None
    if "," in digits and "." in digits:
        decimal_mark = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif "," in digits:
        # "45,00" or "1.234,50" style: a single comma followed by exactly two digits is a decimal mark.
        decimal_mark = "," if digits.count(",") == 1 and re.search(r",\d{2}$", digits) else "."
    else:
        decimal_mark = "." if digits.count(".") == 1 else ""
    thousands = "." if decimal_mark == "," else ","
    if decimal_mark == "" and "." in digits:
        thousands = "."
    cleaned = digits.replace(thousands, "")
    if decimal_mark == ",":
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_money(token: str, currency_field: str = "", default_currency: str = "") -> MoneyReading:
    """Read "$1,234.50 NZD", "NZ$45.00", "NZD 45.00", "45.00" (+ a separate currency field) into Money.

    Every currency signal (a code before or after, a symbol like NZ$, the separate field) must agree; a bare
    "$" or a bare number takes `default_currency` and says so.
    """
    token = unicodedata.normalize("NFKC", token or "").strip()
    found = _MONEY_RE.search(token)
    if not found:
        return MoneyReading(money=None, problem=f"no amount in {token[:40]!r}")
    text = found.group(0)
    signals: set[str] = set()
    for code in _CODE_RE.findall(token):
        if code in KNOWN_CURRENCIES:
            signals.add(code)
    symbol = re.search(r"([A-Z]{1,4}\$|[$€£¥])", text)
    if symbol and symbol.group(1) != "$":  # a bare "$" is as good as no symbol: the default currency, said so
        mapped = SYMBOL_CURRENCY.get(symbol.group(1))
        if not mapped:
            return MoneyReading(money=None, problem=f"unknown currency symbol {symbol.group(1)!r}")
        signals.add(mapped)
    field_code = currency_field.strip().upper()
    if field_code:
        field_match = _CODE_RE.search(field_code)
        if field_match and field_match.group(1) in KNOWN_CURRENCIES:
            signals.add(field_match.group(1))
        elif field_code in SYMBOL_CURRENCY:
            signals.add(SYMBOL_CURRENCY[field_code])
        else:
            return MoneyReading(money=None, problem=f"unknown currency {currency_field.strip()[:20]!r}")
    if len(signals) > 1:
        return MoneyReading(
            money=None, problem=f"conflicting currencies {', '.join(sorted(signals))} in {token[:40]!r}"
        )
    number_text = _NUMBER_RE.search(text)
    amount = _number(number_text.group(0)) if number_text else None
    if amount is None or amount <= 0:
        return MoneyReading(money=None, problem=f"no positive amount in {token[:40]!r}")
    if signals:
        currency = signals.pop()
        assumed = False
    elif default_currency:
        currency = default_currency
        assumed = True
    else:
        return MoneyReading(money=None, problem=f"no currency for {token[:40]!r}")
    return MoneyReading(money=Money(amount=amount, currency=currency), assumed_currency=assumed)


# ---------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True, kw_only=True, slots=True)
class Classification:
    kind: str  # "payment", "unknown", or a not-payment kind such as "payout"
    reason: str = ""
    evidence: str = ""  # the words that decided


def _first(patterns: Iterable[re.Pattern[str]], text: str) -> str | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return found.group(0)[:80]
    return None


def classify(fmt: NoticeFormat, subject: str, body: str) -> Classification:
    """Payment notice, a known kind of not-payment mail, or unknown; subject first, since it names the kind."""
    subject = unicodedata.normalize("NFKC", subject or "")[:1000]
    body = body[:MAX_TEXT_CHARS]
    for kind in fmt.not_payment:
        hit = _first(kind.subject, subject)
        if hit:
            return Classification(kind=kind.kind, reason=kind.reason, evidence=f"subject {hit!r}")
    hit = _first(fmt.payment_subject, subject)
    if hit is None:
        for kind in fmt.not_payment:
            body_hit = _first(kind.body, body)
            if body_hit:
                return Classification(kind=kind.kind, reason=kind.reason, evidence=f"body {body_hit!r}")
        hit = _first(fmt.payment_body, body)
        if hit is None:
            return Classification(kind="unknown", reason="no payment wording of this gateway")
        return Classification(kind="payment", evidence=f"body {hit!r}")
    # A payment subject can still carry a body that says it is no payment (declined, refunded, reversed).
    for kind in fmt.not_payment:
        body_hit = _first(kind.body, body)
        if body_hit:
            return Classification(kind=kind.kind, reason=kind.reason, evidence=f"body {body_hit!r}")
    return Classification(kind="payment", evidence=f"subject {hit!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Extracted:
    """Fields read from a notice body; strings are stripped and may be empty."""

    amount: str = ""
    currency: str = ""
    payer_name: str = ""
    payer_email: str = ""
    txn_id: str = ""
    text: tuple[tuple[str, str], ...] = ()
    found: tuple[str, ...] = field(default=())  # which fields were found, for the reason


def _clean(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().strip(".,;").strip()


def split_payer(value: str) -> tuple[str, str]:
    """ "Ana Tipene (ana@x.nz)", "ana@x.nz", "Ana Tipene <ana@x.nz>" or "Ana Tipene" -> (name, email)."""
    value = _clean(value)
    email_match = _EMAIL_RE.search(value)
    if not email_match:
        return value, ""
    email = email_match.group(0).strip(".'")
    name = _clean((value[: email_match.start()] + value[email_match.end() :]).replace("()", "").replace("<>", ""))
    name = name.strip("()<>[]\"' ,-")
    return name, email.lower()


def _structured(name: str, label: str, value: str) -> str:
    """A labelled value as the field wants it, or "" when it cannot be that field."""
    if name == "amount":
        # "Amount (AUD): 30.00" keeps its currency by reading label and value together.
        return f"{_clean(label)} {value}" if re.search(r"\d", value) else ""
    if name == "txn_id":
        token = value.split()[0].strip("#:.,;()[]") if value.split() else ""
        return token if len(token) >= 4 and re.search(r"\d", token) else ""
    return value


def extract(fmt: NoticeFormat, body: str) -> Extracted:
    """Read amount, payer, transaction id and free-text fields: labelled lines first, then sentences."""
    body = body[:MAX_TEXT_CHARS]
    values: dict[str, str] = {}
    text: list[tuple[str, str]] = []
    for name, pattern in fmt.labels.items():
        for found in pattern.finditer(body):
            value = _clean(found.group("value").replace("\t", " "))
            if name in STRUCTURED_FIELDS:
                value = _structured(name, found.group("label"), value)
                if value and name not in values:
                    values[name] = value
                    break
            elif value and (name, value) not in text:
                text.append((name, value))
    for sentence in fmt.sentences:
        said = sentence.search(body)
        if not said:
            continue
        for name, value in said.groupdict().items():
            value = _clean(value or "")
            if not value or name == "label":
                continue
            if name in STRUCTURED_FIELDS:
                values.setdefault(name, value)
            elif (name, value) not in text:
                text.append((name, value))
    payer_name = values.get("payer_name", "")
    payer_email = values.get("payer_email", "")
    if "payer" in values:
        name, email = split_payer(values["payer"])
        payer_name = payer_name or name
        payer_email = payer_email or email
    if payer_email:
        email_match = _EMAIL_RE.search(payer_email)
        payer_email = email_match.group(0).lower() if email_match else ""
    if payer_name and _EMAIL_RE.fullmatch(payer_name):
        payer_email = payer_email or payer_name.lower()
        payer_name = ""
    return Extracted(
        amount=values.get("amount", ""),
        currency=values.get("currency", ""),
        payer_name=payer_name[:200],
        payer_email=payer_email[:254],
        txn_id=values.get("txn_id", "")[:120],
        text=tuple((n, v[:500]) for n, v in text),
        found=tuple(sorted(values)),
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
    amount = _MONEY_RE.search(text) if word else None
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
