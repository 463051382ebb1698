"""The provider's bill read from Xero: the real adapter against the sandbox (every request and reply checked against
Xero's OpenAPI document), stored by `sync_provider_bills`, and checked by month-end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from config.settings import Settings, load_settings
from integrations.ports import SupplierBill
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from integrations.xero.mapping import supplier_bill
from integrations.xero.sandbox import XeroSandbox
from integrations.xero.sandbox.demo import seed_supplier_bill
from rules.money import Money
from rules.month_end import DifferenceKind
from rules.provider_bill import ChargeAction, Month
from worker.app import App
from worker.bills import bill_month
from worker.jobs.provider_bills import sync_provider_bills
from worker.month_end import month_end
from worker.store.month_end_tables import provider_bill_lines, provider_bills

from ..outbox.conftest import Clock, make_app
from ..xero.sandbox_books import make_adapter
from .conftest import PROVIDER_SETTINGS

PROVIDER = "Upstream Hosting Ltd"
BILL_ID = "44444444-0000-4000-8000-000000000001"
OCT = Month(year=2026, month=10)


@pytest.fixture
def provider_settings(tmp_path: Path) -> Settings:
    config = tmp_path / "worker.toml"
    config.write_text(PROVIDER_SETTINGS + '\n[provider.item_codes]\n"UH-XFER" = "transfer"\n', encoding="utf-8")
    env = {"RW_WORKER_DATA_DIR": str(tmp_path / "var"), "RW_PROVIDER_XERO_CONTACT": PROVIDER}
    return load_settings(config, env, base_dir=tmp_path)


@pytest.fixture
def sandbox() -> Iterator[XeroSandbox]:
    with XeroSandbox() as sb:
        yield sb
        assert sb.violations == [], sb.violations


def october_bill(status: str = "AUTHORISED", extra: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {
        "bill_id": BILL_ID,
        "contact": {"name": PROVIDER},
        "number": "UH-88123",
        "date": "2026-11-01",
        "status": status,
        "lines": [
            {"description": "Domain Registration - harbourcafe.co.nz - 1 Year - 2026-10-03", "amount": "21.50"},
            {"description": "Domain Renewal - aroha.nz - 2 Years", "amount": "43.00"},
            {"description": "moved-in.com", "amount": "18.00", "item_code": "UH-XFER"},
            {"description": "Web hosting - Business plan - aroha.nz", "amount": "30.00"},
            {"description": "Account fee", "amount": "5.00"},
            *(extra or []),
        ],
    }


def test_the_providers_xero_bill_is_read_stored_and_checked(
    sandbox: XeroSandbox, engine: Engine, provider_settings: Settings
) -> None:
    seed_supplier_bill(sandbox, october_bill())
    seed_supplier_bill(sandbox, {**october_bill(), "bill_id": None, "number": "DRAFT-1", "status": "DRAFT"})
    seed_supplier_bill(  # another supplier's bill is none of the provider's
        sandbox,
        {
            "contact": {"name": "Office Supplies Ltd"},
            "number": "OS-1",
            "date": "2026-11-02",
            "lines": [{"description": "renew x.nz", "amount": "1"}],
        },
    )
    app = make_app(engine, provider_settings, Clock(), make_adapter(sandbox), FakeRegistrar())
    assert sync_provider_bills(app) == {"new": 1, "replaced": 0, "same": 0, "forgotten": 0, "lines": 5}
    with engine.connect() as conn:
        [bill] = conn.execute(select(provider_bills)).all()
        result = month_end(conn, provider_settings, OCT, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert (bill.bill_id, bill.month, bill.reference, bill.total) == (
        f"xero:{BILL_ID}",
        "2026-10",
        "UH-88123",
        "117.50",
    )
    kinds = {(d.kind, d.item, d.action) for d in result.recon.differences}
    assert kinds == {
        (DifferenceKind.NOT_DONE, "harbourcafe.co.nz", "register"),
        (DifferenceKind.NOT_DONE, "aroha.nz", "renew"),
        (DifferenceKind.NOT_DONE, "moved-in.com", "transfer"),
        (DifferenceKind.NOT_DONE, "aroha.nz", "hosting"),
        (DifferenceKind.UNREADABLE, "", ""),
    }
    unreadable = result.recon.of_kind(DifferenceKind.UNREADABLE)[0]
    assert unreadable.where == "Xero bill UH-88123 line 5" and unreadable.charged == Money.of("5.00", "NZD")
    # Nothing changed: nothing is read again.
    assert sync_provider_bills(app)["new"] == 0


def test_an_edited_bill_replaces_its_lines_and_a_voided_one_is_forgotten(
    sandbox: XeroSandbox, engine: Engine, provider_settings: Settings
) -> None:
    seed_supplier_bill(sandbox, october_bill())
    app = make_app(engine, provider_settings, Clock(), make_adapter(sandbox), FakeRegistrar())
    sync_provider_bills(app)
    with sandbox._lock:  # the accountant corrects a line in Xero
        record = sandbox.books.invoices[BILL_ID]
        record.data["LineItems"][1]["LineAmount"] = 21.5
        sandbox.books.set_invoice_status(BILL_ID, "AUTHORISED")
    assert sync_provider_bills(app)["replaced"] == 1
    with engine.connect() as conn:
        amounts = conn.execute(
            select(provider_bill_lines.c.amount).where(provider_bill_lines.c.line_no == 2)
        ).scalar_one()
    assert amounts == "21.50"
    sandbox.books.set_invoice_status(BILL_ID, "VOIDED")
    assert sync_provider_bills(app)["forgotten"] == 1
    with engine.connect() as conn:
        assert conn.execute(select(provider_bills)).all() == []
        assert conn.execute(select(provider_bill_lines)).all() == []


def test_without_a_provider_contact_the_job_reads_nothing(engine: Engine, settings: Settings) -> None:
    accounting = FakeAccounting()
    app: App = make_app(engine, settings, Clock(), accounting, FakeRegistrar())
    assert sync_provider_bills(app) == {"skipped": "no [provider] xero_contact"}
    assert accounting.calls["supplier_bills"] == 0


def test_a_tax_inclusive_bill_line_is_read_without_its_tax() -> None:
    bill = supplier_bill(
        {
            "InvoiceID": BILL_ID,
            "Type": "ACCPAY",
            "InvoiceNumber": "UH-1",
            "Date": "/Date(1793491200000+0000)/",
            "Status": "AUTHORISED",
            "CurrencyCode": "NZD",
            "LineAmountTypes": "Inclusive",
            "LineItems": [{"Description": "Renewal a.nz", "LineAmount": 24.73, "TaxAmount": 3.23}],
        }
    )
    assert bill.lines[0].amount == Money.of("21.50", "NZD") and bill.issued == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("number", "covers", "issued", "month"),
    [
        ("UH-88123", "previous_month", date(2026, 11, 1), "2026-10"),
        ("UH-88123", "same_month", date(2026, 10, 31), "2026-10"),
        ("October 2026", "same_month", date(2026, 11, 3), "2026-10"),
        ("UH 2026-09", "previous_month", date(2026, 11, 3), "2026-09"),
    ],
)
def test_the_bills_month_is_the_one_it_names_else_by_the_providers_rule(
    number: str, covers: str, issued: date, month: str, provider_settings: Settings
) -> None:
    from dataclasses import replace

    bill = SupplierBill(
        bill_id=BILL_ID,
        number=number,
        reference="",
        issued=issued,
        status="AUTHORISED",
        updated="",
        currency="NZD",
        lines=(),
    )
    assert str(bill_month(bill, replace(provider_settings.provider, bill_covers=covers))) == month


def test_item_codes_name_the_action(provider_settings: Settings) -> None:
    assert provider_settings.provider.item_codes == {"UH-XFER": ChargeAction.TRANSFER.value}
