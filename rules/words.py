"""Money, dates and order names as a reseller reads them ("NZ$27.00", "1 Nov", "renewal of example.nz").

Shared by the approval plan and the morning report, so both say the same thing the same way. Pure.
"""

from __future__ import annotations

from datetime import date

from rules.model import OrderKind
from rules.money import Money

# The usual way each currency is written in New Zealand and Australia; others are written "12.00 SEK".
SYMBOLS = {
    "NZD": "NZ$",
    "AUD": "A$",
    "USD": "US$",
    "CAD": "C$",
    "SGD": "S$",
    "HKD": "HK$",
    "FJD": "FJ$",
    "GBP": "£",
    "EUR": "€",
    "JPY": "¥",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def money_words(value: Money) -> str:
    """NZ$1,234.50; a negative amount as -NZ$5.00; an unknown currency as 12.00 SEK."""
    cents = value.cents()
    sign = "-" if cents < 0 else ""
    amount = f"{abs(cents):,}"
    symbol = SYMBOLS.get(value.currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {value.currency}"


def day_words(day: date, *, today: date | None = None) -> str:
    """1 Nov; with the year when it is not this year's (1 Nov 2025)."""
    text = f"{day.day} {MONTHS[day.month - 1]}"
    if today is not None and day.year != today.year:
        text += f" {day.year}"
    return text


def date_words(day: date) -> str:
    """25 Nov 2026: a day with its year, where no "today" says which year goes without saying."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def years_words(years: int) -> str:
    return "1 year" if years == 1 else f"{years} years"


def domain_words(domain: str) -> str:
    """A domain as people read it: each xn-- label of the stored (IDNA) form, which registrars are sent, in its
    Unicode form (RFC 3492 punycode): 'xn--mnchen-3ya.de' -> 'münchen.de'. A label that is not valid punycode is
    left as it is."""
    labels = []
    for label in domain.split("."):
        if label[:4].lower() == "xn--":
            try:
                labels.append(label[4:].encode("ascii").decode("punycode"))
                continue
            except (UnicodeError, ValueError):
                pass  # not valid punycode: shown as it is
        labels.append(label)
    return ".".join(labels)


def domain_named(domain: str) -> str:
    """A domain in a message to the reseller: its Unicode form, with the xn-- form the registrar's panel and the
    worker's commands also take beside it when they differ: 'münchen.de (xn--mnchen-3ya.de)'."""
    shown = domain_words(domain)
    return shown if shown == domain else f"{shown} ({domain})"


def order_words(kind: OrderKind | str, domain: str, plan: str = "", years: int = 1) -> str:
    """What an order is for: "renewal of example.nz", "registration of example.nz for 2 years",
    "hosting (Business plan) for example.nz", "site setup for example.nz"; a domain in its Unicode form."""
    kind = OrderKind(kind)
    name = domain_words(domain) or "a domain not named on the invoice"
    term = f" for {years_words(years)}" if years != 1 else ""
    if kind is OrderKind.DOMAIN_REGISTRATION:
        return f"registration of {name}{term}"
    if kind is OrderKind.DOMAIN_RENEWAL:
        return f"renewal of {name}{term}"
    plan_text = f" ({plan} plan)" if plan else ""
    if kind is OrderKind.HOSTING:
        return f"hosting{plan_text} for {name}" if domain else f"hosting{plan_text}"
    return f"site setup{plan_text} for {name}" if domain else f"site setup{plan_text}"


def joined(items: list[str] | tuple[str, ...], last: str = "and") -> str:
    """a; a and b; a, b and c."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
