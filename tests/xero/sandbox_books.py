"""The real adapter over a freshly started sandbox, as a contract-test `Books`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from config.hosting import HostingSettings
from config.settings import Settings
from config.xero import DEFAULT_ITEM_CODES, XeroSettings
from integrations.ports import Accounting
from integrations.registrar.fake import FakeRegistrar
from integrations.registrar.terms import UpstreamPrices
from integrations.xero.adapter import XeroAccounting
from integrations.xero.sandbox import XeroSandbox, seed_demo
from integrations.xero.sandbox.demo import seed_supplier_bill
from integrations.xero.tokens import MemoryTokenStore, XeroTokens
from rules.model import Contact, Order, OrderKind
from rules.money import Money
from worker.app import App


def sandbox_settings(base_url: str, **overrides: Any) -> XeroSettings:
    """Settings for the sandbox: short timeouts so fault tests stay fast."""
    settings = XeroSettings(
        mode="sandbox",
        base_url=base_url,
        client_id="",
        client_secret="",
        tenant_id="",
        daily_budget=1000,
        timeout_seconds=2.0,
        bank_account_code="090",
        item_codes=dict(DEFAULT_ITEM_CODES),
    )
    return replace(settings, **overrides)


def make_adapter(sb: XeroSandbox, **kwargs: Any) -> XeroAccounting:
    """XeroAccounting against `sb`, with retries quick enough for tests."""
    settings = sandbox_settings(sb.base_url, **kwargs.pop("settings", {}))
    tokens = XeroTokens(settings=settings, store=MemoryTokenStore(), retry_attempts=2, retry_seconds=5)
    kwargs.setdefault("retry_attempts", 3)
    kwargs.setdefault("retry_seconds", 10.0)
    kwargs.setdefault("retry_initial_wait", 0.05)
    return XeroAccounting(settings, tokens=tokens, **kwargs)


def order_json(order: Order) -> dict[str, Any]:
    """An Order in the corpus orders.json shape, which the sandbox seeds from."""
    c = order.contact
    return {
        "order_id": order.order_id,
        "kind": order.kind.value,
        "invoice_number": order.invoice_number,
        "invoice_id": order.invoice_id,
        "contact": {
            "contact_id": c.contact_id,
            "name": c.name,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "email": c.email,
        },
        "domain": order.domain,
        "amount_due": str(order.amount_due.amount),
        "currency": order.amount_due.currency,
        "issued": order.issued.isoformat(),
        "due": order.due.isoformat(),
        "plan": order.plan,
        "term_years": order.term_years,
    }


class SandboxBooks:
    def __init__(self, sb: XeroSandbox) -> None:
        self.sb = sb
        self.adapter: XeroAccounting = make_adapter(sb)
        self.accounting: Accounting = self.adapter

    @classmethod
    @contextmanager
    def start(cls) -> Iterator[SandboxBooks]:
        with XeroSandbox() as sb:
            yield cls(sb)
            assert sb.violations == [], sb.violations

    def seed_order(self, order: Order) -> None:
        seed_demo(self.sb, orders=[order_json(order)])

    def seed_bank_line(self, line_id: str, amount: str, posted: date, payee: str, reference: str) -> None:
        self.sb.books.add_statement_line(
            {
                "statementLineId": line_id,
                "postedDate": posted.isoformat(),
                "transactionDate": posted.isoformat(),
                "payee": payee,
                "reference": reference,
                "amount": float(amount),
                "type": "CREDIT",
            }
        )

    def close_elsewhere(self, invoice_id: str) -> None:
        self.sb.books.set_invoice_status(invoice_id, "VOIDED")

    def count_payments(self, invoice_id: str) -> int:
        return sum(1 for p in self.sb.books.payments.values() if p.data["Invoice"]["InvoiceID"] == invoice_id)

    def count_invoices(self, reference: str) -> int:
        return sum(1 for i in self.sb.books.invoices.values() if i.data.get("Reference") == reference)

    def count_repeating(self, reference: str) -> int:
        return sum(1 for r in self.sb.books.repeating.values() if r.data.get("Reference") == reference)

    def history_notes(self, invoice_id: str) -> list[str]:
        return [str(n["Details"]) for n in self.sb.books.invoices[invoice_id].history]

    def repeating_state(self, repeating_invoice_id: str) -> tuple[str, int]:
        data = self.sb.books.repeating[repeating_invoice_id].data
        return str(data["Status"]), int(data["Schedule"]["Period"])

    def seed_supplier_bill(
        self, contact: Contact, bill_id: str, number: str, issued: date, lines: list[tuple[str, str]], status: str
    ) -> None:
        seed_supplier_bill(
            self.sb,
            {
                "bill_id": bill_id,
                "contact": {"contact_id": contact.contact_id, "name": contact.name},
                "number": number,
                "date": issued.isoformat(),
                "status": status,
                "lines": [{"description": d, "amount": a} for d, a in lines],
            },
        )

    def set_bill_status(self, bill_id: str, status: str) -> None:
        self.sb.books.set_invoice_status(bill_id, status)

    def archive_contact(self, contact_id: str) -> None:
        self.sb.books.archive_contact(contact_id)

    def contact_status(self, contact_id: str) -> str:
        return str(self.sb.books.contacts[contact_id].data["ContactStatus"])


class Ticker:
    """A clock that moves only when told: five minutes a cycle, from the real now (the sandbox dates what it keeps)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self) -> None:
        self.now += timedelta(minutes=5)


def open_invoice(
    order_id: str,
    *,
    invoice_id: str,
    contact: Contact,
    domain: str,
    amount: str,
    kind: OrderKind = OrderKind.DOMAIN_REGISTRATION,
) -> Order:
    """An open NZD invoice of 20 October, due 20 November, as the sandbox's books hold it."""
    return Order(
        order_id=order_id,
        kind=kind,
        invoice_number=order_id,
        invoice_id=invoice_id,
        contact=contact,
        domain=domain,
        amount_due=Money.of(amount, "NZD"),
        issued=date(2026, 10, 20),
        due=date(2026, 11, 20),
    )


@contextmanager
def worker_on_sandbox(
    engine: Engine,
    settings: Settings,
    invoices: Sequence[Order],
    *,
    prices: UpstreamPrices | None = None,
    hosting: HostingSettings | None = None,
) -> Iterator[tuple[App, SandboxBooks, FakeRegistrar, Ticker]]:
    """The worker over the real adapter and a fresh sandbox holding `invoices`, with a fake registrar and a Ticker."""
    with SandboxBooks.start() as books:
        for invoice in invoices:
            books.seed_order(invoice)
        books.adapter.space_polls = False  # every cycle reads the bank feed: spacing is not what is tested here
        clock = Ticker()
        registrar = FakeRegistrar(clock=clock, prices=prices)
        app = App(
            settings=replace(settings, xero=books.adapter.settings, hosting=hosting or settings.hosting),
            engine=engine,
            clock=clock,
            accounting=books.accounting,
            registrar=registrar,
            mailer=None,
            open_mailbox=None,
        )
        yield app, books, registrar, clock
