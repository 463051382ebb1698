"""dkimpy's RSA check with the conversions between integers and bytes done by `int.to_bytes` and `int.from_bytes`:
dkimpy (1.1.8) converts one byte at a time in Python, both ways, which on a 2048-bit key costs as much as the RSA
operation itself. Same numbers and bytes, same verdicts; only the cost changes.
"""

from __future__ import annotations

from collections.abc import Callable

import dkim.crypto

# dkimpy's own conversions, kept to compare against (tests/notices/test_dkim_bytes.py).
ORIGINAL_INT2STR: Callable[..., bytearray] = dkim.crypto.int2str
ORIGINAL_STR2INT: Callable[[bytes | bytearray], int] = dkim.crypto.str2int


def int2str(n: int, length: int = -1) -> bytearray:
    """What `dkim.crypto.int2str` returns: `n` big-endian in `length` bytes (its low bytes when it is longer, as
    dkimpy's loop stops at `length`), or without `length` in as few bytes as hold it (one for zero)."""
    if n < 0:
        raise AssertionError("int2str of a negative number")  # as dkimpy's own `assert n >= 0`
    if length < 0:
        return bytearray(n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big"))
    return bytearray((n & ((1 << (8 * length)) - 1)).to_bytes(length, "big"))


def str2int(s: bytes | bytearray) -> int:
    """What `dkim.crypto.str2int` returns: the bytes read as one big-endian unsigned integer (0 for none)."""
    return int.from_bytes(s, "big")


def use_fast_conversions() -> None:
    """Make dkimpy's RSA check use `int2str` and `str2int` above (idempotent; called before each verification, never
    at import)."""
    if dkim.crypto.int2str is not int2str:
        dkim.crypto.int2str = int2str
    if dkim.crypto.str2int is not str2int:
        dkim.crypto.str2int = str2int
