"""Malformed and hostile input: every message ends as quarantine or a verdict with a reason, never an exception."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from integrations.notices import SenderTrust, read_notice
from rules.model import DecisionKind
from tests.notices.support import build_message, fixture_mail, outcome, sign


def test_garbage_bytes_are_quarantined(trust: SenderTrust) -> None:
    """Random binary is no message: quarantine, with a stable digest as its id."""
    garbage = bytes(range(256)) * 40
    reading = read_notice(garbage, trust)
    assert outcome(reading) == "quarantine"
    assert reading.message_id.startswith("sha256-")
    assert read_notice(garbage, trust).message_id == reading.message_id
    assert reading.reason


def test_empty_input_is_quarantined(trust: SenderTrust) -> None:
    """Zero bytes: quarantine, with a reason."""
    reading = read_notice(b"", trust)
    assert outcome(reading) == "quarantine"
    assert "From" in reading.reason


def test_not_bytes_is_quarantined(trust: SenderTrust) -> None:
    """A caller passing text instead of bytes gets a quarantine reading, not a crash."""
    reading = read_notice("From: x@y.z\n\nhi", trust)  # type: ignore[arg-type]
    assert outcome(reading) == "quarantine"
    assert "not bytes" in reading.reason


def test_over_the_size_cap_is_quarantined_quickly(trust: SenderTrust) -> None:
    """A 10 MB body over the cap is quarantined without being parsed, keeping its Message-ID."""
    raw = build_message(body="A" * 10_000_000)
    started = time.perf_counter()
    reading = read_notice(raw, trust)
    assert outcome(reading) == "quarantine"
    assert "cap" in reading.reason
    assert reading.message_id == "made-up-1@paypal.com"
    assert time.perf_counter() - started < 5  # generous: the point is "not parsed", measured in bench/


def test_ten_megabyte_body_under_a_raised_cap_is_read(trust: SenderTrust) -> None:
    """With the cap raised, a signed 10 MB notice is verified and read, not crashed on."""
    filler = ("padding line " * 8 + "\n") * 100_000
    raw = sign(build_message(body=f"You received a payment of $45.00 NZD from Jo Bloggs (jo@example.nz).\n{filler}"))
    assert len(raw) > 10_000_000
    reading = read_notice(raw, replace(trust, max_bytes=20_000_000))
    assert outcome(reading) == "receipt"
    assert reading.receipt is not None and str(reading.receipt.money) == "45.00 NZD"


def test_one_huge_line_is_handled(trust: SenderTrust) -> None:
    """A 5 MB single line of digits (a regex trap) is read without crashing."""
    raw = sign(build_message(body="You received a payment of $" + "9" * 5_000_000 + "\n"))
    reading = read_notice(raw, replace(trust, max_bytes=20_000_000))
    assert outcome(reading) in {"review", "ignore", "receipt"}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"Subject: hi\nDate: Fri, 20 Nov 2026 09:30:00 +0000\n\nbody", "no From"),
        (b"From: Jo <jo@b.example>\nSubject: hi\n\nbody", "no Date"),
        (b"From: Jo <jo@b.example>\nDate: yesterday-ish\n\nbody", "unreadable Date"),
        (b" folded first line\nFrom: a@b.example\n\n", "continuation"),
        (b"From: a@b.example\nthis is not a header\nDate: Fri, 20 Nov 2026 09:30:00 +0000\n\n", "not a header line"),
        (b"From: a@b.example\nSubject: a\x00b\n\n", "NUL"),
        (b"From: a@b.example, c@d.example\nDate: Fri, 20 Nov 2026 09:30:00 +0000\n\n", "exactly one address"),
        (b"From: undisclosed\nDate: Fri, 20 Nov 2026 09:30:00 +0000\n\n", "is not an address"),
        (b"From: a@b.example\nSubject: x\nSubject: y\nDate: Fri, 20 Nov 2026 09:30:00 +0000\n\n", "2 subject"),
        (
            b"From: a@b.example\nDate: Fri, 20 Nov 2026 09:30:00 +0000\nDate: Fri, 20 Nov 2026 09:30:00 +0000\n\n",
            "2 date",
        ),
    ],
)
def test_broken_headers_are_quarantined(trust: SenderTrust, raw: bytes, why: str) -> None:
    """Missing or malformed headers quarantine the message, and the reason names the problem."""
    reading = read_notice(raw, trust)
    assert outcome(reading) == "quarantine"
    assert why in reading.reason


@pytest.mark.parametrize(
    "raw",
    [
        b"From: PayPal <service@paypal.com>\nSubject: You've got money\n\nYou received $45.00 NZD",
        b"From: PayPal <service@paypal.com>\nDate: yesterday-ish\n\nYou received $45.00 NZD",
        b"From: PayPal <service@paypal.com>\nDate: Fri, 31 Dec 9999 23:59:59 -0100\n\nYou received $45.00 NZD",
        b"From: PayPal <service@paypal.com>\nTo: a@b.example\nTo: accounts@kiwiweb.example\n"
        b"Date: Fri, 20 Nov 2026 09:30:00 +0000\n\nYou received $45.00 NZD",
    ],
    ids=["no Date", "unreadable Date", "no UTC instant", "2 To"],
)
def test_a_forged_notice_with_broken_headers_is_still_rejected(trust: SenderTrust, raw: bytes) -> None:
    """Broken headers are weighed after authentication: mail claiming a payment service that fails it is rejected
    as forged, not merely quarantined."""
    reading = read_notice(raw, trust)
    assert outcome(reading) == "reject", reading.reason


def test_a_genuine_notice_for_another_account_with_our_address_added_is_rejected(trust: SenderTrust) -> None:
    """The signature covers `To: attacker`; a second, unsigned `To` naming us is added: the notice is for another
    account (finding 1), whatever else is wrong with its headers."""
    signed = sign(build_message(to="Mallory <mallory.pays@gmail.com>"))
    raw = signed.replace(b"\nTo: Mallory", b"\nTo: KiwiWeb <accounts@kiwiweb.example>\nTo: Mallory", 1)
    reading = read_notice(raw, trust)
    assert outcome(reading) == "reject", reading.reason
    assert "mallory.pays@gmail.com" in reading.reason


def test_a_genuine_notice_with_a_header_added_after_signing_goes_to_a_person(trust: SenderTrust) -> None:
    """Signed, for our account, but a second Subject was added on the way: quarantined for a person, never read."""
    raw = sign(build_message()).replace(b"\nSubject: ", b"\nSubject: Payment of $9,999.00\nSubject: ", 1)
    reading = read_notice(raw, trust)
    assert outcome(reading) == "quarantine"
    assert "2 subject" in reading.reason


def test_a_genuine_notice_dated_past_the_calendar_goes_to_a_person(trust: SenderTrust) -> None:
    """Signed with `Date: 31 Dec 9999 23:59:59 -0100` (no UTC instant): authenticated, then quarantined for a
    person with the reason, never a crash and never read as a payment with a made-up time."""
    message = re.sub(rb"(?m)^Date:.*$", b"Date: Fri, 31 Dec 9999 23:59:59 -0100", build_message(), count=1)
    reading = read_notice(sign(message), trust)
    assert outcome(reading) == "quarantine"
    assert "Date" in reading.reason


def test_header_bomb_is_quarantined(trust: SenderTrust) -> None:
    """Thousands of header fields are refused before any parser sees them."""
    raw = b"".join(b"X-Filler-%d: x\n" % i for i in range(5000)) + build_message()
    reading = read_notice(raw, trust)
    assert outcome(reading) == "quarantine"
    assert "header fields" in reading.reason


def test_broken_mime_is_read_or_refused_with_a_reason(trust: SenderTrust) -> None:
    """A multipart whose boundary never appears still ends in a reading with a reason."""
    raw = sign(
        build_message(
            content_type='multipart/alternative; boundary="never-there"',
            body="You received a payment of $45.00 NZD from Jo Bloggs (jo@example.nz).\n",
        )
    )
    reading = read_notice(raw, trust)
    assert outcome(reading) in {"receipt", "review", "ignore", "quarantine"}
    assert reading.reason


def test_deeply_nested_multipart_does_not_escape(trust: SenderTrust) -> None:
    """Thousands of nested multiparts (a recursion bomb for MIME parsers) never raise."""
    depth = 3000
    head = "".join(f'--b{i}\nContent-Type: multipart/mixed; boundary="b{i + 1}"\n\n' for i in range(depth))
    raw = sign(build_message(content_type='multipart/mixed; boundary="b0"', body=head + "x\n"))
    reading = read_notice(raw, trust)
    assert outcome(reading) == "quarantine"
    assert "MIME parts" in reading.reason


@pytest.mark.parametrize("charset", ["x-unknown-charset", "utf-7", "iso-2022-jp", "utf-16", "latin-1"])
def test_odd_charsets_do_not_crash(trust: SenderTrust, charset: str) -> None:
    """Declared charsets the body is not in, or that Python lacks, still give a reading."""
    body = "You received a payment of €45,00 EUR from Zoë Brontë (zoe@example.nz).\n"
    raw = sign(build_message(content_type=f'text/plain; charset="{charset}"', body=body))
    reading = read_notice(raw, trust)
    assert outcome(reading) in {"receipt", "review"}
    if reading.receipt is not None:
        assert reading.receipt.money.currency == "EUR"


def test_encoded_subject_and_names_are_decoded(trust: SenderTrust) -> None:
    """RFC 2047 encoded words in Subject are decoded before the format reads them."""
    raw = sign(build_message(subject="=?utf-8?q?You=E2=80=99ve_got_money?="))
    reading = read_notice(raw, trust)
    assert outcome(reading) == "receipt"


def test_missing_message_id_gets_a_stable_digest(trust: SenderTrust) -> None:
    """Without a Message-ID the id is a sha256 of the bytes, the same on every reading."""
    raw = fixture_mail("dev-00001.eml").replace(b"Message-ID:", b"X-Old-Message-ID:")
    first, second = read_notice(raw, trust), read_notice(raw, trust)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("sha256-") and len(first.message_id) == 7 + 64


def test_unreadable_amount_is_review(trust: SenderTrust) -> None:
    """A genuine payment notice whose amount has conflicting currencies goes to a person."""
    raw = sign(build_message(body="You received a payment of NZ$45.00 AUD from Jo Bloggs (jo@example.nz).\n"))
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REVIEW
    assert "conflicting currencies" in reading.reason


def test_payment_wording_without_amount_is_review(trust: SenderTrust) -> None:
    """A genuine payment notice without any amount goes to a person, not silently nowhere."""
    raw = sign(build_message(body="You received a payment from Jo Bloggs.\n"))
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REVIEW
    assert "no amount" in reading.reason


@pytest.mark.parametrize(
    "html", ["<a " * 20_000, "<!--" * 20_000, "<script>" + "a<" * 50_000, "<" * 100_000, "&" * 100_000]
)
def test_hostile_html_from_a_stranger_is_read_in_linear_time(trust: SenderTrust, html: str) -> None:
    """Unclosed tags, comments and scripts (which make html.parser take minutes) end in a verdict at once."""
    raw = build_message(
        from_="Someone <someone@example.org>", subject="hello", body=html, content_type="text/html; charset=utf-8"
    )
    reading = read_notice(raw, trust)
    assert outcome(reading) == "ignore"


def test_thousands_of_mime_parts_are_quarantined(trust: SenderTrust) -> None:
    """A signed notice with 20,000 MIME parts is refused before the MIME parser walks them."""
    parts = "".join("--z\nContent-Type: text/plain\n\nx\n" for _ in range(20_000)) + "--z--\n"
    raw = sign(build_message(content_type='multipart/mixed; boundary="z"', body=parts))
    reading = read_notice(raw, trust)
    assert outcome(reading) == "quarantine"
    assert "MIME parts" in reading.reason


def test_nested_comments_in_from_are_quarantined(trust: SenderTrust) -> None:
    """50,000 nested comment parentheses in From (a recursion bomb for the address parser) quarantine cleanly."""
    reading = read_notice(build_message(from_="(" * 50_000 + "x@paypal.com"), trust)
    assert outcome(reading) == "quarantine"
    assert "nests too deeply" in reading.reason


def test_short_boundary_leaves_the_text_alone(trust: SenderTrust) -> None:
    """A one-letter MIME boundary (legal) does not corrupt words containing that letter."""
    body = "--z\nContent-Type: text/plain\n\nYou received a payment of $45.00 NZD from Zaza Pizza (zz@x.nz).\n--z--\n"
    raw = sign(build_message(content_type='multipart/alternative; boundary="z"', body=body))
    reading = read_notice(raw, trust)
    assert reading.receipt is not None
    assert reading.receipt.payer_name == "Zaza Pizza"
