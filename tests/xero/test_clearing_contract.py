"""The clearing-account part of the Accounting port, the same on FakeAccounting and on XeroAccounting over the
sandbox (which holds every request and response to Xero's OpenAPI document): the chart with account types, a card
payment on a clearing account, fees as spend money, the payout as a bank transfer, and the reads that let a handler
check before acting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from integrations.errors import PermanentError
from integrations.ports import BankTransferDraft, PaymentDraft, SpendMoneyDraft
from integrations.xero.sandbox import banking
from rules.money import Money
from tests.xero.contract import Books, an_order
from tests.xero.harness import FakeBooks

pytestmark = pytest.mark.xero

PAYOUT_DAY = date(2026, 11, 20)


@pytest.fixture(params=["fake", "sandbox"])
def books(request: pytest.FixtureRequest) -> Iterator[Books]:
    if request.param == "fake":
        fake_books = FakeBooks()
        fake_books.fake.add_account("091", "Stripe clearing", "BANK")
        yield fake_books
    else:
        from tests.xero.sandbox_books import SandboxBooks

        with SandboxBooks.start() as sandbox_books:
            banking.add_account(sandbox_books.sb.books, "091", "Stripe clearing", "BANK")
            yield sandbox_books


def _movement(books: Books, code: str) -> Decimal:
    if isinstance(books, FakeBooks):
        return books.fake.movement(code).amount
    return banking.movement(books.sb.books, code)  # type: ignore[attr-defined]


def _nzd(amount: str) -> Money:
    return Money.of(amount, "NZD")


def _fee(amount: str = "1.52", *, account: str = "091", expense: str = "404") -> SpendMoneyDraft:
    return SpendMoneyDraft(
        bank_account_code=account,
        expense_account_code=expense,
        contact_name="Stripe",
        amount=_nzd(amount),
        on=PAYOUT_DAY,
        reference="po_1QxAbc",
        description="Stripe fees on payout po_1QxAbc",
    )


def _move(amount: str = "43.48", *, source: str = "091", target: str = "090") -> BankTransferDraft:
    return BankTransferDraft(
        from_account_code=source, to_account_code=target, amount=_nzd(amount), on=PAYOUT_DAY, reference="po_1QxAbc"
    )


def test_the_chart_tells_bank_accounts_from_expense_accounts(books: Books) -> None:
    chart = {a.code: a.type for a in books.accounting.accounts()}
    assert chart["090"] == "BANK" and chart["091"] == "BANK" and chart["404"] == "EXPENSE"


def test_a_payout_empties_the_clearing_account_into_the_bank(books: Books) -> None:
    """Card payment in, fee and transfer out: the clearing account moves by zero and the bank by the net."""
    order = an_order(1, amount="45.00")
    books.seed_order(order)
    books.accounting.record_payment(
        PaymentDraft(
            invoice_id=order.invoice_id,
            amount=_nzd("45.00"),
            paid_on=date(2026, 11, 14),
            reference="pi_3Qx001",
            account_code="091",
        ),
        idempotency_key="payment:card-1",
    )
    fee_id = books.accounting.spend_money(_fee(), idempotency_key="payout-fee:stripe:po_1QxAbc")
    transfer_id = books.accounting.transfer(_move(), idempotency_key="payout-transfer:stripe:po_1QxAbc")
    assert _movement(books, "091") == Decimal("0")
    assert _movement(books, "090") == Decimal("43.48")

    [fee] = books.accounting.spent_with(account_code="091", reference="po_1QxAbc")
    assert (fee.entry_id, fee.kind, fee.amount, fee.on, fee.status) == (
        fee_id,
        "SPEND",
        _nzd("1.52"),
        PAYOUT_DAY,
        "AUTHORISED",
    )
    [move] = books.accounting.transfers_with(reference="po_1QxAbc", currency="NZD")
    assert (move.entry_id, move.account_code, move.to_account_code, move.amount, move.on) == (
        transfer_id,
        "091",
        "090",
        _nzd("43.48"),
        PAYOUT_DAY,
    )
    assert not move.reconciled
    assert books.accounting.spent_with(account_code="090", reference="po_1QxAbc") == []
    assert books.accounting.transfers_with(reference="po_other", currency="NZD") == []


def test_a_repeated_write_with_its_key_books_nothing_twice(books: Books) -> None:
    first = books.accounting.spend_money(_fee(), idempotency_key="payout-fee:stripe:po_1QxAbc")
    again = books.accounting.spend_money(_fee(), idempotency_key="payout-fee:stripe:po_1QxAbc")
    assert first == again
    assert len(books.accounting.spent_with(account_code="091", reference="po_1QxAbc")) == 1
    moved = books.accounting.transfer(_move(), idempotency_key="payout-transfer:stripe:po_1QxAbc")
    assert books.accounting.transfer(_move(), idempotency_key="payout-transfer:stripe:po_1QxAbc") == moved
    assert len(books.accounting.transfers_with(reference="po_1QxAbc", currency="NZD")) == 1


@pytest.mark.parametrize(
    "write",
    [
        lambda a: a.spend_money(_fee(account="404"), idempotency_key="k1"),  # fees out of an expense account
        lambda a: a.spend_money(_fee(expense="090"), idempotency_key="k2"),  # coded to a bank account
        lambda a: a.spend_money(_fee(account="999"), idempotency_key="k3"),  # no such account
        lambda a: a.transfer(_move(target="091"), idempotency_key="k4"),  # to itself
        lambda a: a.transfer(_move(target="404"), idempotency_key="k5"),  # to an expense account
        lambda a: a.transfer(_move(amount="0.00"), idempotency_key="k6"),
    ],
    ids=["from-expense", "to-bank-account", "unknown-account", "to-itself", "to-expense", "zero"],
)
def test_what_xero_refuses_is_refused(books: Books, write) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermanentError):
        write(books.accounting)
    assert _movement(books, "091") == Decimal("0") and _movement(books, "090") == Decimal("0")


def test_a_payment_goes_only_to_an_account_that_takes_payments(books: Books) -> None:
    order = an_order(2, amount="30.00")
    books.seed_order(order)
    draft = PaymentDraft(
        invoice_id=order.invoice_id, amount=_nzd("30.00"), paid_on=date(2026, 11, 14), reference="x", account_code="404"
    )
    with pytest.raises(PermanentError):
        books.accounting.record_payment(draft, idempotency_key="payment:expense")
    assert books.count_payments(order.invoice_id) == 0
