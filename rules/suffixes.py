"""Per-TLD tables (upstream prices, the reseller's own renewal rates): the longest matching suffix wins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

V = TypeVar("V")


def by_suffix(table: Mapping[str, V], domain: str) -> V | None:
    """The entry for the longest suffix of `domain` in `table`: "co.nz" before "nz" for example.co.nz."""
    labels = domain.strip().lower().rstrip(".").split(".")
    for start in range(1, len(labels)):
        found = table.get(".".join(labels[start:]))
        if found is not None:
            return found
    return None
