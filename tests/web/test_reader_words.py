"""The signed-in pages say what the report says, in the reseller's words: a PayPal notice is "PayPal", money is
NZ$45.00 (as in the report), a day is 20 Nov 2026, and no recorded key (received_at, invoice_reference, paypal), ISO
day or Markdown backtick reaches the text a person reads."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy import Engine

from config.settings import Settings
from tests.report.seed import add_order, add_receipt, add_review
from worker.store.tables import receipts

from .conftest import NOW, shown

REASON = (
    "invoice_reference: 'INV-1' in reference = INV-1; paid 45.00 NZD on 2026-11-20 through paypal, "
    "which also sent `orders list`"
)


def _visible(page: str) -> str:
    """The words a person sees: no tags, attributes or hidden form values."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def paypal_item(engine: Engine, settings: Settings) -> None:
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", contact_id="C-1", name="Aroha Ltd", email="accounts@aroha.nz")
        add_receipt(conn, "r-1", source="notice", payer_name="ALICE SMITH", payer_email="alice@aroha.nz")
        conn.execute(receipts.update().values(gateway="paypal", gateway_txn_id="9XY12345AB"))
        detail = {
            "source": "paypal",
            "amount": "45.00",
            "currency": "NZD",
            "received_at": NOW.isoformat(),
            "strategy": "invoice_reference",
            "suggested_orders": ["ORD-1"],
        }
        add_review(conn, "short_paid", "r-1", REASON, candidates=["ORD-1"], detail=detail)


def _reads_as_the_report(text: str) -> None:
    assert "PayPal" in text and "NZ$45.00" in text
    assert "45.00 NZD" not in text and "Paypal" not in text and " paypal" not in text
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), re.search(r".{40}\d{4}-\d{2}-\d{2}.{40}", text)
    assert "`" not in text and "invoice_reference" not in text and "received_at" not in text


def test_the_item_page_names_the_service_and_writes_money_as_the_report(
    signed_in: FlaskClient, engine: Engine, settings: Settings
) -> None:
    paypal_item(engine, settings)
    text = _visible(shown(signed_in.get("/decisions/1")))
    _reads_as_the_report(text)
    assert "Alice Smith paid NZ$45.00 by PayPal notice on 26 Nov 2026" in text
    assert "invoice number in the reference: 'INV-1' in reference is INV-1; paid NZ$45.00 on 20 Nov 2026" in text
    assert "through PayPal, which also sent 'orders list'" in text
    # The recorded details, labelled: when it was received (Auckland time), the rule in words, short_paid as words.
    assert "Received 26 Nov 2026 07:00" in text and "Rule invoice number in the reference" in text
    assert "Kind short paid" in text and "Came as PayPal" in text and "Amount NZ$45.00" in text


def test_the_decisions_list_and_the_plan_read_the_same_way(
    signed_in: FlaskClient, engine: Engine, settings: Settings
) -> None:
    paypal_item(engine, settings)
    _reads_as_the_report(_visible(shown(signed_in.get("/decisions"))))
    plan = _visible(shown(signed_in.get("/decisions/1/approve?orders=ORD-1")))
    assert re.search(
        r"record a payment of NZ\$45\.00 on INV-1 in Xero, dated 2[56] Nov 2026, reference 9XY12345AB", plan
    )
    assert not re.search(r"dated \d{4}-", plan)
