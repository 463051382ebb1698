"""Words a pattern cannot match without: a regular expression of the notice formats is run only on a text that holds
one of them, so a notice is not scanned for the wording of refunds, disputes or requests it never mentions.

Derived from the pattern itself (the standard library's own parse of it), so data stays data. Only ASCII letters,
digits and a few signs, three or more in a row, outside any part matched case-sensitively, count as needles: a
text is compared lower-cased (notice text is NFKC-normalised before, so look-alike letters such as the long s are
plain letters by then). A pattern with no such words is always run.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

MIN_NEEDLE = 3
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 '-:/#@.,")


def needles(pattern: str, flags: int = re.IGNORECASE) -> frozenset[str] | None:
    """Lower-case strings of which every match of `pattern` contains at least one; None when there are none."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except Exception:  # the caller compiled it already; a parse we cannot follow just means "always run"
        return None
    return _required(list(parsed.data), ignore_case=bool(flags & re.IGNORECASE))


def _required(items: list[tuple[Any, Any]], *, ignore_case: bool) -> frozenset[str] | None:
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= MIN_NEEDLE:
            candidates.append(frozenset({"".join(run)}))
        run.clear()

    for op, av in items:
        if op is sre.LITERAL:
            char = chr(av)
            lowered = char.lower() if ignore_case else char
            if char.isascii() and lowered in _PLAIN and (ignore_case or not char.isalpha() or char.islower()):
                run.append(lowered)
            else:
                flush()
        elif op is sre.AT:
            continue  # \b, ^, $ take no room in the text: the letters on each side stay one run
        else:
            flush()
            found = _element(op, av, ignore_case=ignore_case)
            if found:
                candidates.append(found)
    flush()
    if not candidates:
        return None
    return max(candidates, key=lambda c: min(len(n) for n in c))


def _element(op: Any, av: Any, *, ignore_case: bool) -> frozenset[str] | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, inner = av
        if del_flags & re.IGNORECASE and ignore_case:
            return None  # matched case-sensitively: a lower-cased text proves nothing about it
        return _required(list(inner.data), ignore_case=ignore_case or bool(add_flags & re.IGNORECASE))
    if op is sre.BRANCH:
        sets = [_required(list(branch.data), ignore_case=ignore_case) for branch in av[1]]
        if any(s is None for s in sets):
            return None
        return frozenset().union(*sets)  # type: ignore[arg-type]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
        low, _high, inner = av
        return _required(list(inner.data), ignore_case=ignore_case) if low >= 1 else None
    return None


def may_match(found: frozenset[str] | None, lowered: str) -> bool:
    """Whether a pattern with these needles can match a text (given lower-cased)."""
    if found is None:
        return True
    for needle in found:  # noqa: SIM110 (a plain loop costs half of any() over a generator, on every message)
        if needle in lowered:
            return True
    return False
