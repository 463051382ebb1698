"""A decision's reason as the reseller reads it. Reasons are recorded as the rules wrote them (the replay's decisions,
the logs, the store keep that text); wherever a person reads one (report, review pages, command line) it is shown
through `reason_words`: "invoice_reference: ... paid 27.00 NZD ... on 2026-11-16; claims to be paypal" reads
"invoice number in the reference: ... paid NZ$27.00 ... on 16 Nov; claims to be PayPal". Pure.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import InvalidOperation

from rules.money import Money
from rules.services import SERVICE_NAMES, company_name
from rules.words import MONTH_NAMES, date_words, day_words, money_words

# The rule (matching strategy or policy step) that decided, in words. A rule not named here reads as its words
# without underscores ("repeated_message" -> "repeated message").
RULE_WORDS = {
    "xero_invoice": "applied to the invoice in Xero",
    "invoice_reference": "invoice number in the reference",
    "domain_reference": "domain in the reference",
    "domain_word": "domain name in the payer's words",
    "payer_and_amount": "known payer and amount",
    "forwarded_notice": "notice forwarded by staff",
    "foreign_currency": "paid in another currency",
    "unmatched": "no matching order",
    "platform_notice": "notice sent through Xero",
    "repeated_transaction": "the same transaction again",
    "repeated_message": "the same message again",
    "own_payment": "the worker's own payment",
    "bank_line": "the payout's bank line",
    "service_record": "the service's own record",
    "window": "payments due in the payout's window",
    "accepted": "accepted by a person",
    "reviewer": "decided by a person",
    "reviewer_approval": "approved by a person",
    "unreadable": "could not be read",
}

# Text a payer or a sender wrote, quoted as the rules quote it ('INV-O900'): shown exactly as written.
# A quote opens where no letter stands before it, so "Lucas Ryan's" is no quote.
_QUOTED = re.compile(r"(?<!\w)('[^'\n]*'|\"[^\"\n]*\")(?!\w)")
# A rule's name where a clause of the reason starts: "invoice_reference: ...; payer_and_amount: ...".
_RULE = re.compile(r"(?:(?<=^)|(?<=; ))([a-z]+(?:_[a-z]+)+):")
_AMOUNT = re.compile(r"(?<![\w.,$€£¥])(-?\d{1,3}(?:,\d{3})*\.\d{2}) ([A-Z]{3})\b")
_ISO_DAY = re.compile(r"(?<![\w:/-])(\d{4})-(\d{2})-(\d{2})(?![\w:/-])")
# A service's key standing alone ("claims to be paypal", "paypal transaction ..."), never part of an address,
# a domain or a key ("service@paypal.com", "paypal.com", "stripe:po_1"); lower case only, as keys are written.
_SERVICE = re.compile(r"(?<![\w.@/:-])(" + "|".join(sorted(SERVICE_NAMES)) + r")(?![\w.@/:-])")
_ISO_MONTH = re.compile(r"(?<![\w:/.-])(\d{4})-(\d{2})(?![\w:/-])")
_MARKUP = re.compile(r"`([^`\n]+)`")


def rule_words(rule: str) -> str:
    """'invoice_reference' -> 'invoice number in the reference'."""
    return RULE_WORDS.get(rule, rule.replace("_", " "))


def _money(m: re.Match[str]) -> str:
    try:
        return money_words(Money.of(m.group(1).replace(",", ""), m.group(2)))
    except (ValueError, InvalidOperation):
        return m.group(0)


def _words(text: str, today: date | None) -> str:
    def day(m: re.Match[str]) -> str:
        try:
            shown = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return m.group(0)
        return day_words(shown, today=today) if today is not None else date_words(shown)

    def month(m: re.Match[str]) -> str:
        number = int(m.group(2))
        return f"{MONTH_NAMES[number - 1]} {m.group(1)}" if 1 <= number <= 12 else m.group(0)

    text = _RULE.sub(lambda m: rule_words(m.group(1)) + ":", text)
    text = _AMOUNT.sub(_money, text)
    text = _ISO_DAY.sub(day, text)
    text = _ISO_MONTH.sub(month, text)
    text = _SERVICE.sub(lambda m: company_name(m.group(1)), text)
    text = text.replace(" = ", " is ")  # "'INV 0809' in reference = INV-0809"
    return _MARKUP.sub(r"'\1'", text)


def reason_words(reason: str, *, today: date | None = None) -> str:
    """The reason in the reseller's words: rule names in words, money as NZ$27.00, months as October 2026, days as
    16 Nov (with the year when it is not `today`'s, or always without `today`), services by their names, a command
    in quotes rather than Markdown backticks. What a payer or sender wrote, quoted, is left exactly as it is."""
    parts = _QUOTED.split(reason)
    # split() keeps the quoted parts at odd positions; a clause's rule name is only ever outside quotes.
    return "".join(part if i % 2 else _words(part, today) for i, part in enumerate(parts))
