"""Domain names as people type them and as registrars and Xero take them: checked, and converted to the ASCII
(IDNA, `xn--`) form that is stored and sent, with the Unicode form kept for showing.

IDNA 2008 with the UTS #46 mapping (the `idna` package, as browsers and registries do): `München.de` becomes
`xn--mnchen-3ya.de`; a space, an underscore, a label over 63 characters, a name over 253, or a hyphen at either end
of a label is refused (RFC 1035 section 2.3.1, RFC 5891).
"""

from __future__ import annotations

from dataclasses import dataclass

import idna

MAX_NAME = 253
MAX_LABEL = 63


class BadDomainName(ValueError):
    """The text cannot be a registrable domain name; the message says why, for the person who typed it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DomainName:
    ascii: str  # the IDNA form: stored, and sent to Xero and the registrar
    unicode: str  # the form people read

    @property
    def suffix(self) -> str:
        return self.ascii.split(".", 1)[1]

    def shown(self) -> str:
        """The Unicode form, with the ASCII one beside it when they differ."""
        return self.ascii if self.unicode == self.ascii else f"{self.unicode} ({self.ascii})"


def parse_domain_name(text: str) -> DomainName:
    """A registrable name: at least two labels, each valid, with an alphabetic ending."""
    typed = text.strip()
    name = typed[:-1] if typed.endswith(".") else typed
    if not name:
        raise BadDomainName("a domain name is needed, e.g. example.co.nz")
    if any(ch.isspace() for ch in name):
        raise BadDomainName(f"{typed!r} is not a domain name: it contains a space")
    if "." not in name:
        raise BadDomainName(f"{typed!r} is not a domain name: it needs an ending, e.g. {name}.co.nz")
    try:
        ascii_name = idna.encode(name, uts46=True, std3_rules=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise BadDomainName(f"{_shorten(typed)} is not a domain name: {_reason(name, exc)}") from None
    if len(ascii_name) > MAX_NAME:  # idna checks this too; kept so the limit is stated here
        raise BadDomainName(f"{_shorten(typed)} is not a domain name: longer than {MAX_NAME} characters")
    ending = ascii_name.rsplit(".", 1)[1]
    if not (ending.isalpha() or ending.startswith("xn--")):
        raise BadDomainName(f"{typed!r} is not a domain name: its ending .{ending} is not a top-level domain")
    return DomainName(ascii=ascii_name, unicode=idna.decode(ascii_name))


def _reason(name: str, exc: idna.IDNAError) -> str:
    labels = name.split(".")
    if any(not label for label in labels):
        return "it has an empty label (two dots together, or a dot at the start)"
    if any(len(label) > MAX_LABEL for label in labels) or "label too long" in str(exc).lower():
        return f"a label is longer than {MAX_LABEL} characters"
    if "too long" in str(exc).lower():
        return f"longer than {MAX_NAME} characters"
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return "a label starts or ends with a hyphen"
    bad = [ch for ch in name if not (ch.isalnum() or ch in ".-")]
    if bad:
        return f"only letters, digits and hyphens may be used, not {bad[0]!r}"
    return str(exc)


def _shorten(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:40] + "...") + f" ({len(text)} characters)"
