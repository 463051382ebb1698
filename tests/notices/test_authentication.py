"""Sender authentication: allow-list, look-alikes, DKIM aligned with From, and only our own MX's topmost verdict."""

from __future__ import annotations

from dataclasses import replace

import pytest

from integrations.notices import SenderTrust, read_notice
from rules.model import DecisionKind
from tests.notices.support import build_message, outcome, sign, with_server_verdict

PASS = "dkim=pass header.d=paypal.com; spf=pass smtp.mailfrom=paypal.com; dmarc=pass header.from=paypal.com"


def test_signed_notice_from_allowed_sender_is_a_receipt(trust: SenderTrust) -> None:
    """A notice signed by d=paypal.com, From paypal.com, is read into a receipt."""
    reading = read_notice(with_server_verdict(sign(build_message()), PASS), trust)
    assert outcome(reading) == "receipt"
    assert "DKIM d=paypal.com verified" in reading.reason


def test_parent_domain_signature_is_aligned(trust: SenderTrust) -> None:
    """From service@intl.paypal.com signed by d=paypal.com (the parent) is aligned and allowed."""
    raw = sign(build_message(from_="PayPal <service@intl.paypal.com>"), domain="paypal.com")
    assert outcome(read_notice(raw, trust)) == "receipt"


def test_signature_by_another_domain_is_not_aligned(trust: SenderTrust) -> None:
    """A valid signature by gmail.com does not authenticate a From of paypal.com."""
    raw = sign(build_message(), domain="gmail.com")
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "not aligned" in reading.reason


def test_altered_amount_after_signing_is_rejected(trust: SenderTrust) -> None:
    """Changing the amount in a signed body breaks the body hash: reject."""
    raw = sign(build_message()).replace(b"$45.00 NZD", b"$450.00 NZD")
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "body altered" in reading.reason


def test_altered_subject_after_signing_is_rejected(trust: SenderTrust) -> None:
    """Changing a signed header breaks the signature: reject."""
    raw = sign(build_message()).replace(b"Subject: You've got money", b"Subject: You've got more money")
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT


def test_forged_authentication_results_below_ours_do_not_help(trust: SenderTrust) -> None:
    """An unsigned notice whose own (lower) A-R header claims pass is still rejected: only ours counts."""
    forged = with_server_verdict(build_message(), PASS)  # written by the sender, below ours
    raw = with_server_verdict(forged, "dkim=none; spf=softfail smtp.mailfrom=paypal.com; dmarc=fail")
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "dkim=none" in reading.reason


def test_forged_authentication_results_alone_do_not_help(trust: SenderTrust) -> None:
    """An unsigned notice carrying only a forged pass A-R with our authserv-id is rejected: we verify DKIM ourselves."""
    raw = with_server_verdict(build_message(), PASS)
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT


def test_our_mx_recorded_failure_rejects_even_a_verifying_signature(trust: SenderTrust) -> None:
    """When our own MX's topmost verdict says dkim=fail, the notice is rejected whatever we verify."""
    raw = with_server_verdict(sign(build_message()), "dkim=fail header.d=paypal.com")
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "our mail server recorded dkim=fail" in reading.reason


def test_our_mx_recorded_dmarc_failure_rejects(trust: SenderTrust) -> None:
    """dmarc=fail in our own MX's verdict rejects even when our DKIM check passes."""
    raw = with_server_verdict(sign(build_message()), "dkim=pass header.d=paypal.com; dmarc=fail header.from=paypal.com")
    assert "dmarc=fail" in read_notice(raw, trust).reason


def test_failing_extra_signature_of_another_domain_does_not_reject(trust: SenderTrust) -> None:
    """Our MX failing some other domain's signature (an e-mail provider's) while passing the aligned one is fine."""
    verdict = "dkim=fail header.d=mailer.example; dkim=pass header.d=paypal.com; dmarc=pass"
    raw = with_server_verdict(sign(build_message()), verdict)
    assert outcome(read_notice(raw, trust)) == "receipt"


