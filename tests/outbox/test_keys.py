"""Idempotency keys: business keys as they are, shortened with a digest when longer than Xero's 128 characters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from worker.outbox import effect_key, enqueue


def test_short_keys_are_kept_and_long_ones_stay_distinct_and_stable() -> None:
    """A normal key is readable; two long keys differing only at the end do not collide."""
    assert effect_key("register", "example.co.nz", "ORD-1") == "register:example.co.nz:ORD-1"
    long_a = effect_key("note", "inv-" + "a" * 60, "register:" + "x" * 80 + ".nz:ORD-1")
    long_b = effect_key("note", "inv-" + "a" * 60, "register:" + "x" * 80 + ".nz:ORD-2")
    assert len(long_a) == len(long_b) == 128 and long_a != long_b
    assert long_a == effect_key("note", "inv-" + "a" * 60, "register:" + "x" * 80 + ".nz:ORD-1")


def test_enqueue_refuses_an_overlong_key(sqlite_engine: Engine) -> None:
    """A key Xero would reject is refused before it is stored."""
    with sqlite_engine.begin() as conn, pytest.raises(ValueError, match="128"):
        enqueue(conn, key="k" * 129, kind="history_note", payload={}, now=datetime.now(UTC))
