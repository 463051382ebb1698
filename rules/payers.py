"""Who paid: payer names as banks and gateways write them (companies, people, initials, joint accounts such as
`J & K SMITH`, surname-first `MURPHY S`, trading names, family trusts and holding companies paying on a customer's
behalf) and payer e-mails, matched to the reseller's contacts through an index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from rules.model import Contact
from rules.prefixes import PrefixIndex
from rules.references import Patterns, plain, squash


class PayerLevel(IntEnum):
    """How firmly a payer name points at a contact; higher is firmer."""

    SURNAME = 1  # only a family name in common: a hint for suggestions
    # A family trust or holding company bearing the customer's family or business name (SMITH FAMILY TRUST, ACME
    # HOLDINGS LTD for Acme Plumbing): it pays for whichever of its family's or group's businesses it likes, so it is
    # suggested with the reason said, never acted on.
    RELATED = 2
    INITIALS = 3  # initial(s) and family name of the contact person (E MURPHY, J & K SMITH)
    NAME = 4  # the contact's company name, or the contact person's full name
    EMAIL = 5  # the contact's e-mail address


@dataclass(frozen=True, kw_only=True, slots=True)
class PayerMatch:
    contact_id: str
    level: PayerLevel
    how: str  # e.g. "payer name 'E MURPHY' = initial and surname of Emma Murphy"
    on_behalf: str = ""  # "family trust of 'SMITH'", "holding company of 'ACME'": paying on the customer's behalf


class _Note(Protocol):
    def __call__(self, ids: Iterable[str], level: PayerLevel, how: str, on_behalf: str = "") -> None: ...


TRUST = "family trust"
HOLDING = "holding company"

_WORD = re.compile(r"[a-z0-9&]+")

# Bank payee fields are cut at about 20 characters; a company name this long that starts the same is a match.
MIN_TRUNCATED_NAME = 12
# More contacts than this sharing a surname make the surname no hint at all.
MAX_NAMESAKES = 8
# A family name cut short by the bank's payee field keeps at least this many letters to be worth a hint.
MIN_CUT_SURNAME = 3


def name_words(text: str, patterns: Patterns) -> list[str]:
    """Lower-case words of a name without titles; apostrophes and hyphens joined ("O'Connor" -> "oconnor")."""
    return list(patterns.remembered("name_words", text, lambda: _name_words(text, patterns)))


def _name_words(text: str, patterns: Patterns) -> tuple[str, ...]:
    cleaned = plain(text).replace("'", "").replace("’", "").replace("-", "").replace("+", " & ")
    words = ["&" if w == "and" else w for w in _WORD.findall(cleaned.replace("&", " & "))]
    return tuple(w for w in words if w not in patterns.titles)


def company_key(text: str, patterns: Patterns) -> str:
    """A company name compared without its legal ending: 'TUHOE DENTAL LTD' and 'Tuhoe Dental Limited' agree."""
    return patterns.remembered("company_key", text, lambda: _company_key(text, patterns))


def _company_key(text: str, patterns: Patterns) -> str:
    words = [w for w in name_words(text, patterns) if w != "&"]
    while len(words) > 1 and words[-1] in patterns.company_suffixes:
        words.pop()
    while len(words) > 1 and words[0] == "the":
        words.pop(0)
    return "".join(words)


_LINK_SEPARATORS = re.compile(r"[^\w]+")


def link_keys(payer_name: str, payer_email: str) -> tuple[str, ...]:
    """The keys under which a person linked a payer to a contact (`payer_links.payer_key`): `email:<address>`
    and `name:<case, punctuation and spacing removed>`."""
    keys = []
    if payer_email.strip():
        keys.append(f"email:{payer_email.strip().casefold()}")
    name = " ".join(_LINK_SEPARATORS.sub(" ", payer_name.casefold()).split())
    if name:
        keys.append(f"name:{name}")
    return tuple(k[:255] for k in keys)


def trading_names(payer_name: str, patterns: Patterns) -> list[str]:
    """A payer's names: "M NGATA T/A KAURI CAFE" is both M Ngata and Kauri Cafe; any other name is itself."""
    name = " ".join(payer_name.split())
    if not name:
        return []
    lowered = name.lower()
    for marker in patterns.trading_as:
        at = lowered.find(f" {marker} ")
        if at > 0:
            return [name[:at], *trading_names(name[at + len(marker) + 2 :], patterns)]
    return [name]


