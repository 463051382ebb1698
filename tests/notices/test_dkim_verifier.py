"""NoticeDKIM does less work per message than dkim.DKIM and must reach the same verdict on every message: the
message split the same way, the same key read from the same record, the same header fields hashed."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import dkim
import pytest

from integrations.notices import SenderTrust, read_notice
from integrations.notices.dkim_verifier import NoticeDKIM, parsed_key, split_message
from rules.model import DecisionKind
from tests.notices.support import TEST_KEY, build_message, load_context

HAND_MADE = [
    b"",
    b"\n",
    b"\r\n",
    b"\r\n\r\n",
    b"From: a@b\n",
    b"From: a@b",
    b"From: a@b\r\nTo: c@d\r\n\r\nbody\r\nline two\r\n",
    b"From: a@b\nTo: c@d\n\nbody\nline two\n",
    b"From: a@b\nSubject: one\n two\n\tthree\n\nbody",
    b"From a@b Mon Jan  1 00:00:00 2026\nFrom: a@b\n\nbody\n",  # an mbox separator line
    b"From: a@b\n\r\nbody\r\rmore\r\n\n\n",  # a blank line ending in CRLF after an LF; lone CRs in the body
    b"From: a@b\r\r\n\r\nbody",  # a CR before the line end belongs to the value
    b"From: a@b\n\n\n\nbody after three blank lines\n",
    b"X:\n\nempty value",
    b"From: a@b\nnot a header line\n\nbody",
    b" continues nothing\nFrom: a@b\n\n",
    b"From: a@b\nBad Name: x\n\n",
    b"From: a@b\n:no name\n\n",
    b"From: a@b\r\n\tfolded\r\n \r\n\r\nbody\r\n",  # a continuation line of blanks only is no empty line
]


def _outcome(parse: Callable[[bytes], object], message: bytes) -> object:
    try:
        return parse(message)
    except Exception as exc:  # the same exception, with the same text, is part of behaving the same
        return (type(exc), str(exc))


def test_split_message_is_dkimpys_parse_on_hand_made_messages() -> None:
    for message in HAND_MADE:
        assert _outcome(split_message, message) == _outcome(dkim.rfc822_parse, message), message


def test_split_message_is_dkimpys_parse_on_random_messages() -> None:
    """Random lines of header fields, continuations, mbox lines, junk, blank lines and every mix of CR and LF."""
    rng = random.Random(11)
    pieces = [b"From: a@b", b"Subject: x  y", b"To:", b" folded", b"\tfolded", b"", b"From x", b"junk", b"\r", b"a:b"]
    ends = [b"\n", b"\r\n", b"\r", b"\r\r\n", b"\n\r"]
    for _ in range(3000):
        message = b"".join(rng.choice(pieces) + rng.choice(ends) for _ in range(rng.randint(0, 9)))
        if rng.random() < 0.3:
            message = message.rstrip(b"\r\n")
        assert _outcome(split_message, message) == _outcome(dkim.rfc822_parse, message), message


def _record(key: str) -> bytes:
    dns = dict(load_context()["dns_txt"])  # type: ignore[call-overload]
    return str(dns[key]).encode()


OUR_KEY = _record("test1._domainkey.paypal.com")
OTHER_KEY = _record("wc1._domainkey.windcave.com")  # a real key of another service: no signature of ours verifies

QUIET = logging.Logger("test-dkim", level=logging.CRITICAL + 1)


def _signed(message: bytes, canonicalize: tuple[bytes, bytes], headers: list[bytes]) -> bytes:
    signature = dkim.sign(
        message, b"test1", b"paypal.com", TEST_KEY, include_headers=headers, canonicalize=canonicalize, linesep=b"\n"
    )
    return bytes(signature) + message


def _messages() -> list[bytes]:
    """Signed notices and what happens to mail on its way: unsigned fields added on top and below, a signed field
    added again or changed, whitespace and case changed (relaxed survives it, simple does not), the body altered,
    CRLF line ends, folded fields, a field signed twice, two signatures."""
    plain = build_message(extra_headers="Received: from mx (mx [10.0.0.1]);\n  Fri, 20 Nov 2026 09:30:01 +0000\n")
    folded = build_message(subject="You've got\n money from a payer\n\twith a long name")
    out: list[bytes] = []
    for canonicalize in ((b"relaxed", b"relaxed"), (b"simple", b"simple"), (b"relaxed", b"simple")):
        for base in (plain, folded):
            for headers in (
                [b"from", b"to", b"subject", b"date", b"message-id"],
                [b"from", b"from", b"subject", b"subject", b"date", b"to", b"cc", b"content-type"],
            ):
                good = _signed(base, canonicalize, headers)
                out += [
                    good,
                    b"Received: by mx.kiwiweb.example;\n Fri, 20 Nov 2026 09:30:02 +0000\n" + good,
                    b"Subject: You've got more money\n" + good,
                    good + b"\n",
                    good.replace(b"\nTo: ", b"\nTo:   "),
                    good.replace(b"\nSubject: ", b"\nSUBJECT: "),
                    good.replace(b"\nSubject: ", b"\nCc: boss@kiwiweb.example\nSubject: "),
                    good.replace(b"$45.00", b"$4500"),
                    good.replace(b"$45.00 NZD from", b"$45.00  NZD from"),
                    good.replace(b"\n", b"\r\n"),
                    good.replace(b"jo@example.nz", b"jo@example.nz").replace(b"Date: ", b"Date:  "),
                    _signed(good, canonicalize, [b"from", b"subject", b"date"]),  # a second signature on top
                ]
    return out


def _verify(cls: type[dkim.DKIM], message: bytes, idx: int, record: bytes | None) -> object:
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return record

    try:
        verifier = cls(message, logger=QUIET, minkey=1024)
        result = verifier.verify(idx=idx, dnsfunc=dnsfunc)
        # Everything a verification leaves behind as well, the header fields it hashed among them.
        left = ("signed_headers", "domain", "selector", "keysize", "ktag")
        return (result, *(getattr(verifier, name, None) for name in left))
    except Exception as exc:
        return (type(exc), str(exc))


def test_the_same_verdict_as_dkimpy_on_every_message_signature_and_key() -> None:
    """Our key, another service's key, no key, and records that cannot be read; each key record used again and
    again (as every notice of a service is verified with its one key), interleaved, so a kept parse can never stand
    in for another record's."""
    records = [OUR_KEY, OTHER_KEY, None, b"v=DKIM1; k=rsa; p=", b"v=DKIM1; k=rsa; p=MIGfMA0G", b"v=DKIM2; p=x"]
    verdicts = set()
    for message in _messages():
        for idx in (0, 1):
            for record in (*records, OUR_KEY):
                ours = _verify(NoticeDKIM, message, idx, record)
                assert ours == _verify(dkim.DKIM, message, idx, record), (message, idx, record)
                verdicts.add(ours[0])
    assert {True, False} <= verdicts  # both verdicts were reached, so the comparison compared something


