"""Payment references with a check digit for the invoices the worker raises: a numeric body and one Damm digit,
eight digits in all, so they fit the 12-character NZ bank fields and survive being typed. A reference whose check
digit verifies is an exact key; one typing slip (a digit changed, two neighbours swapped) always breaks the check
(the Damm quasigroup catches every such slip), so a slipped reference can only ever be a suggestion.

The worker makes them with python-stdnum (worker/effects/books.py); matching, here in the standard-library core,
verifies them with the same table (tests compare the two).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The Damm operation table (H. Michael Damm, 2004; the table python-stdnum's `stdnum.damm` uses).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
# Bodies start at this number: every reference has eight digits and starts with 1 (never a lost leading zero).
BASE = 1_000_000
LENGTH = 8
_TOKEN = re.compile(r"(?<![\d])1\d{7}(?![\d])")


def damm_interim(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def is_valid(reference: str) -> bool:
    """Eight digits, starting with 1, whose Damm check verifies."""
    return len(reference) == LENGTH and reference.isdigit() and reference[0] == "1" and damm_interim(reference) == 0


def one_slip_away(token: str) -> set[str]:
    """The valid references one typing slip from `token`: one digit changed, or two neighbours swapped."""
    out: set[str] = set()
    for i in range(len(token)):
        for digit in "0123456789":
            candidate = token[:i] + digit + token[i + 1 :]
            if candidate != token and is_valid(candidate):
                out.add(candidate)
    for i in range(len(token) - 1):
        candidate = token[:i] + token[i + 1] + token[i] + token[i + 2 :]
        if candidate != token and is_valid(candidate):
            out.add(candidate)
    return out


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundReference:
    token: str  # as written (spaces and dashes removed)
    valid: bool
    span: tuple[int, int] = (0, 0)  # where it stands in the text


_SPACED = re.compile(r"(?<![\d])1\d{3}[ \-]\d{4}(?![\d])")  # "1000 0422": how some payers group eight digits


def find_payment_references(text: str) -> list[FoundReference]:
    """Every eight-digit number starting with 1 in `text` (also written "1000 0422"), and whether it verifies."""
    found: dict[str, tuple[int, int]] = {}
    for m in (*_TOKEN.finditer(text), *_SPACED.finditer(text)):
        found.setdefault(m.group(0).replace(" ", "").replace("-", ""), m.span())
    return [FoundReference(token=t, valid=is_valid(t), span=span) for t, span in found.items()]


def without(text: str, references: list[FoundReference]) -> str:
    """The text with these references blanked, so their halves ("1000 4207") are not read as other numbers."""
    for reference in references:
        start, end = reference.span
        text = text[:start] + " " * (end - start) + text[end:]
    return text
