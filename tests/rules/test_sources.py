"""Receipts from Xero's JSON shapes: Finance API statement lines and Accounting API payments."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.model import ReceiptSource
from rules.sources import (
    SourceError,
    order_from_dict,
    parse_amount,
    parse_xero_date,
    payment_receipt,
    statement_line_receipt,
    statement_receipts,
)

LINE: dict[str, Any] = {
    "statementLineId": "line-1",
    "postedDate": "2026-10-22",
    "transactionDate": "2026-10-21",
    "payee": "TAURANGA PHOTOGRAPHY",
    "reference": "INV-0714",
    "notes": "DOMAIN",
    "chequeNo": "",
    "amount": 116.1,
    "type": "CREDIT",
    "isReconciled": False,
    "isDuplicate": True,
    "isDeleted": False,
}

PAYMENT: dict[str, Any] = {
    "PaymentID": "pay-1",
    "Date": "/Date(1792540800000+0000)/",
    "Amount": 134.0,
    "Reference": "Stripe",
    "PaymentType": "ACCRECPAYMENT",
    "Status": "AUTHORISED",
    "UpdatedDateUTC": "/Date(1792606020000+0000)/",
    "Invoice": {
        "InvoiceID": "inv-id",
        "InvoiceNumber": "INV-0859",
        "Type": "ACCREC",
        "CurrencyCode": "NZD",
        "Contact": {"ContactID": "c", "Name": "Ava Patel"},
    },
}


def test_statement_line() -> None:
    """A line keeps its payee, every free-text field, Xero's flags, and counts from the start of its day."""
    r = statement_line_receipt(LINE, currency="nzd")
    assert r.source is ReceiptSource.BANK_LINE
    assert r.money.amount == Decimal("116.1") and r.money.currency == "NZD"
    assert r.received_at == datetime(2026, 10, 22, tzinfo=UTC)
    assert r.text == (("reference", "INV-0714"), ("notes", "DOMAIN"))
    assert r.flags == ("duplicate",)
    assert r.raw_kind == "CREDIT"


def test_statement_body_reads_every_line() -> None:
    """The whole response body gives one receipt per line in the account's currency."""
    body = {
        "bankAccountCurrencyCode": "AUD",
        "statements": [{"statementLines": [LINE, {**LINE, "statementLineId": "b"}]}],
    }
    assert [(r.receipt_id, r.money.currency) for r in statement_receipts(body)] == [("line-1", "AUD"), ("b", "AUD")]


def test_payment() -> None:
    """A payment names its invoice, its payer and Xero's own time of the change."""
    r = payment_receipt(PAYMENT)
    assert r.source is ReceiptSource.XERO_PAYMENT
    assert (r.invoice_id, r.invoice_number, r.payer_name) == ("inv-id", "INV-0859", "Ava Patel")
    assert r.received_at == datetime.fromtimestamp(1792606020, tz=UTC)
    assert r.money.amount == Decimal("134.0")
    assert r.flags == ()


@pytest.mark.parametrize(
    ("change", "flag"),
    [
        ({"PaymentType": "ACCPAYPAYMENT"}, "not_customer_payment"),
        ({"Status": "DELETED"}, "deleted"),
        ({"Invoice": {**PAYMENT["Invoice"], "Type": "ACCPAY"}}, "not_customer_payment"),
    ],
)
def test_payment_flags(change: dict[str, Any], flag: str) -> None:
    """Bill payments and deleted payments carry a flag the policy ignores."""
    assert flag in payment_receipt({**PAYMENT, **change}).flags


@pytest.mark.parametrize(
    "bad",
    [
        {**LINE, "statementLineId": ""},
        {**LINE, "amount": "lots"},
        {**LINE, "amount": None},
        {**LINE, "postedDate": "yesterday", "transactionDate": None},
    ],
)
def test_bad_statement_lines_raise_source_error(bad: dict[str, Any]) -> None:
    """Unreadable input is a SourceError saying what was wrong, never another exception."""
    with pytest.raises(SourceError):
        statement_line_receipt(bad, currency="NZD")


@pytest.mark.parametrize(
    "bad", [{**PAYMENT, "PaymentID": ""}, {**PAYMENT, "UpdatedDateUTC": "/Date(x)/", "Date": None}]
)
def test_bad_payments_raise_source_error(bad: dict[str, Any]) -> None:
    """A payment without id or date is refused with a SourceError."""
    with pytest.raises(SourceError):
        payment_receipt(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/Date(1792606020000+0000)/", datetime.fromtimestamp(1792606020, tz=UTC)),
        ("/Date(1792606020000+1300)/", datetime.fromtimestamp(1792606020, tz=UTC)),
        ("2026-11-26T06:00:00", datetime(2026, 11, 26, 6, tzinfo=UTC)),
        ("2026-11-26T06:00:00Z", datetime(2026, 11, 26, 6, tzinfo=UTC)),
    ],
)
def test_xero_dates(value: str, expected: datetime) -> None:
    """Both of Xero's date forms become aware UTC datetimes."""
    assert parse_xero_date(value) == expected


@given(st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2, allow_nan=False))
def test_amount_round_trips_through_text(value: Decimal) -> None:
    """Property: an amount written as text, with or without thousands separators, reads back exactly."""
    assert parse_amount(str(value)) == value
    assert parse_amount(f"{value:,}") == value


@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 2)))
def test_float_amounts_read_as_written(value: float) -> None:
    """Property: a JSON number is read through its shortest form, so 116.1 is 116.1 and never 116.09999."""
    assert parse_amount(value) == Decimal(repr(value))


@pytest.mark.parametrize("bad", ["", "abc", None, True, "NaN", "Infinity", [1]])
def test_amount_garbage_is_a_source_error(bad: Any) -> None:
    """Anything that is no amount raises SourceError."""
    with pytest.raises(SourceError):
        parse_amount(bad)


def test_order_from_dict_and_its_errors() -> None:
    """An orders.json entry becomes an Order; a broken one is a SourceError naming the order."""
    data = {
        "order_id": "ORD-1",
        "kind": "hosting",
        "invoice_number": "INV-1",
        "invoice_id": "i",
        "contact": {"contact_id": "c", "name": "N"},
        "domain": "Ex.NZ",
        "amount_due": "25.00",
        "currency": "nzd",
        "issued": "2026-10-01",
        "due": "2026-10-15",
        "plan": "Starter",
    }
    order = order_from_dict(data)
    assert (order.domain, order.amount_due.currency, order.plan) == ("ex.nz", "NZD", "Starter")
    with pytest.raises(SourceError, match="ORD-1"):
        order_from_dict({**data, "kind": "boat"})
