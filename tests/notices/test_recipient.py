"""Finding 1 of issue 11: a notice counts as ours only when a To or Cc that the aligned DKIM signature covers names
one of our exact receiving addresses. Unsigned headers, a shared domain, or an address hidden in a display name
prove nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from config.settings import load_settings
from config.sources import ConfigError
from integrations.notices import SenderTrust, read_notice, trust_from_context, trust_from_settings, zone_lookup
from rules.model import DecisionKind
from tests.notices.support import build_message, load_context, outcome, sign

SIGNED_WITHOUT_RECIPIENTS = (b"from", b"subject", b"date", b"message-id")


def test_exact_receiving_address_in_the_signed_to_is_ours(trust: SenderTrust) -> None:
    raw = sign(build_message(to="Accounts <ACCOUNTS@KiwiWeb.Example>"))
    assert outcome(read_notice(raw, trust)) == "receipt"


def test_unsigned_to_naming_us_proves_nothing(trust: SenderTrust) -> None:
    """The signature leaves To out: whoever passed the mail on could have written our address there."""
    raw = sign(build_message(), headers=SIGNED_WITHOUT_RECIPIENTS)
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "names no recipient its signature covers" in reading.reason


def test_cc_added_after_signing_does_not_make_it_ours(trust: SenderTrust) -> None:
    """Signed To is the attacker's own address; a Cc to us added on the way is not covered by the signature."""
    signed = sign(build_message(to="Payee <payee@example.com>"))
    raw = b"Cc: accounts@kiwiweb.example\n" + signed
    reading = read_notice(raw, trust)
    assert reading.verdict is DecisionKind.REJECT
    assert "payee@example.com" in reading.reason and "accounts@kiwiweb.example" not in reading.reason


def test_only_the_last_cc_fields_are_covered(trust: SenderTrust) -> None:
    """h= names Cc once: it covers the bottom Cc only, so a Cc field inserted above it counts for nothing."""
    message = build_message(to="Payee <payee@example.com>", extra_headers="Cc: other@example.com\n")
    signed = sign(message, headers=(b"from", b"to", b"cc", b"subject", b"date", b"message-id"))
    raw = b"Cc: accounts@kiwiweb.example\n" + signed
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT


def test_signed_cc_naming_us_is_ours(trust: SenderTrust) -> None:
    message = build_message(to="Payee <payee@example.com>", extra_headers="Cc: Accounts <accounts@kiwiweb.example>\n")
    raw = sign(message, headers=(b"from", b"to", b"cc", b"subject", b"date", b"message-id"))
    assert outcome(read_notice(raw, trust)) == "receipt"


def test_another_address_at_our_domain_is_not_ours(trust: SenderTrust) -> None:
    """A domain alone says nothing: the notice must be to one of our receiving addresses."""
    raw = sign(build_message(to="Sam <sam@kiwiweb.example>"))
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT


def test_another_mailbox_at_a_public_provider_is_not_ours() -> None:
    """Our inbox is at gmail.com: a notice for anyone else at gmail.com is someone else's payment."""
    context = {**load_context(), "inbox": "kiwiweb.accounts@gmail.com"}
    trust = trust_from_context(context)
    assert trust.receiving_addresses == ("kiwiweb.accounts@gmail.com",)
    assert outcome(read_notice(sign(build_message(to="kiwiweb.accounts@gmail.com")), trust)) == "receipt"
    reading = read_notice(sign(build_message(to="Scammer <scammer@gmail.com>")), trust)
    assert reading.verdict is DecisionKind.REJECT


def test_address_hidden_in_an_encoded_display_name_is_not_ours(trust: SenderTrust) -> None:
    """An RFC 2047 display name that decodes to our address is a name, not an address."""
    raw = sign(build_message(to="=?utf-8?q?accounts@kiwiweb.example?= <payee@example.com>"))
    assert read_notice(raw, trust).verdict is DecisionKind.REJECT


def test_configured_receiving_addresses_replace_the_inbox_address() -> None:
    context = {**load_context(), "receiving_addresses": ["PayPal-Notices@KiwiWeb.example"]}
    trust = trust_from_context(context)
    assert trust.receiving_addresses == ("paypal-notices@kiwiweb.example",)
    assert read_notice(sign(build_message()), trust).verdict is DecisionKind.REJECT
    assert outcome(read_notice(sign(build_message(to="paypal-notices@kiwiweb.example")), trust)) == "receipt"


def test_no_receiving_address_configured_means_a_person_decides(trust: SenderTrust) -> None:
    reading = read_notice(sign(build_message()), replace(trust, receiving_addresses=()))
    assert reading.verdict is DecisionKind.REVIEW
    assert "receiving_addresses" in reading.reason


def test_settings_take_receiving_addresses_or_the_inbox_username(tmp_path: Path) -> None:
    path = tmp_path / "worker.toml"
    path.write_text(
        '[inbox]\nkind = "imap"\nhost = "imap.example.nz"\nusername = "Accounts@Example.nz"\n', encoding="utf-8"
    )
    settings = load_settings(path, {"RW_INBOX_PASSWORD": "x"})
    lookup = zone_lookup({})
    trust = trust_from_settings(settings.matching, inbox_address=settings.inbox.username, dns_txt=lookup)
    assert trust.receiving_addresses == ("accounts@example.nz",)
    configured = load_settings(path, {"RW_INBOX_PASSWORD": "x", "RW_MATCHING_RECEIVING_ADDRESSES": "pay@example.nz"})
    trust = trust_from_settings(configured.matching, inbox_address=configured.inbox.username, dns_txt=lookup)
    assert trust.receiving_addresses == ("pay@example.nz",)


def test_a_domain_is_refused_as_a_receiving_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="RW_MATCHING_RECEIVING_ADDRESSES"):
        load_settings(None, {"RW_MATCHING_RECEIVING_ADDRESSES": "example.nz"}, base_dir=tmp_path)
