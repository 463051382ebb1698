"""dkimpy's conversions between integers and bytes done by int.to_bytes and int.from_bytes: the same bytes and numbers
as dkimpy's own loops, so the same verdicts."""

from __future__ import annotations

import random
from collections.abc import Callable

import dkim.crypto
import pytest

from integrations.notices import SenderTrust, read_notice
from integrations.notices.dkim_bytes import (
    ORIGINAL_INT2STR,
    ORIGINAL_STR2INT,
    int2str,
    str2int,
    use_fast_conversions,
)
from rules.model import DecisionKind
from tests.notices.support import build_message, sign


def _cases() -> list[tuple[int, int]]:
    rng = random.Random(11)
    numbers = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**1024 - 1, 2**2047, 2**2048 - 1]
    numbers += [rng.getrandbits(bits) for bits in (7, 8, 9, 63, 64, 512, 1023, 1024, 2048, 4096) for _ in range(5)]
    lengths = [-1, 0, 1, 2, 3, 8, 32, 128, 256, 300, 512]
    return [(n, length) for n in numbers for length in lengths]


def test_same_bytes_as_dkimpy_for_every_length() -> None:
    """Minimal length (one byte for zero), padded to a longer length, and cut to a shorter one (dkimpy keeps the low
    bytes): byte for byte what dkimpy's loop gives, as a bytearray."""
    for n, length in _cases():
        ours, theirs = int2str(n, length), ORIGINAL_INT2STR(n, length)
        assert ours == theirs, (n, length)
        assert type(ours) is type(theirs) is bytearray


def test_same_number_as_dkimpy_for_every_byte_string() -> None:
    """Empty, leading zero bytes, one byte, key-sized and longer, as bytes and bytearray: dkimpy's loop's number."""
    rng = random.Random(12)
    strings = [b"", b"\x00", b"\x00\x00\x01", b"\xff", b"\x01\x00", b"\x80" + bytes(255), bytes(256)]
    strings += [rng.randbytes(size) for size in (1, 2, 3, 7, 8, 9, 128, 255, 256, 257, 512) for _ in range(5)]
    for s in [*strings, *map(bytearray, strings)]:
        assert str2int(s) == ORIGINAL_STR2INT(s), s
        assert int2str(str2int(s), len(s)) == s  # and back: the RSA step's round trip


def test_negative_number_is_refused_as_dkimpy_refuses_it() -> None:
    with pytest.raises(AssertionError):
        ORIGINAL_INT2STR(-1)
    with pytest.raises(AssertionError):
        int2str(-1)


def test_verdicts_are_the_same_with_either(trust: SenderTrust, monkeypatch: pytest.MonkeyPatch) -> None:
    """A signed notice verifies and one altered after signing does not, whichever conversions dkimpy uses; reading a
    notice installs ours."""
    good = sign(build_message())
    altered = good.replace(b"Subject: You've got money", b"Subject: You've got more money")
    monkeypatch.setattr(dkim.crypto, "int2str", ORIGINAL_INT2STR)
    monkeypatch.setattr(dkim.crypto, "str2int", ORIGINAL_STR2INT)
    use_fast_conversions()
    assert dkim.crypto.int2str is int2str
    assert dkim.crypto.str2int is str2int
    fast = [read_notice(raw, trust) for raw in (good, altered)]
    monkeypatch.setattr(dkim.crypto, "int2str", ORIGINAL_INT2STR)
    monkeypatch.setattr(dkim.crypto, "str2int", ORIGINAL_STR2INT)
    slow = [dkim.verify(raw, dnsfunc=_dns(trust)) for raw in (good, altered)]
    assert dkim.crypto.int2str is ORIGINAL_INT2STR  # dkim.verify alone does not install them
    assert dkim.crypto.str2int is ORIGINAL_STR2INT
    assert slow == [True, False]
    assert "DKIM d=paypal.com verified" in fast[0].reason
    assert fast[1].verdict is DecisionKind.REJECT
    assert "signature does not verify" in fast[1].reason


def _dns(trust: SenderTrust) -> Callable[..., bytes | None]:
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        record = trust.dns_txt(name.decode("ascii").rstrip("."))
        return record.encode("ascii") if record else None

    return lookup
