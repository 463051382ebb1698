"""Who paid: payer names as banks and gateways write them (companies, people, initials, joint accounts such as
`J & K SMITH`, surname-first `MURPHY S`) and payer e-mails, matched to the reseller's contacts through an index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from rules.model import Contact
from rules.prefixes import PrefixIndex
from rules.references import Patterns, plain, squash


class PayerLevel(IntEnum):
    """How firmly a payer name points at a contact; higher is firmer."""

    SURNAME = 1  # only a family name in common: a hint for suggestions
    INITIALS = 2  # initial(s) and family name of the contact person (E MURPHY, J & K SMITH)
    NAME = 3  # the contact's company name, or the contact person's full name
    EMAIL = 4  # the contact's e-mail address


@dataclass(frozen=True, kw_only=True, slots=True)
class PayerMatch:
    contact_id: str
    level: PayerLevel
    how: str  # e.g. "payer name 'E MURPHY' = initial and surname of Emma Murphy"


_Note = Callable[[Iterable[str], PayerLevel, str], None]

_WORD = re.compile(r"[a-z0-9&]+")

# Bank payee fields are cut at about 20 characters; a company name this long that starts the same is a match.
MIN_TRUNCATED_NAME = 12
# More contacts than this sharing a surname make the surname no hint at all.
MAX_NAMESAKES = 8


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


class ContactIndex:
    """Contacts by e-mail, company name, person name and family name, so a payer is looked up, not searched.
    `links` are payers a person already tied to a contact while resolving a review item."""

    def __init__(self, contacts: Iterable[Contact], patterns: Patterns, links: Mapping[str, str] | None = None) -> None:
        self.patterns = patterns
        self.links: dict[str, str] = dict(links or {})
        self.contacts: dict[str, Contact] = {}
        self.by_email: dict[str, set[str]] = {}
        self.by_company: dict[str, set[str]] = {}
        self.by_person: dict[tuple[str, str], set[str]] = {}
        self.by_surname: dict[str, set[str]] = {}
        self.by_initial: dict[tuple[str, str], set[str]] = {}  # (first initial, surname)
        self._companies = PrefixIndex()
        for c in contacts:
            self.add(c)

    def add(self, c: Contact) -> None:
        if c.contact_id in self.contacts:
            return
        self.contacts[c.contact_id] = c
        if c.email:
            self.by_email.setdefault(c.email.strip().lower(), set()).add(c.contact_id)
        key = company_key(c.name, self.patterns)
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
            self.by_surname.setdefault(person[1], set()).add(c.contact_id)
            self.by_initial.setdefault((person[0][:1], person[1]), set()).add(c.contact_id)

    def _describe(self, contact_id: str) -> str:
        return self.contacts[contact_id].name

    def match(self, payer_name: str, payer_email: str = "") -> list[PayerMatch]:
        """Every contact the payer could be, each at the firmest level found, firmest first."""
        found: dict[str, PayerMatch] = {}

        def note(ids: Iterable[str], level: PayerLevel, how: str) -> None:
            for cid in ids:
                known = found.get(cid)
                if known is None or known.level < level:
                    found[cid] = PayerMatch(contact_id=cid, level=level, how=f"{how} {self._describe(cid)}")

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
        return sorted(found.values(), key=lambda m: (-m.level, m.contact_id))

    def _match_name(self, payer_name: str, note: _Note) -> None:
        words = name_words(payer_name, self.patterns)
        shown = payer_name.strip()
        key = company_key(payer_name, self.patterns)
        if key in self.by_company:
            note(self.by_company[key], PayerLevel.NAME, f"payer '{shown}' is the name of")
            if len(key) >= MIN_TRUNCATED_NAME:
                # "NAPIER CLEANING" is Napier Cleaning's name, and may be Napier Cleaning Services' written short:
                # worth suggesting, too weak to stand against the exact name.
                for company in self._companies.some_with_prefix(key, MAX_NAMESAKES + 1)[1:]:
                    note(self.by_company[company], PayerLevel.SURNAME, f"payer '{shown}' starts the name of")
        elif len(key) >= MIN_TRUNCATED_NAME:
            # A name cut short by the bank's field ("NAPIER CLEANI") is the start of every name it starts: of
            # "Napier Cleaning" and of "Napier Cleaning Services" alike, so it fits each of them.
            for company in self._companies.some_with_prefix(key, MAX_NAMESAKES):
                note(self.by_company[company], PayerLevel.NAME, f"payer '{shown}' is the start of the name of")
        plain = [w for w in words if w != "&"]
        if plain and plain[-1] in self.patterns.company_suffixes:
            return  # a company: its name is the only thing to compare, and that was done above
        long_words = [w for w in plain if len(w) > 1]
        initials = {w for w in plain if len(w) == 1}
        # Full person names: first and last word either way round; joint "JOHN & KATE SMITH".
        if len(long_words) >= 2:
            pairs = {(long_words[0], long_words[-1]), (long_words[-1], long_words[0])}
            if "&" in words:
                pairs |= {(given, long_words[-1]) for given in long_words[:-1]}
                pairs |= {(given, long_words[0]) for given in long_words[1:]}
            for pair in pairs:
                note(self.by_person.get(pair, ()), PayerLevel.NAME, f"payer '{shown}' is the person of")
        # Initials with a family name: "E MURPHY", "MURPHY S", "J & K SMITH".
        if initials and len(long_words) == 1:
            surname = long_words[0]
            ids = set().union(*(self.by_initial.get((i, surname), set()) for i in initials))
            note(ids, PayerLevel.INITIALS, f"payer '{shown}' has the initial and surname of")
        for w in long_words:
            # A common surname alone says little; only a handful of namesakes are worth suggesting.
            namesakes = self.by_surname.get(w, ())
            if len(namesakes) <= MAX_NAMESAKES:
                note(namesakes, PayerLevel.SURNAME, f"payer '{shown}' shares a surname with")
