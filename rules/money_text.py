"""Amounts as people and payment services write them, in any language: `$1,234.50 NZD`, `1.234,50 €`, `35,00 NZ$`,
`NZ$ 35,00`, `35,00 $ NZ`, `6 380,00 Ft`, `60,00 RUB`, with no-break or thin spaces. Codes and symbols are data
(`rules/currencies.toml`); a symbol several currencies share, or none at all, names no currency.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from rules.money import Money

CURRENCIES_FILE = Path(__file__).with_name("currencies.toml")

# Spaces that separate a symbol from a number, or groups of digits: ordinary, no-break, narrow no-break, thin.
SPACE = " \u00a0\u202f\u2009"
_GROUP = rf"[,.'’{SPACE}]"
# A number: grouped thousands or a plain run of digits, then at most two decimals. Bounded repetition only, so a
# long run of digits cannot make a search quadratic.
NUMBER = rf"(?<![\d])(?:\d{{1,3}}(?:{_GROUP}\d{{3}}){{1,5}}|\d{{1,12}})(?:[.,]\d{{1,2}})?(?![\d])"
_CODE = r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])"
_CODE_RE = re.compile(_CODE)
_SPACES = re.compile(f"[{SPACE}]+")
_GROUPING = re.compile(f"[{SPACE}'’]")
_DIGITS = re.compile(r"\d[\d.,]*")


@dataclass(frozen=True, kw_only=True, slots=True)
class Currencies:
    """ISO codes and the symbols that stand for them; compiled patterns for finding and reading amounts."""

    codes: frozenset[str]
    symbols: Mapping[str, str]  # symbol -> code, or "" when several currencies share it
    token: re.Pattern[str]  # one amount with whatever code or symbol stands before or after it
    # What `{money}` stands for in notice formats: an amount with a code or a sign on either side, found loosely (it
    # is compiled into every pattern that names an amount, so it is kept small and fast). What it finds is then read
    # exactly with `token`, together with the rest of its line (`around`), where a symbol of letters may stand.
    pattern: str

    def code_of(self, text: str) -> str:
        """The currency a code or symbol names ("" when none, or when several share the symbol)."""
        text = _SPACES.sub(" ", text.strip())
        if text.upper() in self.codes and len(text) == 3:
            return text.upper()
        return self.symbols.get(text, "") or self.symbols.get(text.upper(), "")

    def is_known(self, text: str) -> bool:
        text = _SPACES.sub(" ", text.strip())
        return (len(text) == 3 and text.upper() in self.codes) or text in self.symbols or text.upper() in self.symbols


_DOLLAR_PREFIXED = re.compile(r"[A-Z]{1,4}\$")  # NZ$, US$, HK$: any such is read, then looked up
_DOLLAR_SUFFIXED = re.compile(r"\$ ?[A-Z]{2}")  # $NZ, "$ US": as French and Spanish write them after the amount


def around(text: str, start: int, end: int) -> str:
    """An amount found at text[start:end] with what stands beside it on its line ("6 380,00" + " Ft"), for reading
    with `read_money`, which takes the first amount in it."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    # At most the one word just before ("Rp", "NZD"), never a number before it.
    before = text[max(line_start, start - 8) : start]
    word = before.rstrip(SPACE).rsplit(None, 1)[-1] if before.strip() else ""
    if any(c.isdigit() for c in word):
        word = ""
    prefix = before[before.rfind(word) :] if word else ""
    return prefix + text[start : min(line_end, end + 24)]


def _symbol_pattern(symbols: Iterable[str]) -> str:
    """One compact pattern for every symbol: single characters as a class, the "XX$" and "$ XX" families by their
    shape (a member not in the data is read and then reported as unknown), and symbols made of letters ("Ft", "kr",
    "RM") as whole words. Compact, because it is part of every notice pattern that names an amount."""
    single = sorted(s for s in symbols if len(s) == 1 and s != "$")
    words = sorted(
        (s for s in symbols if len(s) > 1 and not _DOLLAR_PREFIXED.fullmatch(s) and not _DOLLAR_SUFFIXED.fullmatch(s)),
        key=len,
        reverse=True,
    )
    space = f"[{SPACE}]?"
    parts = [r"[A-Z]{1,4}\$", rf"\${space}(?:[A-Z]{{2}}(?![A-Za-z]))?"]
    if single:
        parts.append("[" + "".join(re.escape(s) for s in single) + "]")
    if words:
        word = "|".join(re.escape(w).replace(r"\ ", space) for w in words)
        parts.append(rf"(?<![^\W\d_])(?:{word})(?![^\W\d_])")
    return "|".join(parts)


def _has_sign(symbol: str) -> bool:
    return any(not (c.isalnum() or c in SPACE or c == ".") for c in symbol)


