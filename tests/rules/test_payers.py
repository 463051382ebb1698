"""Payer names as banks and gateways write them, matched to contacts at the right firmness."""

from __future__ import annotations

import pytest

from rules.model import Contact
from rules.payers import ContactIndex, PayerLevel, company_key
from rules.references import builtin_patterns

P = builtin_patterns()
CONTACTS = [
    Contact(
        contact_id="c-murphy", name="Emma Murphy", first_name="Emma", last_name="Murphy", email="emma.murphy@xtra.co.nz"
    ),
    Contact(contact_id="c-law", name="Wanaka Law Ltd", first_name="Liam", last_name="Tuhoe", email="liam@wl.nz"),
    Contact(contact_id="c-smith", name="Smith Joinery", first_name="Kate", last_name="Smith", email="k@sj.nz"),
    Contact(contact_id="c-dental", name="Tuhoe Dental Limited", first_name="Aria", last_name="Reid", email=""),
    Contact(contact_id="c-oconnor", name="Thames Dental Limited", first_name="Mere", last_name="O'Connor"),
    Contact(contact_id="c-photo", name="Thompson Photography Napier", first_name="Max", last_name="Thompson"),
]


@pytest.fixture(scope="module")
def index() -> ContactIndex:
    return ContactIndex(CONTACTS, P)


@pytest.mark.parametrize(
    ("payer", "email", "contact", "level"),
    [
        ("EMMA MURPHY", "", "c-murphy", PayerLevel.NAME),
        ("MURPHY EMMA", "", "c-murphy", PayerLevel.NAME),  # surname first
        ("E MURPHY", "", "c-murphy", PayerLevel.INITIALS),
        ("MURPHY E", "", "c-murphy", PayerLevel.INITIALS),
        ("Mrs E. Murphy", "", "c-murphy", PayerLevel.INITIALS),  # title and full stop
        ("", "Emma.Murphy@xtra.co.nz", "c-murphy", PayerLevel.EMAIL),
        ("TUHOE L", "", "c-law", PayerLevel.INITIALS),  # the contact person of a company
        ("J & K SMITH", "", "c-smith", PayerLevel.INITIALS),  # joint account
        ("J AND K SMITH", "", "c-smith", PayerLevel.INITIALS),
        ("JOHN & KATE SMITH", "", "c-smith", PayerLevel.NAME),
        ("TUHOE DENTAL LTD", "", "c-dental", PayerLevel.NAME),  # Ltd for Limited
        ("OCONNOR M", "", "c-oconnor", PayerLevel.INITIALS),  # apostrophe dropped by the bank
        ("THOMPSON PHOTOGRAPHY NAP", "", "c-photo", PayerLevel.NAME),  # cut short by the bank
        ("SMITH", "", "c-smith", PayerLevel.SURNAME),
        ("Ēmma Murphy", "", "c-murphy", PayerLevel.NAME),  # a macron the bank kept
    ],
)
def test_payer_forms(index: ContactIndex, payer: str, email: str, contact: str, level: PayerLevel) -> None:
    """Each written form finds its contact at the expected firmness, with a reason naming the contact."""
    found = {m.contact_id: m for m in index.match(payer, email)}
    assert contact in found
    assert found[contact].level == level
    assert CONTACTS[[c.contact_id for c in CONTACTS].index(contact)].name in found[contact].how


@pytest.mark.parametrize("payer", ["KELVIN BENNETT", "", "DONATION", "Z MURPHY", "A & B SMITH"])
def test_strangers_do_not_match_firmly(index: ContactIndex, payer: str) -> None:
    """A name that is not a customer's gives nothing firmer than a shared surname."""
    assert all(m.level <= PayerLevel.SURNAME for m in index.match(payer))


def test_company_names_are_not_people(index: ContactIndex) -> None:
    """'MARTIN LAW LIMITED' is a company name, never the person 'Martin Limited'."""
    idx = ContactIndex(
        [Contact(contact_id="y", name="Martin Yoga Limited", first_name="Sophie", last_name="Martin")], P
    )
    assert [m.level for m in idx.match("MARTIN LAW LIMITED")] in ([], [PayerLevel.SURNAME])


@pytest.mark.parametrize(
    ("a", "b"),
    [("Tuhoe Dental Ltd", "TUHOE DENTAL LIMITED"), ("The Bakery", "bakery"), ("O'Connor Brewery", "OCONNOR BREWERY")],
)
def test_company_key_ignores_legal_endings(a: str, b: str) -> None:
    """Legal endings, a leading 'The' and apostrophes never make two names differ."""
    assert company_key(a, P) == company_key(b, P)


def test_links_made_by_a_person_count_as_a_name() -> None:
    """A payer a bookkeeper tied to a contact while resolving a review matches that contact next time."""
    idx = ContactIndex(CONTACTS, P, {"name:colleen hughes": "c-law", "email:pay@corp.example": "c-smith"})
    assert [(m.contact_id, m.level) for m in idx.match("COLLEEN  HUGHES")][:1] == [("c-law", PayerLevel.NAME)]
    assert idx.match("", "Pay@Corp.example")[0].level is PayerLevel.EMAIL
    assert ContactIndex(CONTACTS, P, {"name:x": "gone"}).match("X") == []
