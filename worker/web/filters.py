"""How the review page writes money, times and dates: in the reseller's time zone, money with its currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask

from config.settings import Settings
from rules.model import Receipt, ReceiptSource
from rules.money import Money
from rules.words import domain_named
from worker.web.queries import ItemView


def money(amount: Any, currency: Any = "") -> str:
    if isinstance(amount, Money):
        amount, currency = amount.amount, amount.currency
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}".strip()
    return f"{value:,.2f} {currency}".strip()


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
        return f"{(receipt.gateway or 'card').capitalize()} notice"

    def headline(item: ItemView) -> str:
        """Who paid what, how and when; an item about no receipt says what it is about."""
        r = item.receipt
        if r is None:
            return f"{item.label.capitalize()}: {item.subject}"
        who = r.payer_name or r.payer_email or "Someone"
        return f"{who} paid {money(r.money)} by {paid_by(r)} on {day(r.paid_on or r.received_at)}"

    app.add_template_filter(headline, "headline")
    app.add_template_filter(paid_by, "paid_by")
    app.add_template_filter(money, "money")
    # Unicode as people read it, with the xn-- form the registrar's panel takes beside it when they differ.
    app.add_template_filter(domain_named, "domain")
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.jinja_env.globals["timezone"] = settings.worker.timezone
    app.jinja_env.globals["home_currency"] = settings.worker.home_currency