@dataclass(frozen=True, kw_only=True, slots=True)
class PayerForm:
    """A payer that pays on someone's behalf, and the name its own words leave: "THE SMITH FAMILY TRUST" is a family
    trust of SMITH; "ACME HOLDINGS LTD" a holding company of ACME."""

    kind: str  # TRUST or HOLDING
    name: str  # the name left, in the payer's own words: "J & K SMITH"
    words: tuple[str, ...]  # its name words ("j", "&", "k", "smith")
    # The name ends the payee with no trust word after it ("TRUSTEES OF THE SMIT"): the bank may have cut it short.
    may_be_cut: bool = False


def payer_form(payer_name: str, patterns: Patterns) -> PayerForm | None:
    """The family trust or holding company a payer name is, or None for any other name. Its own words are taken off
    at the end of the name (a trust's also at the start: "TRUSTEES OF THE SMITH FAMILY TRUST"), including the start
    of one where the bank cut the payee short ("SMITH FAMILY T"); a name that merely contains such a word elsewhere
    ("TRUST BANK", "Trust Electrical Ltd") is no such form."""
    return patterns.remembered("payer_form", payer_name, lambda: _payer_form(payer_name, patterns))


def _form_words(patterns: Patterns) -> tuple[frozenset[str], frozenset[str]]:
    """Every trust, family and holding word, and every start of one long enough to end a name cut short."""
    return patterns.remembered("form_words", None, lambda: _all_form_words(patterns))


def _all_form_words(patterns: Patterns) -> tuple[frozenset[str], frozenset[str]]:
    words = patterns.trust_words | patterns.family_words | patterns.holding_words
    cut = frozenset(w[:n] for w in words for n in range(patterns.min_cut_word, len(w)))
    return words, cut


def _cut_from(word: str, whole: Iterable[str], shortest: int) -> bool:
    """`word` is the start of one of `whole`, cut short (at least `shortest` letters)."""
    return len(word) >= shortest and any(len(w) > len(word) and w.startswith(word) for w in whole)


# Legal endings long enough to be recognised cut short ("LIMI", "LT"); "co" and "nz" are whole or nothing.
_legal = ("limited", "ltd", "llc", "inc", "pty", "company")


def without_payers_on_behalf(text: str, payer_name: str, patterns: Patterns) -> str:
    """`text` without the payer's name where the payer is a family trust or holding company: "WHITLOCK" in "PAYMENT
    FROM WHITLOCK FAMILY TRUST" is the family's name, not a domain written out, so it never picks an order."""
    for spelled in patterns.remembered("on_behalf_names", payer_name, lambda: _on_behalf_names(payer_name, patterns)):
        text = spelled.sub(" ", text)
    return text


def _on_behalf_names(payer_name: str, patterns: Patterns) -> tuple[re.Pattern[str], ...]:
    """The payer's names that are a family trust's or holding company's, as patterns that find them in text."""
    return tuple(
        re.compile(r"\s+".join(re.escape(word) for word in name.split()), re.IGNORECASE)
        for name in trading_names(payer_name, patterns)
        if payer_form(name, patterns) is not None
    )


