"""How the review page writes money, times and dates: in the reseller's time zone, money as the report writes it
(NZ$45.00), services by their names, recorded reasons and details in the reseller's words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask

from config.settings import Settings
from rules.model import Receipt, ReceiptSource
from rules.money import Money
from rules.reasons import reason_words, rule_words
from rules.services import company_name, service_name
from rules.words import domain_named, money_words
from worker.report.headlines import payer_words
from worker.report.model import job_words
from worker.web.queries import ItemView


def money(amount: Any, currency: Any = "") -> str:
    """NZ$1,234.50, as the report writes it (rules.words.money_words); what is no amount, as it is."""
    if isinstance(amount, Money):
        return money_words(amount)
    try:
        return money_words(Money.of(Decimal(str(amount)), str(currency)))
    except (InvalidOperation, ValueError, TypeError):
        return f"{amount} {currency}".strip()


# An item's recorded details, labelled for the reseller; keys not named here read as their words.
DETAIL_LABELS = {
    "received_at": "Received",
    "paid_on": "Paid on",
    "strategy": "Rule",
    "gateway": "Service",
    "source": "Came as",
    "payout_key": "Payout",
    "receipt_id": "Receipt",
    "suggested_orders": "Suggested orders",
}
SOURCE_WORDS = {"bank_line": "bank line", "notice": "payment notice", "xero_payment": "payment recorded in Xero"}
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


def register_filters(app: Flask, settings: Settings) -> None:
    zone = settings.worker.zone

    def when(value: datetime | None) -> str:
        if value is None:
            return "never"
        local = value.astimezone(zone)
        return f"{local.day} {local:%b %Y %H:%M}"

    def day(value: date | datetime | str | None) -> str:
        if value is None:
            return "unknown"
        if isinstance(value, str):
            # A date the store keeps as text (an order's due date, YYYY-MM-DD); anything else is shown as it is.
            text = value
            try:
                value = date.fromisoformat(text)
            except ValueError:
                return text
        if isinstance(value, datetime):
            value = value.astimezone(zone).date()
        return f"{value.day} {value:%b %Y}"

    def paid_by(receipt: Receipt) -> str:
        if receipt.source is ReceiptSource.BANK_LINE:
            return "bank transfer"
        if receipt.source is ReceiptSource.XERO_PAYMENT:
            return "a payment recorded in Xero"
        return f"{company_name(receipt.gateway, unknown='card payment')} notice"

    def headline(item: ItemView) -> str:
        """Who paid what, how and when; an item about no receipt says what it is about."""
        r = item.receipt
        if r is None:
            return f"{item.label.capitalize()}: {item.subject}"
        return f"{payer_words(r)} paid {money(r.money)} by {paid_by(r)} on {day(r.paid_on or r.received_at)}"

    def stamp(text: str) -> str:
        if len(text) == 10:
            return day(text)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        return when(moment) if moment.tzinfo else f"{moment.day} {moment:%b %Y %H:%M}"

    def value_words(key: str, value: Any) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(value_words(key, v) for v in value) or "none"
        if isinstance(value, Mapping):
            return "; ".join(f"{label(str(k))}: {value_words(str(k), v)}" for k, v in value.items())
        text = str(value)
        if key == "strategy":
            return rule_words(text)
        if key in ("gateway", "source"):
            return SOURCE_WORDS.get(text) or service_name(text, unknown="")
        if _STAMP.match(text):
            return stamp(text)
        if re.fullmatch(r"[a-z]+(?:_[a-z]+)+", text):  # an enum value: short_paid, bank_line
            return text.replace("_", " ")
        return reason_words(text)

    def label(key: str) -> str:
        return DETAIL_LABELS.get(key) or key.replace("_", " ").capitalize()

    def details(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
        """An item's recorded details as (label, words): 'received_at 2026-11-01T00:00:00+00:00' reads
        'Received 1 Nov 2026 13:00', an amount and its currency read NZ$27.00, a rule reads in words."""
        priced = "amount" in detail and "currency" in detail
        shown: list[tuple[str, str]] = []
        for key, value in detail.items():
            if value in (None, "") or (key == "currency" and priced):
                continue
            if key == "amount" and priced:
                shown.append(("Amount", money(value, detail["currency"])))
            else:
                shown.append((label(str(key)), value_words(str(key), value)))
        return shown

    def reason(text: str | None) -> str:
        """A recorded reason or message in the reseller's words (rules.reasons): NZ$45.00, PayPal, 16 Nov 2026."""
        return reason_words(" ".join(str(text or "").split()))

    app.add_template_filter(headline, "headline")
    app.add_template_filter(details, "details")
    app.add_template_filter(reason, "reason")
    app.add_template_filter(service_name, "service")
    app.add_template_filter(job_words, "job")  # "Reading Xero (sync_xero)", as the report names a job
    app.add_template_filter(paid_by, "paid_by")
    app.add_template_filter(money, "money")
    # Unicode as people read it, with the xn-- form the registrar's panel takes beside it when they differ.
    app.add_template_filter(domain_named, "domain")
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.jinja_env.globals["timezone"] = settings.worker.timezone
    app.jinja_env.globals["home_currency"] = settings.worker.home_currency
