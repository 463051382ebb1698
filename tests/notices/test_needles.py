"""rules.needles: a pattern is skipped only on a text that cannot match it. Checked for every pattern of every built-in
format against notice texts in every language the formats read, and on hand-picked patterns."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.notices import builtin_formats
from rules.needles import may_match, needles
from tests.heldout.corpus import PAYPAL_NOT_PAYMENT, PAYPAL_PAYMENT
from tests.notices.support import MAIL

TEXTS = [
    *(path.read_text(encoding="utf-8", errors="replace") for path in sorted(MAIL.glob("*.eml"))),
    *(f"{subject}\n{body}" for subject, body in PAYPAL_PAYMENT.values()),
    *(f"{subject}\n{body}" for pairs in PAYPAL_NOT_PAYMENT.values() for subject, body in pairs),
    "Du hast eine Rückzahlung erhalten",
    "Vous avez reçu un remboursement",
    "Has recibido un reembolso",
    "PAYMENT WAS DECLINED",
    "Your payout of NZ$120.00 is on its way",
    "Receipt for your PayPal Debit Card purchase",
]


def every_pattern() -> list[re.Pattern[str]]:
    out: list[re.Pattern[str]] = []
    for fmt in builtin_formats().by_gateway.values():
        for wording in fmt.all_wordings():
            out += [*wording.payment_subject, *wording.payment_body]
            out += [p for _, p, _ in (*wording.not_payment_subject.patterns, *wording.not_payment_body.patterns)]
            if wording.sentence_scan is not None:
                out.append(wording.sentence_scan)
    return out


@pytest.mark.parametrize("pattern", every_pattern(), ids=lambda p: p.pattern[:40])
def test_no_pattern_is_skipped_on_a_text_it_matches(pattern: re.Pattern[str]) -> None:
    words = needles(pattern.pattern, pattern.flags)
    for text in TEXTS:
        if pattern.search(text):
            assert may_match(words, text.lower()), (pattern.pattern[:80], text[:80], words)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bpayment\s+(?:was|has\s+been)\s+(?:reversed|declined)\b", {"declined", "reversed"}),
        (r"\brefund", {"refund"}),
        (r"(?:a|b)x", None),  # nothing three letters long is required
        (r"(?:abc)?def", {"def"}),  # an optional part is never required
        (r"(?-i:ABC)def", {"def"}),  # a case-sensitive part is never compared lower-cased
        (r"\bstatus\s*(?::|\t)\s*(?:failed|declined)\b", {"status"}),
    ],
)
def test_needles_of_hand_picked_patterns(pattern: str, expected: set[str] | None) -> None:
    got = needles(pattern, re.IGNORECASE | re.MULTILINE)
    assert got == (frozenset(expected) if expected is not None else None)


@given(st.text(alphabet="abcdefghij ABCDEFGHIJ-:", max_size=40))
def test_literal_patterns_never_skip_a_match(text: str) -> None:
    for pattern in (r"\bab(?:cd|ef)gh", r"j+abc", r"(?:bad|cab)\s*-\s*dig", r"head(?:ache)?"):
        compiled = re.compile(pattern, re.IGNORECASE)
        if compiled.search(text):
            assert may_match(needles(pattern), text.lower())
