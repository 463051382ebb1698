"""Finding 3 of issue 11: mail from our own domain is a staff forward only when our own mail server recorded DMARC
pass, or a DKIM or SPF pass aligned with the From domain (or, with no verdict of our server to read, our own check
of a DKIM signature aligned with From). A pass for some other domain proves nothing about our From."""

from __future__ import annotations

from dataclasses import replace

import pytest

from integrations.notices import SenderTrust, read_notice
from rules.model import DecisionKind
from tests.notices.support import build_message, outcome, sign, with_server_verdict

FORWARD = (
    "fyi\n\n---------- Forwarded message ---------\nFrom: PayPal <service@paypal.com>\nSubject: You've got money\n\n"
    "You received a payment of $35.00 NZD from Hana Robinson (hana.robinson@xtra.co.nz).\n"
    "Transaction ID: 8HJ44512KL0923345\n"
)


def staff_forward() -> bytes:
    return build_message(from_="Sam <sam@kiwiweb.example>", subject="Fwd: You've got money", body=FORWARD)


@pytest.mark.parametrize(
    "verdict",
    [
        "spf=pass smtp.mailfrom=mailer.attacker.example; dmarc=fail header.from=kiwiweb.example",
        "spf=pass smtp.mailfrom=bounce@attacker.example",
        "dkim=pass header.d=attacker.example; spf=softfail smtp.mailfrom=kiwiweb.example",
        "dkim=pass header.i=@attacker.example; spf=none",
        "dkim=pass header.d=kiwiweb.example; dmarc=fail header.from=kiwiweb.example",
        "spf=pass smtp.helo=kiwiweb.example",
        "dmarc=pass header.from=attacker.example",
        "arc=pass",
    ],
)
def test_a_pass_for_another_domain_is_no_staff_forward(trust: SenderTrust, verdict: str) -> None:
    reading = read_notice(with_server_verdict(staff_forward(), verdict), trust)
    assert reading.verdict is DecisionKind.REJECT, reading.reason
    assert not reading.forwarded and reading.receipt is None
    assert "not a genuine staff forward" in reading.reason


@pytest.mark.parametrize(
    "verdict",
    [
        "dmarc=pass header.from=kiwiweb.example",
        "dmarc=pass",
        "dkim=pass header.d=kiwiweb.example; spf=fail smtp.mailfrom=kiwiweb.example",
        "spf=pass smtp.mailfrom=sam@kiwiweb.example",
        "spf=pass smtp.mailfrom=bounces.kiwiweb.example",
    ],
)
def test_aligned_pass_recorded_by_our_server_is_a_staff_forward(trust: SenderTrust, verdict: str) -> None:
    reading = read_notice(with_server_verdict(staff_forward(), verdict), trust)
    assert outcome(reading) == "receipt" and reading.forwarded, reading.reason


def test_only_our_own_server_verdict_counts(trust: SenderTrust) -> None:
    """An aligned pass written by some other server below ours, or in place of ours, is the sender's own claim."""
    raw = with_server_verdict(staff_forward(), "dmarc=pass header.from=kiwiweb.example", authserv="mx.attacker.example")
    raw = with_server_verdict(raw, "spf=pass smtp.mailfrom=attacker.example; dmarc=fail")
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT


def test_without_our_server_verdict_an_unsigned_forward_is_rejected(trust: SenderTrust) -> None:
    reading = read_notice(staff_forward(), trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "no verdict of our mail server" in reading.reason


def test_without_our_server_verdict_our_own_dkim_check_decides(trust: SenderTrust) -> None:
    """No Authentication-Results of ours (no authserv-id configured): a DKIM signature by our own domain, which we
    verify ourselves, makes it a genuine forward; a signature by another domain does not."""
    untrusting = replace(trust, trusted_authserv_id="")
    signed = sign(staff_forward(), domain="kiwiweb.example")
    assert outcome(read_notice(signed, untrusting)) == "receipt"
    other = sign(staff_forward(), domain="gmail.com")
    assert read_notice(other, untrusting).verdict is DecisionKind.REJECT