def test_lower_failure_of_another_server_does_not_matter(trust: SenderTrust) -> None:
    """A fail verdict from some other authserv-id below ours is not read."""
    raw = with_server_verdict(with_server_verdict(sign(build_message()), "dkim=fail", "mx.elsewhere.example"), PASS)
    assert outcome(read_notice(raw, trust)) == "receipt"


def test_body_length_signature_is_refused(trust: SenderTrust) -> None:
    """A signature with l= lets anyone append text, so it authenticates nothing."""
    raw = sign(build_message(), length=True)
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "l=" in reading.reason


def test_signature_that_leaves_subject_unsigned_is_refused(trust: SenderTrust) -> None:
    """A signature not covering Subject could be reused under another subject."""
    raw = sign(build_message(), headers=(b"from", b"date", b"message-id"))
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "subject" in reading.reason


def test_each_signature_verified_once(trust: SenderTrust) -> None:
    """With a broken and a good signature, the key is fetched once per aligned signature and the good one wins."""
    calls: list[str] = []

    def counting(name: str) -> str | None:
        calls.append(name)
        return trust.dns_txt(name)

    good = sign(build_message())
    broken = b"DKIM-Signature: v=1; a=rsa-sha256; d=paypal.com; s=test1; h=from:subject:date; bh=AAAA; b=AAAA\n"
    reading = read_notice(broken + good, replace(trust, dns_txt=counting))
    assert outcome(reading) == "receipt"
    assert calls == ["test1._domainkey.paypal.com", "test1._domainkey.paypal.com"]


def test_dns_failure_is_review_not_reject(trust: SenderTrust) -> None:
    """A key lookup that times out says "try again" (review, to be read again later), not "forged"."""

    def timing_out(name: str) -> str | None:
        raise TimeoutError(name)

    reading = read_notice(sign(build_message()), replace(trust, dns_txt=timing_out))
    assert reading.verdict is DecisionKind.REVIEW
    assert reading.retry_later
    assert "could not be fetched" in reading.reason


def test_missing_key_is_reject(trust: SenderTrust) -> None:
    """No key published for the selector: the signature cannot verify, reject."""
    reading = read_notice(sign(build_message()), replace(trust, dns_txt=lambda name: None))
    assert reading.verdict is DecisionKind.REJECT
    assert "no published key" in reading.reason


@pytest.mark.parametrize(
    "sender",
    [
        "PayPal <service@paypa1.com>",
        "PayPal <service@paypal-secure.com>",
        "PayPal <service@paypal.com.evil.example>",
        "Stripe <notifications@str1pe.com>",
        "Xero <messaging-service@post.xer0.com>",
        "Windcave <noreply@windcave-nz.com>",
        "PayPal <service@xn--pypal-4ve.com>",
    ],
)
def test_look_alike_domains_are_rejected(trust: SenderTrust, sender: str) -> None:
    """Domains imitating an allow-listed sender are rejected as look-alikes, even when signed by themselves."""
    domain = sender.split("@")[1].rstrip(">")
    raw = sign(build_message(from_=sender), domain=domain)
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "look-alike" in reading.reason


@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ('"PayPal Service" <paypal.notify.nz@gmail.com>', "You've got money"),
        ("Payments <payments@gmail.com>", "Stripe: payment received"),
        ("Accounts <billing@example.org>", "You've got money"),
    ],
)
def test_unlisted_sender_claiming_a_payment_is_rejected(trust: SenderTrust, sender: str, subject: str) -> None:
    """A payment notice from a sender that is no allow-listed payment service is rejected."""
    raw = sign(build_message(from_=sender, subject=subject), domain="gmail.com")
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT


def test_unrelated_mail_from_a_stranger_is_ignored(trust: SenderTrust) -> None:
    """Mail from an unknown sender that claims no payment is ignored with the reason."""
    raw = build_message(from_="Newsletter <news@example.org>", subject="Our spring catalogue", body="Hello!\n")
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.IGNORE
    assert "not a payment service" in reading.reason


def test_two_from_headers_are_rejected(trust: SenderTrust) -> None:
    """A second From header (which lenient parsers silently drop) is a spoofing trick: reject."""
    raw = b"From: Someone <x@evil.example>\n" + sign(build_message())
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "2 From headers" in reading.reason
    assert reading.received_at is not None


