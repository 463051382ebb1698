"""Per-TLD tables pick the longest matching suffix, whatever the case or a trailing dot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules.suffixes import by_suffix

TABLE = {"co.nz": Decimal("21.50"), "nz": Decimal("19.00"), "com": Decimal("18.00")}


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("example.co.nz", Decimal("21.50")),
        ("Example.NZ.", Decimal("19.00")),
        ("shop.example.com", Decimal("18.00")),
        ("example.io", None),
        ("nz", None),
    ],
)
def test_longest_suffix_wins(domain: str, expected: Decimal | None) -> None:
    """co.nz beats nz for example.co.nz; a bare TLD or an unknown one has no entry."""
    assert by_suffix(TABLE, domain) == expected
