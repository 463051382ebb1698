"""Finding 2 of issue 11, the layout: once a payer's block (note, message, description, item) begins, its lines are
the payer's until the service's next field or heading at that place. A line inside it that looks like one of the
service's labels or sentences is the payer's copy: it never gives amount, currency, kind or transaction id, and it
stays in the payer's text, with its references. Checked for every label and amount sentence of every notice format
in rules/notice_formats, each made into text by `example` from the format file's own patterns."""

from __future__ import annotations

import functools
import tomllib
from decimal import Decimal
from pathlib import Path
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any

import pytest

from integrations.notices import builtin_formats
from rules.money import Money
from rules.notice_layout import SERVICE_FIELDS
from rules.notice_text import NoticeContent, NoticeFormat, read_content

FORMATS = Path(__file__).resolve().parents[2] / "rules" / "notice_formats"
SERVICE_MONEY = "NZ$0.01 NZD"
FAKE_MONEY = "NZ$30.00 NZD"
TXN = "7XK12345LM678901N"
REFERENCE = "INV-4321"
MONEY_MARK = "\x00money\x00"
MONEY_FIELDS = ("amount", "net", "fee")
PAYER_FIELDS = ("payer", "payer_name", "payer_email")


# ---------------------------------------------------------------------------------------------- text from a pattern


def _text(parsed: Any, groups: dict[str, str]) -> str:
    out = []
    for op, arg in parsed:
        if op is sre.LITERAL:
            out.append(chr(arg))
        elif op is sre.NOT_LITERAL or op is sre.ANY:
            out.append("x" if arg != ord("x") else "y")
        elif op is sre.IN:
            out.append(_one_of(arg))
        elif op is sre.BRANCH:
            out.append(_text(arg[1][0], groups))
        elif op is sre.SUBPATTERN:
            group, _, _, inner = arg
            name = next((n for n, g in groups.items() if g == group), "") if isinstance(group, int) else ""
            out.append(_named(name) if name in SUBSTITUTES or name.startswith("money") else _text(inner, groups))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _, inner = arg
            out.append(_text(inner, groups) * low)
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        else:  # a construct the format files do not use: say so rather than test less
            raise AssertionError(f"example() cannot write {op}")
    return "".join(out)


def _one_of(items: Any) -> str:
    op, arg = items[0]
    if op is sre.NEGATE:
        return "x"
    if op is sre.LITERAL:
        return chr(arg)
    if op is sre.RANGE:
        return chr(arg[0])
    if op is sre.CATEGORY:
        return {sre.CATEGORY_SPACE: " ", sre.CATEGORY_DIGIT: "1", sre.CATEGORY_WORD: "a"}.get(arg, "a")
    raise AssertionError(f"example() cannot write a set starting with {op}")


SUBSTITUTES = {"payer": "Mallory Payer", "payer_name": "Mallory Payer", "payer_email": "mallory@example.org"}


def _named(name: str) -> str:
    return MONEY_MARK if name.startswith("money") else SUBSTITUTES[name]


def example(pattern: str, money: str) -> str:
    """One text the pattern matches: the first alternative of each choice, the fewest repeats, `money` for {money},
    a made-up payer for a payer group."""
    count = 0

    def money_group(_: str) -> str:
        nonlocal count
        count += 1
        return f"(?P<money{count}>M)"

    numbered = pattern
    while "{money}" in numbered:
        numbered = numbered.replace("{money}", money_group(""), 1)
    parsed = sre_parse.parse(numbered)
    text = _text(parsed, dict(parsed.state.groupdict))
    return " ".join(text.replace(MONEY_MARK, money).split(" ")).strip()


def test_example_writes_text_the_pattern_matches() -> None:
    fmt = _format("paypal")
    words = example(r"\byou(?:'ve| have)?\s+received\s+(?P<amount>{money})\s+from\s+(?P<payer>[^\n]{1,160}?)$", "$1")
    assert words == "you received $1 from Mallory Payer"
    assert fmt.layout.is_label(example(r"amount\s+(?:received|paid|due)", ""))


# ---------------------------------------------------------------------------------------------- the formats' data


@functools.cache
def _table(file: Path) -> dict[str, Any]:
    return tomllib.loads(file.read_text(encoding="utf-8"))


@functools.cache
def _format(gateway: str) -> NoticeFormat:
    fmt = builtin_formats().get(gateway)
    assert fmt is not None
    return fmt


@functools.cache
def _labels(gateway: str) -> dict[str, list[str]]:
    """Every label of the gateway, from its base file and each language file."""
    merged: dict[str, list[str]] = {}
    for file in sorted(FORMATS.glob("*.toml")):
        table = _table(file)
        if table.get("gateway") == gateway:
            for field, patterns in table.get("labels", {}).items():
                merged.setdefault(field, []).extend(patterns)
    return merged


FILES = sorted(FORMATS.glob("*.toml"))


@functools.cache
def _first_label(file: Path, field: str) -> str | None:
    """The field's first label in this file, else in the gateway's base file, as text."""
    table = _table(file)
    base = _table(FORMATS / f"{table['gateway']}.toml")
    for source in (table, base):
        patterns = source.get("labels", {}).get(field)
        if patterns:
            return example(patterns[0], "")
    return None