def compile_currencies(codes: Iterable[str], symbols: Mapping[str, str]) -> Currencies:
    symbols = {str(k): str(v).upper() for k, v in symbols.items()}
    sym = _symbol_pattern(symbols)
    gap = f"[{SPACE}]?"
    token = (
        rf"(?:(?P<pre_code>{_CODE}){gap})?(?:(?P<pre_sym>{sym}){gap})?(?P<number>{NUMBER})"
        rf"(?:{gap}(?P<post_sym>{sym}))?(?:{gap}(?P<post_code>{_CODE}))?"
    )
    sign = r"[^\w\s<>()\[\]\"'.,;:!?]{1,2}"  # "$", "€", "NZ$" (with the letters before it), "₹"
    # After the amount a sign may carry its letters too ("35,00 NZ$"), or be a symbol of letters ("6 380,00 Ft",
    # "100,00 zł"): where a sentence goes on after the amount ("hat dir 35,00 NZ$ gesendet") it must be passed over.
    lettered = "|".join(re.escape(s) for s in sorted(symbols, key=len, reverse=True) if not _has_sign(s))
    after = rf"{sign}|[A-Z]{{1,3}}\$" + (rf"|(?=[^\W\d_])(?:{lettered})(?![^\W\d_])" if lettered else "")
    loose = (
        rf"(?-i:(?:[A-Z]{{3}}{gap})?(?:[A-Z]{{0,3}}{sign}{gap})?{NUMBER}"
        rf"(?:{gap}(?:{after})(?:{gap}[A-Z]{{2}}(?![A-Za-z]))?)?(?:{gap}[A-Z]{{3}}(?![A-Za-z]))?)"
    )
    return Currencies(
        codes=frozenset(c.upper() for c in codes),
        symbols=symbols,
        token=re.compile(token),
        pattern=loose,
    )


@cache
def builtin_currencies() -> Currencies:
    """rules/currencies.toml, read once on first use (never at import)."""
    data = tomllib.loads(CURRENCIES_FILE.read_text(encoding="utf-8"))
    return compile_currencies(data["codes"], data["symbols"])


@dataclass(frozen=True, kw_only=True, slots=True)
class MoneyReading:
    money: Money | None
    problem: str = ""  # why no money could be read, when money is None
    assumed_currency: bool = False  # no code or symbol of one currency: the service's format says what its bare one is
    amount: Decimal | None = None  # the number, even when its currency could not be taken


def read_number(text: str) -> Decimal | None:
    """A number written with any grouping and decimal mark: the last '.' or ',' followed by one or two digits is
    the decimal mark; every other mark or space groups thousands ('1.234,50', '1,234.50', '6 380,00', '1.234')."""
    digits = _GROUPING.sub("", text)
    if not _DIGITS.fullmatch(digits):
        return None
    last = max(digits.rfind("."), digits.rfind(","))
    if last >= 0 and 1 <= len(digits) - last - 1 <= 2:
        whole, fraction = digits[:last], digits[last + 1 :]
    else:
        whole, fraction = digits, ""
    whole = whole.replace(".", "").replace(",", "")
    try:
        value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def read_money(
    text: str,
    currencies: Currencies,
    *,
    currency_field: str = "",
    bare_symbols: Mapping[str, str] | None = None,
    home_currency: str = "",
) -> MoneyReading:
    """The first amount in `text` and the one currency every signal beside it names (a code or symbol before or
    after it, and a separate currency field). A symbol several currencies share, or no symbol, names none: the
    amount then takes the currency the service's format gives its bare symbol (`bare_symbols`: "" for no symbol at
    all; "home" for the account's home currency, `home_currency`), and says so; otherwise there is no money, only the
    number (`amount`) and the problem."""
    text = unicodedata.normalize("NFC", text or "")[:400]
    found = currencies.token.search(text)
    if not found:
        return MoneyReading(money=None, problem=f"no amount in {text[:40]!r}")
    shown = found.group(0).strip()
    amount = read_number(found.group("number"))
    if amount is None or amount <= 0:
        return MoneyReading(money=None, problem=f"no positive amount in {shown!r}")
    signals: set[str] = set()
    for name in ("pre_code", "post_code"):
        code = found.group(name)
        if not code:
            continue
        if code in currencies.codes:
            signals.add(code)
        elif name == "post_code":
            return MoneyReading(money=None, problem=f"unknown currency {code!r} in {shown!r}", amount=amount)
    symbols = [s for s in (found.group("pre_sym"), found.group("post_sym")) if s]
    for symbol in symbols:
        if not currencies.is_known(symbol):
            return MoneyReading(
                money=None, problem=f"unknown currency symbol {symbol.strip()!r} in {shown!r}", amount=amount
            )
        code = currencies.code_of(symbol)
        if code:
            signals.add(code)
    if currency_field.strip():
        field = currency_field.strip()
        code = currencies.code_of(field) or next((w for w in _CODE_RE.findall(field) if w in currencies.codes), "")
        if not code:
            return MoneyReading(money=None, problem=f"unknown currency {field[:20]!r}", amount=amount)
        signals.add(code)
    if len(signals) > 1:
        return MoneyReading(
            money=None, problem=f"conflicting currencies {', '.join(sorted(signals))} in {shown!r}", amount=amount
        )
    if signals:
        return MoneyReading(money=Money(amount=amount, currency=signals.pop()), amount=amount)
    bare = " ".join(symbols[0].split()) if symbols else ""
    said = (bare_symbols or {}).get(bare, "")
    meant = home_currency if said.lower() == "home" else said.upper()
    if meant and meant in currencies.codes:
        return MoneyReading(money=Money(amount=amount, currency=meant), assumed_currency=True, amount=amount)
    what = f"the symbol {bare!r} names no one currency" if bare else "no currency is stated"
    return MoneyReading(money=None, problem=f"{what} for {shown!r}", amount=amount)