def _payer_form(payer_name: str, patterns: Patterns) -> PayerForm | None:
    words = name_words(payer_name, patterns)
    if len(words) < 2:
        return None
    form_words, cut_words = _form_words(patterns)
    if words[-1] not in cut_words and not any(w in form_words for w in words):
        return None  # most names: nothing of a trust's or holding company's in them
    kind = ""
    # Legal endings after a holding or trust word, whole or cut ("ACME HOLDINGS NZ LTD", "ACME HOLDINGS LIMI").
    end = len(words)
    while end > 2 and (words[end - 1] in patterns.company_suffixes or _cut_from(words[end - 1], _legal, 2)):
        end -= 1
    if end < len(words) and (words[end - 1] in patterns.holding_words or words[end - 1] in patterns.trust_words):
        words = words[:end]
    # The bank's field cut the last word short: any start of a trust word after a family word ("SMITH FAMILY T"),
    # a longer start of any of these words anywhere ("ACME HOLDIN", "J SMITH TRUS").
    last, before = words[-1], words[-2]
    after_family = before in patterns.family_words and _cut_from(last, patterns.trust_words, 1)
    if after_family or _cut_from(last, patterns.trust_words | patterns.family_words, patterns.min_cut_word):
        words, kind = words[:-1], TRUST
    elif _cut_from(last, patterns.holding_words, patterns.min_cut_word):
        words, kind = words[:-1], HOLDING
    # The form's own words at the end: "... FAMILY TRUST", "... TRUSTEE(S)", "... HOLDINGS".
    while len(words) > 1:
        last = words[-1]
        if last in patterns.trust_words:
            kind = TRUST
        elif last == "s" and words[-2] in patterns.trust_words:
            pass  # the "(S)" of "TRUSTEE(S)"
        elif last in patterns.family_words:
            kind = kind or TRUST
        elif last in patterns.holding_words and kind != TRUST:
            kind = HOLDING
        else:
            break
        words = words[:-1]
    # A trust's words before the family's name: "TRUSTEES OF THE SMITH FAMILY TRUST".
    while words and words[0] == "the":
        words = words[1:]
    ends_in_name = not kind
    text = " ".join(words)
    for lead in sorted(patterns.trust_leads, key=len, reverse=True):  # "trustees of" before "trustees"
        if text.startswith(lead + " ") and kind != HOLDING:
            words, kind = words[len(lead.split()) :], TRUST
            break
    while words and words[0] in ("the", "of"):
        words = words[1:]
    if not kind or not any(len(w) > 1 and w != "&" and w not in form_words for w in words):
        return None  # "FAMILY TRUST" alone, "THE TRUST": no family named
    return PayerForm(kind=kind, name=_shown(payer_name, words, patterns), words=tuple(words), may_be_cut=ends_in_name)


def _shown(payer_name: str, words: list[str], patterns: Patterns) -> str:
    """The payer's own spelling of the words left: "J & K SMITH" of "J & K SMITH FAMILY TRUST"."""
    original = payer_name.split()
    for start in range(len(original)):
        for end in range(len(original), start, -1):
            piece = " ".join(original[start:end])
            if list(_name_words(piece, patterns)) == words:
                return piece
    return " ".join(words).upper()


_VOWELS = frozenset("aeiouy")