def _service_lines(file: Path) -> list[str]:
    """The service's labelled fields of a genuine notice in this file's language: 0.01 NZD paid."""
    values = {
        "amount": SERVICE_MONEY,
        "net": "NZ$0.00 NZD",
        "fee": SERVICE_MONEY,
        "currency": "NZD",
        "payer_name": "Jo Bloggs",
        "payer_email": "jo@example.nz",
        "payer": "Jo Bloggs",
        "txn_id": TXN,
    }
    lines = []
    for field, value in values.items():
        label = _first_label(file, field)
        if label:
            lines.append(f"{label}: {value}")
    return lines


def _opening(file: Path) -> tuple[str, str]:
    """Subject and first body line in this file's wording of a payment received."""
    table = _table(file)
    payment = table.get("payment", {})
    subject = example(payment["subject"][0], SERVICE_MONEY) if payment.get("subject") else "Payment received"
    body = example(payment["body"][0], SERVICE_MONEY) if payment.get("body") else subject
    return subject, body


def _memo_label(file: Path) -> str:
    label = _first_label(file, "memo")
    assert label, f"{file.name}: no memo label"
    return label


def notice(file: Path, note_lines: list[str], *, note_first: bool) -> tuple[str, str]:
    """(subject, body): the service's fields and a payer's note of `note_lines` below its label, the note before
    the service's fields (closed by a blank line) or after them (ending the notice)."""
    subject, opening = _opening(file)
    note = [f"{_memo_label(file)}:", *note_lines]
    fields = _service_lines(file)
    parts = [opening, "", *note, "", *fields] if note_first else [opening, "", *fields, *note]
    return subject, "\n".join(parts) + "\n"


def read(file: Path, subject: str, body: str) -> NoticeContent:
    return read_content(_format(_table(file)["gateway"]), subject, body, home_currency="NZD")


def _imitations(file: Path) -> list[tuple[str, str, str]]:
    """(what, line, kept): each of the gateway's labels stating a value, and each amount sentence of this file; and
    what of it must be in the payer's text (a payer's own label begins a block of its own: its value)."""
    table = _table(file)
    out = []
    for field, patterns in _labels(table["gateway"]).items():
        for pattern in patterns:
            label = example(pattern, "")
            if field in MONEY_FIELDS:
                value = FAKE_MONEY
            elif field == "currency":
                value = "USD"
            elif field == "txn_id":
                value = "FAKE98765432X"
            elif field in PAYER_FIELDS:
                value = "Evil Payer"
            else:
                value = "INV-9999"
            kept = value if field not in SERVICE_FIELDS else ""
            out.append((f"{field} label {label!r}", f"{label}: {value}", kept or f"{label}: {value}"))
            out.append((f"{field} label {label!r} alone", f"{label}\n{value}", kept or f"{label} {value}"))
    sentences = list(table.get("sentences", []))
    for row in table.get("not_payment", []):
        sentences.extend(row.get("amount", []))  # a payout's amount sentence
    for pattern in sentences:
        if "{money}" in pattern:
            said = example(pattern, FAKE_MONEY)
            out.append((f"sentence {pattern[:40]!r}", said, said))
    return out


CASES = [(file, what, line, kept) for file in FILES for what, line, kept in _imitations(file)]


def _service_values(content: NoticeContent) -> tuple[str, Money | None, str]:
    return content.kind, content.money, content.txn_id


@pytest.mark.parametrize("file", FILES, ids=[f.name for f in FILES])
def test_each_format_reads_its_genuine_notice(file: Path) -> None:
    """The notice the cases below are built on: a payment of 0.01 NZD with its transaction id and the reference."""
    for note_first in (True, False):
        content = read(file, *notice(file, [REFERENCE], note_first=note_first))
        assert _service_values(content) == ("payment", Money(amount=Decimal("0.01"), currency="NZD"), TXN), content
        assert REFERENCE in " ".join(v for _, v in content.payer_text)


@pytest.mark.parametrize(("file", "what", "line", "kept"), CASES, ids=[f"{f.name}-{w}" for f, w, _, _ in CASES])
def test_a_label_or_sentence_inside_the_payers_note_is_the_payers(file: Path, what: str, line: str, kept: str) -> None:
    """The note says 30.00 NZD (or USD, another transaction id, another kind) in the service's own words, on its
    first line or below the reference, the note before or after the service's fields: the service's values stand,
    and the note's text is the payer's, with its reference."""
    for note_lines in ([REFERENCE, line], [line, REFERENCE]):
        for note_first in (True, False):
            content = read(file, *notice(file, note_lines, note_first=note_first))
            where = f"note {note_lines!r}, {'before' if note_first else 'after'} the service's fields"
            assert _service_values(content) == ("payment", Money(amount=Decimal("0.01"), currency="NZD"), TXN), (
                f"{what}: {where}: {content}"
            )
            payer_text = " ".join(value for _, value in content.payer_text)
            assert REFERENCE in payer_text, f"{what}: {where}: {content.payer_text}"
            assert " ".join(kept.split()).rstrip(".") in payer_text, f"{what}: {where}: {content.payer_text}"
