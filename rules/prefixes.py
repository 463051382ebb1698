"""A sorted index for "keys that start with this word", cheap to grow one key at a time.

One sorted list with `bisect.insort` costs O(n) per insert, so a replay that adds orders day by day would grow
quadratically. Keys are kept in small sorted buckets by their first two characters instead.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

BUCKET = 2


class PrefixIndex:
    def __init__(self, keys: Iterable[tuple[str, str]] = ()) -> None:
        self._buckets: dict[str, list[tuple[str, str]]] = {}
        for key, value in keys:
            self.add(key, value)

    def add(self, key: str, value: str = "") -> None:
        bucket = self._buckets.setdefault(key[:BUCKET], [])
        i = bisect.bisect_left(bucket, (key, value))
        if i == len(bucket) or bucket[i] != (key, value):
            bucket.insert(i, (key, value))

    def with_prefix(self, word: str) -> list[tuple[str, str]]:
        """Every (key, value) whose key starts with `word`, in key order."""
        if len(word) >= BUCKET:
            bucket = self._buckets.get(word[:BUCKET], [])
            found: list[tuple[str, str]] = []
            i = bisect.bisect_left(bucket, (word, ""))
            while i < len(bucket) and bucket[i][0].startswith(word):
                found.append(bucket[i])
                i += 1
            return found
        # A word shorter than a bucket's name: every bucket whose name starts with it.
        return sorted(item for name, bucket in self._buckets.items() if name.startswith(word) for item in bucket)

    def some_with_prefix(self, word: str, limit: int) -> list[str]:
        """Up to `limit` keys that start with `word`, smallest first (without gathering every one)."""
        if len(word) < BUCKET:
            return [key for key, _ in self.with_prefix(word)[:limit]]
        bucket = self._buckets.get(word[:BUCKET], [])
        i = bisect.bisect_left(bucket, (word, ""))
        found: list[str] = []
        while i < len(bucket) and len(found) < limit and bucket[i][0].startswith(word):
            found.append(bucket[i][0])
            i += 1
        return found

    def first_with_prefix(self, word: str) -> str | None:
        """The smallest key that starts with `word`, if any."""
        found = self.with_prefix(word)
        return found[0][0] if found else None