def test_a_key_record_is_parsed_once_and_a_new_record_read_at_once() -> None:
    parsed_key.cache_clear()
    message = _signed(build_message(), (b"relaxed", b"relaxed"), [b"from", b"to", b"subject", b"date"])
    for _ in range(3):
        assert _verify(NoticeDKIM, message, 0, OUR_KEY)[0] is True
    assert parsed_key.cache_info().misses == 1 and parsed_key.cache_info().hits == 2
    assert _verify(NoticeDKIM, message, 0, OTHER_KEY)[0] is False  # the key was replaced in DNS
    assert parsed_key.cache_info().misses == 2
    for _ in range(2):  # a record that cannot be read is refused each time, never kept
        assert _verify(NoticeDKIM, message, 0, b"v=DKIM1; k=rsa; p=")[0] is False
    assert parsed_key.cache_info().currsize == 2


def test_reading_a_notice_verifies_with_notice_dkim(trust: SenderTrust, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's verdicts come from NoticeDKIM: a signed notice verifies, one altered after signing does not."""
    built: list[bytes] = []

    class Recording(NoticeDKIM):
        def set_message(self, message: bytes | None) -> None:
            built.append(message or b"")
            super().set_message(message)

    monkeypatch.setattr("integrations.notices.authentication.NoticeDKIM", Recording)
    good = _signed(build_message(), (b"relaxed", b"simple"), [b"from", b"to", b"subject", b"date", b"message-id"])
    altered = good.replace(b"$45.00", b"$4500")
    readings = [read_notice(raw, trust) for raw in (good, altered)]
    assert built == [good, altered]
    assert readings[0].receipt is not None and "DKIM d=paypal.com verified" in readings[0].reason
    assert readings[1].verdict is DecisionKind.REJECT and "body altered" in readings[1].reason
