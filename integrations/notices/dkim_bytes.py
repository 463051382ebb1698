"""dkimpy's RSA check with the integer-to-bytes step done by `int.to_bytes`: dkimpy (1.1.8) turns the RSA result and
the key's modulus into bytes one byte at a time in Python, which on a 2048-bit key costs as much as the RSA
operation itself, twice per signature. Same bytes, same verdicts; only the cost changes.
"""

from __future__ import annotations

from collections.abc import Callable

import dkim.crypto

# dkimpy's own conversion, kept to compare against (tests/notices/test_dkim_bytes.py).
ORIGINAL_INT2STR: Callable[..., bytearray] = dkim.crypto.int2str


def int2str(n: int, length: int = -1) -> bytearray:
    """What `dkim.crypto.int2str` returns: `n` big-endian in `length` bytes (its low bytes when it is longer, as
    dkimpy's loop stops at `length`), or without `length` in as few bytes as hold it (one for zero)."""
    if n < 0:
        raise AssertionError("int2str of a negative number")  # as dkimpy's own `assert n >= 0`
    if length < 0:
        return bytearray(n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big"))
    return bytearray((n & ((1 << (8 * length)) - 1)).to_bytes(length, "big"))


def use_fast_int2str() -> None:
    """Make dkimpy's RSA check use `int2str` above (idempotent; called before each verification, never at import)."""
    if dkim.crypto.int2str is not int2str:
        dkim.crypto.int2str = int2str
