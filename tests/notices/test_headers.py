"""Header reading: the fast path for common address forms gives exactly what the standard library's RFC 5322
parser gives, on ordinary and hostile input alike."""

from __future__ import annotations

from email.utils import getaddresses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.notices.headers import addresses_of


def stdlib(value: str) -> list[tuple[str, str]]:
    return [(name, addr) for name, addr in getaddresses([value]) if addr or name]


@pytest.mark.parametrize(
    "value",
    [
        "PayPal <service@paypal.com>",
        '"PayPal" <service@paypal.com>',
        "service@paypal.com",
        "  Sam   Reid\t<sam@kiwiweb.example> ",
        '" A  B " <x@y.z>',
        "O'Neil-Smith <x@y.z>",
        "<x@y.z>",
        "a..b@x.y",
        "A <a@b.c.>",
        "accounts@kiwiweb.example, evil@attacker.example",
        "PayPal <service@paypal.com> <evil@attacker.example>",
        '"service@paypal.com" <evil@attacker.example>',
        "service@paypal.com (PayPal) <evil@attacker.example>",
        "PayPal <service@paypal.com>, evil@attacker.example",
        "group: a@b.c, d@e.f;",
        "Pay.Pal <service@paypal.com>",
    ],
)
def test_known_forms(value: str) -> None:
    assert addresses_of(value) == stdlib(value)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ09.@<>\"' \t-_+%,;:()\\[]")), max_size=40))
def test_same_as_the_standard_library(value: str) -> None:
    assert addresses_of(value) == stdlib(value)


@settings(max_examples=500, deadline=None)
@given(
    name=st.text(alphabet=st.sampled_from(list("aZ9 '-.\t")), max_size=12),
    quoted=st.booleans(),
    local=st.from_regex(r"[a-z0-9._%+\-]{1,10}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9.\-]{1,12}", fullmatch=True),
)
def test_display_name_forms(name: str, quoted: bool, local: str, domain: str) -> None:
    value = f'"{name}" <{local}@{domain}>' if quoted else f"{name} <{local}@{domain}>"
    assert addresses_of(value) == stdlib(value)
