"""The prefix index answers exactly what a linear scan of all keys would, whatever order keys arrive in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rules.prefixes import PrefixIndex

keys = st.lists(st.tuples(st.text("abc.", max_size=6), st.text("xyz", min_size=1, max_size=2)), max_size=40)


@given(items=keys, word=st.text("abc.", max_size=4))
def test_prefix_lookup_equals_a_linear_scan(items: list[tuple[str, str]], word: str) -> None:
    """Built at once or one key at a time, the answer is every matching pair, sorted, once."""
    expected = sorted({item for item in items if item[0].startswith(word)})
    assert PrefixIndex(items).with_prefix(word) == expected
    grown = PrefixIndex()
    for key, value in items:
        grown.add(key, value)
    assert grown.with_prefix(word) == expected
    assert grown.first_with_prefix(word) == (expected[0][0] if expected else None)