class ContactIndex:
    """Contacts by e-mail, company name, person name and family name, so a payer is looked up, not searched.
    `links` are payers a person already tied to a contact while resolving a review item."""

    def __init__(self, contacts: Iterable[Contact], patterns: Patterns, links: Mapping[str, str] | None = None) -> None:
        self.patterns = patterns
        self.links: dict[str, str] = dict(links or {})
        self.contacts: dict[str, Contact] = {}
        self.by_email: dict[str, set[str]] = {}
        self.by_company: dict[str, set[str]] = {}
        self.by_company_word: dict[str, set[str]] = {}  # first word of a company's name: "acme" of Acme Plumbing
        self.by_person: dict[tuple[str, str], set[str]] = {}
        self.by_surname: dict[str, set[str]] = {}
        self.by_initial: dict[tuple[str, str], set[str]] = {}  # (first initial, surname)
        self._companies = PrefixIndex()
        self._surnames = PrefixIndex()
        for c in contacts:
            self.add(c)

    def add(self, c: Contact) -> None:
        if c.contact_id in self.contacts:
            return
        self.contacts[c.contact_id] = c
        if c.email:
            self.by_email.setdefault(c.email.strip().lower(), set()).add(c.contact_id)
        # A contact named "Halloran Family Trust t/a Zephyr Kayak Hire" is known by its whole name and by each
        # name it trades under: the bank line shows whichever one the payer's account holds.
        for name in dict.fromkeys([c.name, *trading_names(c.name, self.patterns)]):
            key = company_key(name, self.patterns)
            if key:
                if key not in self.by_company:
                    self._companies.add(key)
                self.by_company.setdefault(key, set()).add(c.contact_id)
        people: set[tuple[str, str]] = set()
        first = squash(c.first_name)
        last = squash(c.last_name)
        if first and last:
            people.add((first, last))
        words = [w for w in name_words(c.name, self.patterns) if w != "&"]
        if not people and 2 <= len(words) <= 3 and not set(words) & self.patterns.company_suffixes:
            people.add((words[0], words[-1]))  # a contact that is a person: "Mere Chen"
        for person in people:
            self.by_person.setdefault(person, set()).add(c.contact_id)
            if person[1] not in self.by_surname:
                self._surnames.add(person[1])
            self.by_surname.setdefault(person[1], set()).add(c.contact_id)
            self.by_initial.setdefault((person[0][:1], person[1]), set()).add(c.contact_id)
        business = _business_words(words, self.patterns)
        if len(business) >= 2 and len(business[0]) >= 3 and (business[0], business[-1]) not in people:
            self.by_company_word.setdefault(business[0], set()).add(c.contact_id)

    def _describe(self, contact_id: str) -> str:
        return self.contacts[contact_id].name

    def match(self, payer_name: str, payer_email: str = "") -> list[PayerMatch]:
        """Every contact the payer could be, each at the firmest level found, firmest first."""
        found: dict[str, PayerMatch] = {}

        def note(ids: Iterable[str], level: PayerLevel, how: str, on_behalf: str = "") -> None:
            for cid in ids:
                known = found.get(cid)
                if known is None or known.level < level:
                    found[cid] = PayerMatch(
                        contact_id=cid, level=level, how=f"{how} {self._describe(cid)}", on_behalf=on_behalf
                    )

        for key in link_keys(payer_name, payer_email) if self.links else ():
            linked = self.links.get(key)
            if linked in self.contacts:
                level = PayerLevel.EMAIL if key.startswith("email:") else PayerLevel.NAME
                note([linked], level, "a person linked this payer to")
        email = payer_email.strip().lower()
        if email:
            note(self.by_email.get(email, ()), PayerLevel.EMAIL, f"payer e-mail {email} is that of")
        for name in trading_names(payer_name, self.patterns):
            self._match_name(name, note)
            self._match_on_behalf(name, note)
        return sorted(found.values(), key=lambda m: (-m.level, m.contact_id))

    def _match_name(self, payer_name: str, note: _Note) -> None:
        words = name_words(payer_name, self.patterns)
        shown = f"'{payer_name.strip()}'"
        self._match_company(company_key(payer_name, self.patterns), shown, note)
        plain = [w for w in words if w != "&"]
        if plain and plain[-1] in self.patterns.company_suffixes:
            return  # a company: its name is the only thing to compare, and that was done above
        self._match_person(words, shown, note)

    def _match_company(self, key: str, shown: str, note: _Note) -> None:
        if key in self.by_company:
            note(self.by_company[key], PayerLevel.NAME, f"payer {shown} is the name of")
            if len(key) >= MIN_TRUNCATED_NAME:
                # "NAPIER CLEANING" is Napier Cleaning's name, and may be Napier Cleaning Services' written short:
                # worth suggesting, too weak to stand against the exact name.
                for company in self._companies.some_with_prefix(key, MAX_NAMESAKES + 1)[1:]:
                    note(self.by_company[company], PayerLevel.SURNAME, f"payer {shown} starts the name of")
        elif len(key) >= MIN_TRUNCATED_NAME:
            # A name cut short by the bank's field ("NAPIER CLEANI") is the start of every name it starts: of
            # "Napier Cleaning" and of "Napier Cleaning Services" alike, so it fits each of them.
            for company in self._companies.some_with_prefix(key, MAX_NAMESAKES):
                note(self.by_company[company], PayerLevel.NAME, f"payer {shown} is the start of the name of")

    def _match_person(self, words: Sequence[str], shown: str, note: _Note) -> None:
        plain = [w for w in words if w != "&"]
        long_words = [w for w in plain if len(w) > 1]
        initials = {w for w in plain if len(w) == 1}
        # Full person names: first and last word either way round; joint "JOHN & KATE SMITH".
        if len(long_words) >= 2:
            pairs = {(long_words[0], long_words[-1]), (long_words[-1], long_words[0])}
            if "&" in words:
                pairs |= {(given, long_words[-1]) for given in long_words[:-1]}
                pairs |= {(given, long_words[0]) for given in long_words[1:]}
            for pair in pairs:
                note(self.by_person.get(pair, ()), PayerLevel.NAME, f"payer {shown} is the person of")
        # Initials with a family name: "E MURPHY", "MURPHY S", "J & K SMITH".
        if initials and len(long_words) == 1:
            surname = long_words[0]
            ids = set().union(*(self.by_initial.get((i, surname), set()) for i in initials))
            note(ids, PayerLevel.INITIALS, f"payer {shown} has the initial and surname of")
        for w in long_words:
            # A common surname alone says little; only a handful of namesakes are worth suggesting.
            namesakes = self.by_surname.get(w, ())
            if len(namesakes) <= MAX_NAMESAKES:
                note(namesakes, PayerLevel.SURNAME, f"payer {shown} shares a surname with")

    def _match_on_behalf(self, payer_name: str, note: _Note) -> None:
        """A family trust or holding company paying for a customer, read for the name its own words leave.

        A trust is the family, not one person: initials with the family name ("J & K SMITH FAMILY TRUST") or a
        full name keep the strength they have on their own, as "J & K SMITH" would; the family name alone
        ("SMITH FAMILY TRUST") is a hint. A holding company owns businesses and pays for any of them: whatever its
        name shares with a customer ("ACME HOLDINGS LTD" and Acme Plumbing Ltd, "SMITH HOLDINGS" and a contact
        person Smith, even a customer's whole name) is a hint. Hints are suggested with the reason, never acted on.
        """
        form = payer_form(payer_name, self.patterns)
        if form is None:
            return
        shown = f"'{payer_name.strip()}', a {form.kind} of '{form.name}',"
        behalf = f"{form.kind} of '{form.name}'"

        def as_hint(ids: Iterable[str], level: PayerLevel, how: str, on_behalf: str = "") -> None:
            note(ids, PayerLevel.RELATED, how, behalf)

        def as_family(ids: Iterable[str], level: PayerLevel, how: str, on_behalf: str = "") -> None:
            note(ids, PayerLevel.RELATED if level < PayerLevel.INITIALS else level, how, behalf)

        words = self._glued_initials(form.words)
        self._match_company("".join(w for w in _business_words(list(words), self.patterns)), shown, as_hint)
        self._match_person(words, shown, as_family if form.kind == TRUST else as_hint)
        long_words = [w for w in words if len(w) > 1 and w != "&"]
        if len(long_words) == 1:
            sharing = self.by_company_word.get(long_words[0], ())
            if len(sharing) <= MAX_NAMESAKES:
                note(sharing, PayerLevel.RELATED, f"payer {shown} begins the name of", behalf)
        if form.may_be_cut and len(words) == 1 and len(words[0]) >= MIN_CUT_SURNAME and words[0] not in self.by_surname:
            # "TRUSTEES OF THE SMITH FAMILY TRUST" cut at 20 characters is "TRUSTEES OF THE SMIT": every family whose
            # name it starts, when they are few.
            surnames = self._surnames.some_with_prefix(words[0], MAX_NAMESAKES + 1)
            families = set().union(*(self.by_surname[name] for name in surnames))
            if len(families) <= MAX_NAMESAKES:
                note(families, PayerLevel.RELATED, f"payer {shown} cut short, starts the surname of", behalf)

    def _glued_initials(self, words: Sequence[str]) -> tuple[str, ...]:
        """A trust's initials written together ("JK SMITH TRUST"): a short word of consonants beside the family name
        that is no one's first name with it is read as initials, "J K SMITH". A word with a vowel ("MAX", "JO") may be
        a first name, so it is never taken apart into initials that could fit someone else."""
        plain = [w for w in words if w != "&"]
        if len(plain) != 2 or "&" in words:
            return tuple(words)
        for at, other in ((0, 1), (1, 0)):
            short, surname = plain[at], plain[other]
            if (
                2 <= len(short) <= 3
                and short.isalpha()
                and not set(short) & _VOWELS
                and len(surname) > 3
                and (short, surname) not in self.by_person
            ):
                letters = list(short)
                return tuple([*letters, surname] if at == 0 else [surname, *letters])
        return tuple(words)


def _business_words(words: list[str], patterns: Patterns) -> list[str]:
    """A company name's words without its legal ending or a leading "the": "The Acme Plumbing Co" -> acme plumbing."""
    end = len(words)
    while end > 1 and words[end - 1] in patterns.company_suffixes:
        end -= 1
    start = 0
    while start < end - 1 and words[start] == "the":
        start += 1
    return [w for w in words[start:end] if w != "&"]
