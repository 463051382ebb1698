"""Notice formats are data: the built-in files load, a reseller's directory adds or replaces a gateway, and a broken
file is refused with the file and key named. Trust settings are built from configuration or a corpus."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from config.matching import MatchingSettings
from integrations.notices import (
    FormatError,
    SenderTrust,
    builtin_formats,
    load_formats,
    read_notice,
    trust_from_context,
    trust_from_settings,
)
from rules.model import DecisionKind
from tests.notices.support import build_message, load_context, outcome, sign

SQUARE = """
gateway = "square"
brands = ["square"]
sentences = ['''(?P<payer_name>[^\\n]{1,80}?) has paid invoice #(?P<invoice>\\d+) for (?P<amount>{money})''']
[payment]
subject = ['''\\binvoice\\s+paid\\b''']
[[not_payment]]
kind = "transfer"
reason = "a transfer to the bank"
subject = ['''\\btransfer\\b''']
[labels]
txn_id = ['''payment\\s+id''']
"""


def test_builtin_set_covers_the_four_gateways() -> None:
    """PayPal, Stripe, Windcave and Xero formats ship with the product."""
    assert set(builtin_formats().by_gateway) >= {"paypal", "stripe", "windcave", "xero"}


def test_extra_directory_adds_a_gateway(trust: SenderTrust, tmp_path: Path) -> None:
    """A reseller adds Square with one file and an allow-list entry; its notices are then read."""
    (tmp_path / "square.toml").write_text(SQUARE)
    formats = load_formats(tmp_path)
    assert "square" in formats.by_gateway and "paypal" in formats.by_gateway
    square_trust = SenderTrust(
        trusted_authserv_id=trust.trusted_authserv_id,
        payment_senders={**trust.payment_senders, "gmail.com": "square"},  # the test key signs for gmail.com
        own_domains=trust.own_domains,
        receiving_addresses=trust.receiving_addresses,
        dns_txt=trust.dns_txt,
    )
    raw = sign(
        build_message(
            from_="Square <messenger@gmail.com>",
            subject="Invoice paid",
            body="Jo Bloggs has paid invoice #202447 for NZ$45.00\nPayment ID: sq_0042abc\n",
        ),
        domain="gmail.com",
    )
    reading = read_notice(raw, square_trust, formats)
    assert outcome(reading) == "receipt", reading.reason
    assert reading.receipt is not None
    assert reading.receipt.gateway == "square" and reading.receipt.gateway_txn_id == "sq_0042abc"
    assert ("invoice", "202447") in reading.receipt.text


def test_extra_file_replaces_a_builtin_gateway(trust: SenderTrust, tmp_path: Path) -> None:
    """A file for an existing gateway replaces the built-in wording (a changed template needs no release)."""
    (tmp_path / "paypal.toml").write_text(
        'gateway = "paypal"\nbrands = ["paypal"]\n[payment]\nsubject = ["^Kia ora, you have been paid$"]\n'
        '[labels]\namount = ["utu"]\n'
    )
    formats = load_formats(tmp_path)
    raw = sign(build_message(subject="Kia ora, you have been paid", body="Utu: NZ$12.00\n"))
    reading = read_notice(raw, trust, formats)
    assert reading.receipt is not None and str(reading.receipt.money) == "12.00 NZD"
    # A wording the replaced format does not know goes to a person (issue 11: never silently filed).
    assert read_notice(sign(build_message()), trust, formats).verdict is DecisionKind.REVIEW


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('gateway = "Bad Name"\n', "gateway must be"),
        ('gateway = "x"\n[payment]\nsubject = ["(unclosed"]\n', "bad pattern"),
        ('gateway = "x"\n[labels]\namount = [1, 2]\n', "list of strings"),
        ('gateway = "x"\nnot_payment = "payout"\n', "array of tables"),
        ("gateway = \n", "x.toml"),
    ],
)
def test_broken_format_file_is_refused_with_its_name(tmp_path: Path, text: str, problem: str) -> None:
    """A bad regex, a wrong type or broken TOML is a FormatError naming the file and the key."""
    (tmp_path / "x.toml").write_text(text)
    with pytest.raises(FormatError) as error:
        load_formats(tmp_path)
    assert problem in str(error.value)
    assert "x.toml" in str(error.value)


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    """A configured directory that does not exist is a clear error, not silently the built-in set."""
    with pytest.raises(FormatError, match="does not exist"):
        load_formats(tmp_path / "nope")


def test_trust_from_a_corpus_context() -> None:
    """context.json gives authserv-id, senders, own domain (from the inbox), home currency and offline keys."""
    trust = trust_from_context(load_context())
    assert trust.trusted_authserv_id == "mx.kiwiweb.example"
    assert trust.payment_senders["post.xero.com"] == "xero"
    assert trust.own_domains == ("kiwiweb.example",)
    assert trust.default_currency == "NZD"
    assert trust.dns_txt("pp2026._domainkey.paypal.com.") is not None
    assert trust.dns_txt("nope._domainkey.paypal.com") is None


def test_trust_from_settings() -> None:
    """MatchingSettings give the allow-list and own domains; the inbox address fills in a missing own domain."""
    matching = MatchingSettings(
        trusted_authserv_id="mx.example.nz",
        payment_senders={"PayPal.com": "paypal"},
        own_domains=(),
        fee_tolerance=Decimal("0"),
    )
    trust = trust_from_settings(matching, inbox_address="accounts@Reseller.example.nz", dns_txt=lambda name: None)
    assert trust.payment_senders == {"paypal.com": "paypal"}
    assert trust.own_domains == ("reseller.example.nz",)
    assert trust.dns_txt("x") is None


def test_public_mail_inbox_is_no_own_domain() -> None:
    """An inbox at gmail.com does not make every gmail.com sender "our own staff"."""
    context = {**load_context(), "inbox": "kiwiweb.payments@gmail.com"}
    assert trust_from_context(context).own_domains == ()



MAORI = r"""
gateway = "paypal"
language = "mi"
markers = ["kua", "koe", "utu"]
sentences = ['''\b(?P<payer>[^\n]{1,80}?)\s+kua\s+tuku\s+(?P<amount>{money})\s+ki\s+a\s+koe''']
[payment]
subject = ['''\bkua\s+whiwhi\s+koe\s+i\s+te\s+utu''']
[[not_payment]]
kind = "refund"
subject = ['''\butu\s+whakahoki''']
"""


def test_a_language_is_a_file(trust: SenderTrust, tmp_path: Path) -> None:
    """A reseller adds a language to PayPal with one file: its wording is read for notices written in it."""
    (tmp_path / "paypal.mi.toml").write_text(MAORI)
    formats = load_formats(tmp_path)
    assert "mi" in formats.by_gateway["paypal"].languages
    body = "Kia ora!\n\nHemi Rewi kua tuku NZ$45.00 ki a koe\n\nTransaction ID: 7XK12345LM678901N\n"
    reading = read_notice(sign(build_message(subject="Kua whiwhi koe i te utu", body=body)), trust, formats)
    assert reading.receipt is not None and str(reading.receipt.money) == "45.00 NZD", reading.reason
    assert reading.receipt.payer_name == "Hemi Rewi"
    refund = sign(build_message(subject="Utu whakahoki", body="Kua tukua te utu whakahoki NZ$5.00.\n"))
    assert read_notice(refund, trust, formats).verdict is DecisionKind.IGNORE
    english = read_notice(sign(build_message()), trust, formats)  # English notices read as before
    assert english.receipt is not None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (MAORI.replace('markers = ["kua", "koe", "utu"]\n', ""), "needs markers"),
        (MAORI.replace("kua\\s+tuku", "kua(\\s+tuku"), "bad pattern"),
        (MAORI.replace('gateway = "paypal"', 'gateway = "nosuch"'), "no service file"),
    ],
)
def test_a_bad_language_file_stops_the_start(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "paypal.mi.toml").write_text(text)
    with pytest.raises(FormatError, match=problem):
        load_formats(tmp_path)
