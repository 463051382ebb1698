"""The sandbox itself: it holds requests to Xero's documents, serves limits, pages, filters and replays, and
seeds a demo organisation from corpus-shaped data that the adapter reads back faithfully."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from integrations.xero.sandbox import XeroSandbox, seed_demo, seed_demo_from_dir
from integrations.xero.sandbox import spec as sandbox_spec
from tests.xero.sandbox_books import make_adapter

pytestmark = pytest.mark.xero

DEMO = Path(__file__).with_name("fixtures") / "demo"


@pytest.fixture
def sb() -> Iterator[XeroSandbox]:
    """A running, empty sandbox."""
    with XeroSandbox() as sandbox:
        yield sandbox


def _headers(sb: XeroSandbox) -> dict[str, str]:
    body = requests.post(
        f"{sb.base_url}/connect/token",
        data={"grant_type": "client_credentials"},
        auth=(sb.client_id, sb.client_secret),
        timeout=5,
    ).json()
    return {
        "Authorization": f"Bearer {body['access_token']}",
        "xero-tenant-id": sb.tenant_id,
        "Accept": "application/json",
    }


def test_a_request_that_breaks_the_spec_is_rejected(sb: XeroSandbox) -> None:
    """A payment with Status PAID (the enum allows AUTHORISED|DELETED) is a 400 and a recorded violation."""
    response = requests.put(
        f"{sb.base_url}/api.xro/2.0/Payments",
        headers=_headers(sb),
        timeout=5,
        json={
            "Payments": [
                {"Invoice": {"InvoiceID": "00000000-0000-0000-0000-000000000000"}, "Amount": 1, "Status": "PAID"}
            ]
        },
    )
    assert response.status_code == 400
    assert "AUTHORISED" in response.text
    assert len(sb.violations) == 1 and "PAID" in sb.violations[0]
    sb.violations.clear()


def test_a_finance_call_without_its_required_parameters_is_rejected(sb: XeroSandbox) -> None:
    """BankStatementsPlus needs BankAccountID, FromDate and ToDate: without them the sandbox says 400."""
    response = requests.get(
        f"{sb.base_url}/finance.xro/1.0/BankStatementsPlus/statements", headers=_headers(sb), timeout=5
    )
    assert response.status_code == 400
    assert sb.violations and "BankAccountID" in sb.violations[0]
    sb.violations.clear()


def test_spec_documents_are_loaded_once_and_timed() -> None:
    """Each document is built once per process; its load time is recorded."""
    assert sandbox_spec.spec("accounting") is sandbox_spec.spec("accounting")
    assert sandbox_spec.load_seconds["accounting"] > 0


def test_rate_limit_headers_count_down_and_the_minute_limit_answers_429() -> None:
    """Remaining-call headers fall with each call; past the minute limit comes a 429 naming the limit."""
    with XeroSandbox(minute_limit=3) as sb:
        headers = _headers(sb)
        url = f"{sb.base_url}/api.xro/2.0/Invoices"
        seen = [requests.get(url, headers=headers, timeout=5) for _ in range(4)]
        assert [r.headers["X-MinLimit-Remaining"] for r in seen[:3]] == ["2", "1", "0"] or seen[2].status_code == 429
        last = seen[-1]
        assert last.status_code == 429
        assert last.headers["X-Rate-Limit-Problem"] == "minute" and int(last.headers["Retry-After"]) > 0
        assert "X-DayLimit-Remaining" in last.headers and "X-AppMinLimit-Remaining" in last.headers


def _orders(n: int) -> list[dict[str, Any]]:
    return [
        {
            "order_id": f"ORD-{i}",
            "kind": "domain_renewal",
            "invoice_number": f"INV-{i:04d}",
            "invoice_id": f"11111111-0000-4000-8000-{i:012d}",
            "contact": {
                "contact_id": f"00000000-0000-4000-8000-{i:012d}",
                "name": f"Customer {i}",
                "email": f"c{i}@example.org",
            },
            "domain": f"site{i}.co.nz",
            "amount_due": "30.00",
            "currency": "NZD",
            "issued": "2026-11-01",
            "due": "2026-11-15",
        }
        for i in range(1, n + 1)
    ]


def test_paging_if_modified_since_and_where(sb: XeroSandbox) -> None:
    """Pages of 100 in change order; If-Modified-Since and where narrow the list."""
    seed_demo(sb, orders=_orders(250))
    headers = _headers(sb)
    url = f"{sb.base_url}/api.xro/2.0/Invoices"
    sizes = [
        len(requests.get(url, params={"page": p}, headers=headers, timeout=5).json()["Invoices"]) for p in (1, 2, 3)
    ]
    assert sizes == [100, 100, 50]
    one = requests.get(url, params={"where": 'InvoiceNumber=="INV-0007"'}, headers=headers, timeout=5).json()
    assert [i["InvoiceID"] for i in one["Invoices"]] == ["11111111-0000-4000-8000-000000000007"]
    later = requests.get(url, headers={**headers, "If-Modified-Since": "2100-01-01T00:00:00Z"}, timeout=5).json()
    assert later["Invoices"] == []


def test_idempotency_key_replays_the_first_response(sb: XeroSandbox) -> None:
    """The same key twice: identical bodies, one contact."""
    headers = {**_headers(sb), "Idempotency-Key": "contact-1"}
    url = f"{sb.base_url}/api.xro/2.0/Contacts"
    first = requests.put(url, headers=headers, json={"Contacts": [{"Name": "Aroha Ltd"}]}, timeout=5)
    second = requests.put(url, headers=headers, json={"Contacts": [{"Name": "Aroha Ltd"}]}, timeout=5)
    assert first.status_code == 200 and first.json() == second.json()
    assert len(sb.books.contacts) == 1


def test_control_api_plans_a_fault_over_http(sb: XeroSandbox) -> None:
    """A demo in another process can ask for a 500 on the next call."""
    requests.post(f"{sb.base_url}/_sandbox/faults", json={"kind": "status", "status": 500}, timeout=5)
    assert requests.get(f"{sb.base_url}/api.xro/2.0/Invoices", headers=_headers(sb), timeout=5).status_code == 500
    calls = requests.get(f"{sb.base_url}/_sandbox/calls", timeout=5).json()
    assert calls["calls"] == 1


def test_demo_seed_reads_back_as_the_same_orders_and_receipts(sb: XeroSandbox) -> None:
    """Corpus-shaped orders, payments and statement lines seeded into the sandbox come back through the adapter
    as orders with the same kind, domain, amount and contact, and as receipts with the same ids."""
    counts = seed_demo_from_dir(sb, DEMO)
    expected = json.loads((DEMO / "orders.json").read_text())
    assert counts["invoices"] >= len(expected) and counts["statement_lines"] == 6
    adapter = make_adapter(sb)
    page = adapter.open_orders(since=None)
    got = {o.invoice_id: o for o in page.orders}
    for want in expected:
        order = got[want["invoice_id"]]
        assert order.kind.value == want["kind"]
        assert order.domain == want["domain"]
        assert order.amount_due.amount == Decimal(want["amount_due"])
        assert order.contact.email == want["contact"]["email"]
        assert order.due == date.fromisoformat(want["due"])
        assert order.plan == (want.get("plan") or "")
    payments = json.loads((DEMO / "xero" / "payments.json").read_text())["Payments"]
    seen = {r.receipt_id for r in adapter.payments(since=None).receipts}
    assert {p["PaymentID"] for p in payments} <= seen
    lines = json.loads((DEMO / "bank" / "statements.json").read_text())["statements"][0]["statementLines"]
    bank = {r.receipt_id: r for r in adapter.bank_lines(since=None).receipts}
    assert {line["statementLineId"] for line in lines} == set(bank)
    reconciled = [line["statementLineId"] for line in lines if line["isReconciled"]]
    assert all("reconciled" in bank[i].flags for i in reconciled)
    assert sb.violations == []


def test_payments_applied_after_the_first_sync_arrive_as_receipts_and_close_orders(sb: XeroSandbox) -> None:
    """The demo flow: open orders first, then customers pay through Xero; the next reads see both."""
    from integrations.xero.sandbox import apply_payments

    seed_demo_from_dir(sb, DEMO, with_payments=False)
    adapter = make_adapter(sb, space_polls=False)
    first = adapter.open_orders(since=None)
    assert len(first.orders) == len(json.loads((DEMO / "orders.json").read_text()))
    pays = adapter.payments(since=None)
    body = json.loads((DEMO / "xero" / "payments.json").read_text())
    counts = apply_payments(sb, body)
    assert counts["payments"] == len(body["Payments"])
    later = adapter.payments(since=pays.watermark)
    assert {r.receipt_id for r in later.receipts} == {p["PaymentID"] for p in body["Payments"]}
    paid_orders = {p["Invoice"]["InvoiceID"] for p in body["Payments"]} & {o.invoice_id for o in first.orders}
    closed = set(adapter.open_orders(since=first.watermark).closed_invoice_ids)
    assert paid_orders <= closed
