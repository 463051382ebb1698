"""Typed input for orders and hosting: domain names in their IDNA form, e-mail, names, amounts and ContactIDs."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings
from worker.commands import order_input
from worker.commands.arguments import InputRefused
from worker.domain_names import BadDomainName, parse_domain_name


@pytest.mark.parametrize(
    ("typed", "ascii_form", "shown"),
    [
        ("example.co.nz", "example.co.nz", "example.co.nz"),
        ("EXAMPLE.Co.NZ.", "example.co.nz", "example.co.nz"),
        ("München.de", "xn--mnchen-3ya.de", "münchen.de (xn--mnchen-3ya.de)"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de", "münchen.de (xn--mnchen-3ya.de)"),
        ("straße.de", "xn--strae-oqa.de", "straße.de (xn--strae-oqa.de)"),  # IDNA 2008 keeps ß
    ],
)
def test_names_are_kept_in_idna_form_and_shown_in_unicode(typed: str, ascii_form: str, shown: str) -> None:
    name = parse_domain_name(typed)
    assert name.ascii == ascii_form and name.shown() == shown


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("bad domain.com", "contains a space"),
        ("-bad-.com", "starts or ends with a hyphen"),
        ("a" * 64 + ".com", "longer than 63"),
        (".".join(["a" * 60] * 5) + ".com", "longer than 253"),
        ("ex_ample.com", "not '_'"),
        ("a..nz", "empty label"),
        ("localhost", "needs an ending"),
        ("10.0.0.1", "not a top-level domain"),
        ("", "a domain name is needed"),
    ],
)
def test_names_that_cannot_be_registered_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(BadDomainName, match=reason):
        parse_domain_name(typed)


@pytest.mark.parametrize(
    ("typed", "refused"),
    [
        ("notanemail", "not an e-mail address"),
        ("a@", "not an e-mail address"),
        ("a b@kiwi.nz", "cannot have"),
        ("a@bad domain.nz", "contains a space"),
        ("x" * 65 + "@kiwi.nz", "longer than an e-mail address"),
    ],
)
def test_email_addresses_are_checked(typed: str, refused: str) -> None:
    with pytest.raises(InputRefused, match=refused):
        order_input.customer_email(typed)


def test_an_email_domain_is_sent_in_idna_form() -> None:
    assert order_input.customer_email(" Max@München.de ") == "Max@xn--mnchen-3ya.de"


@pytest.mark.parametrize(
    ("typed", "result"),
    [("35", "35.00"), ("35.5", "35.50"), ("1,250.00", "1250.00"), ("35.001", None), ("0", None), ("-5", None),
     ("NaN", None), ("abc", None), ("1e9", None)],
)
def test_amounts_are_never_rounded_silently(typed: str, result: str | None) -> None:
    if result is None:
        with pytest.raises(InputRefused):
            order_input.typed_amount(typed, "--price")
    else:
        assert order_input.typed_amount(typed, "--price") == Decimal(result)


def test_names_are_bounded_by_xero() -> None:
    assert order_input.customer_name("  Kiri   Te  Kanawa ") == "Kiri Te Kanawa"
    with pytest.raises(InputRefused, match="at most 255"):
        order_input.customer_name("N" * 256)
    with pytest.raises(InputRefused, match="empty"):
        order_input.customer_name("   ")


def test_contact_ids_are_guids_and_must_be_in_xero() -> None:
    from integrations.ports import ContactDraft
    from integrations.xero.fake import FakeAccounting

    with pytest.raises(InputRefused, match="not a Xero ContactID"):
        order_input.contact_id("nosuch")
    accounting = FakeAccounting()
    known = "8138a266-fb42-49b2-a104-014b7045753d"
    accounting.add_contact(known, ContactDraft(name="Kiri"))
    assert order_input.known_contact(accounting, known.upper()) == known
    with pytest.raises(InputRefused, match="no active contact"):
        order_input.known_contact(accounting, "0d7f3a0c-7a55-4d83-9d8c-3f1c2b0e9a11")


def test_an_ending_is_sold_when_either_price_table_has_it(settings: Settings) -> None:
    with pytest.raises(InputRefused, match="none configured"):
        order_input.domain_to_order(settings, "kiwi.nz")
    priced = replace(settings, registrar=replace(settings.registrar, register_prices={"co.nz": Decimal("18")}))
    assert order_input.domain_to_order(priced, "kiwi.co.nz").ascii == "kiwi.co.nz"
    with pytest.raises(InputRefused, match=r"\.nz domains are not sold here \(.*: \.co\.nz\)"):
        order_input.domain_to_order(priced, "kiwi.nz")


def test_orders_new_stores_and_sends_the_idna_form(engine: Engine, settings: Settings) -> None:
    from worker.commands.order_actions import orders_new
    from worker.store.tables import outbox

    settings = replace(settings, hosting=replace(settings.hosting, domain_rates={"de": Decimal("25.00")}))
    args = argparse.Namespace(
        domain="münchen.de", years=1, contact=None, email="max@münchen.de", name="Max", price=None
    )
    assert orders_new(engine, settings, args, lambda: datetime(2026, 3, 1, tzinfo=UTC)) == 0
    with engine.connect() as conn:
        row = conn.execute(select(outbox)).one()
    assert row.payload["domain"] == "xn--mnchen-3ya.de"
    assert row.payload["contact_email"] == "max@xn--mnchen-3ya.de"
    assert "münchen" not in row.idempotency_key