def test_own_domain_without_authentication_is_rejected(trust: SenderTrust) -> None:
    """Mail claiming our own domain that our MX could not authenticate at all is rejected."""
    raw = with_server_verdict(
        build_message(from_="Sam <sam@kiwiweb.example>", subject="Fwd: You've got money"),
        "dkim=none; spf=fail smtp.mailfrom=kiwiweb.example; dmarc=fail",
    )
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT


def test_own_domain_forward_with_spf_pass_is_forwarded(trust: SenderTrust) -> None:
    """A staff forward our MX passed (SPF) becomes a forwarded receipt naming the inner gateway."""
    body = (
        "fyi\n\n---------- Forwarded message ---------\nFrom: Stripe <notifications@stripe.com>\n"
        "Subject: Payment of NZ$90.00 from ana@example.nz\n\nAmount: NZ$90.00 NZD\nDescription: INV-0769\n"
        "Customer: ana@example.nz\nPayment ID: pi_123\n"
    )
    raw = with_server_verdict(
        build_message(from_="Sam <sam@kiwiweb.example>", subject="Fwd: Payment of NZ$90.00", body=body),
        "dkim=none; spf=pass smtp.mailfrom=kiwiweb.example",
    )
    reading = read_notice(raw, trust)
    assert outcome(reading) == "receipt" and reading.forwarded
    assert reading.receipt is not None
    assert reading.receipt.gateway == "stripe" and reading.receipt.payer_email == "ana@example.nz"
    assert str(reading.receipt.money) == "90.00 NZD"


def test_no_trusted_authserv_id_means_dkim_alone_decides(trust: SenderTrust) -> None:
    """Without a configured authserv-id, no A-R header is read; a verifying aligned signature suffices."""
    untrusting = replace(trust, trusted_authserv_id="")
    raw = with_server_verdict(sign(build_message()), "dkim=fail; dmarc=fail")
    assert outcome(read_notice(raw, untrusting)) == "receipt"


def test_staff_note_about_a_payment_without_a_notice_is_review(trust: SenderTrust) -> None:
    """Our own staff writing that a customer paid, with no gateway notice attached, goes to a person."""
    raw = with_server_verdict(
        build_message(
            from_="Sam <sam@kiwiweb.example>",
            subject="Jo says she paid",
            body="Jo Bloggs rang: she paid NZ$45.00 by bank transfer yesterday for INV-0042.\n",
        ),
        "spf=pass smtp.mailfrom=kiwiweb.example",
    )
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REVIEW and reading.forwarded
    assert "NZ$45.00" in reading.reason


def test_staff_chatter_is_ignored(trust: SenderTrust) -> None:
    """Our own staff mail that speaks of no payment is ignored."""
    raw = with_server_verdict(
        build_message(from_="Sam <sam@kiwiweb.example>", subject="Lunch?", body="Pizza at 12?\n"),
        "spf=pass smtp.mailfrom=kiwiweb.example",
    )
    assert read_notice(raw, trust).verdict is DecisionKind.IGNORE


def test_customer_remittance_mail_is_review(trust: SenderTrust) -> None:
    """A customer writing that they paid proves nothing, but a person should see it."""
    raw = build_message(
        from_="Jo Bloggs <jo@example.nz>",
        subject="Remittance",
        body="Hi, we transferred NZ$45.00 today for INV-0042. Thanks, Jo\n",
    )
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REVIEW
    assert "proves nothing" in reading.reason


def test_genuine_notice_for_another_account_is_rejected(trust: SenderTrust) -> None:
    """A correctly signed PayPal notice addressed to someone else's account is passed-on mail, not our payment."""
    raw = sign(build_message(to="Scammer <scam@example.com>"))
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "not to our receiving address" in reading.reason


def test_rewriting_the_signed_to_header_breaks_the_signature(trust: SenderTrust) -> None:
    """Putting our address into a signed To of someone else's notice breaks DKIM: still rejected."""
    raw = sign(build_message(to="scam@example.com")).replace(b"To: scam@example.com", b"To: accounts@kiwiweb.example")
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT
