"""The part of `XeroAccounting` that empties payment services' clearing accounts: the chart of accounts (with types),
fees as spend money (PUT /BankTransactions) and payouts as bank transfers (PUT /BankTransfers), and the reads that
let a handler check before acting. Mixed into `XeroAccounting`, whose plumbing (one retry policy, timeouts,
Idempotency-Key on every write) it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import structlog
from xero_python.accounting.models import (
    Account,
    BankTransaction,
    BankTransactions,
    BankTransfer,
    BankTransfers,
    Contact,
    LineAmountTypes,
    LineItem,
)

from config.xero import XeroSettings
from integrations.errors import PermanentError
from integrations.ports import BankEntry, BankTransferDraft, LedgerAccount, SpendMoneyDraft
from rules.money import Money
from rules.sources import SourceError, parse_amount, parse_xero_date

log = structlog.get_logger(__name__)


class _Plumbing(Protocol):
    """What the mixin needs from `XeroAccounting`."""

    settings: XeroSettings
    clock: Callable[[], datetime]

    @property
    def tenant_id(self) -> str: ...
    @property
    def _accounting(self) -> Any: ...
    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Mapping[str, str]]: ...
    def _write(self, what: str, fn: Callable[..., Any], *args: Any, idempotency_key: str, **kwargs: Any) -> Any: ...
    def _json(self, response: Any) -> Any: ...


class XeroClearing:
    """Clearing-account operations; `XeroAccounting` inherits them."""

    def accounts(self: _Plumbing) -> Sequence[LedgerAccount]:
        response, _ = self._call("GET Accounts", self._accounting.get_accounts, self.tenant_id, _preload_content=False)
        out: list[LedgerAccount] = []
        for a in self._json(response).get("Accounts") or []:
            out.append(
                LedgerAccount(
                    account_id=str(a.get("AccountID", "")),
                    code=str(a.get("Code", "")),
                    name=str(a.get("Name", "")),
                    type=str(a.get("Type", "")),
                    status=str(a.get("Status", "ACTIVE")),
                    currency=str(a.get("CurrencyCode", "")),
                    payments_enabled=bool(a.get("EnablePaymentsToAccount", False)),
                )
            )
        return out

    def spend_money(self: _Plumbing, draft: SpendMoneyDraft, *, idempotency_key: str) -> str:
        """A SPEND bank transaction; the contact goes by name, and Xero creates it when no contact has that name."""
        transaction = BankTransaction(
            type="SPEND",
            contact=Contact(name=draft.contact_name),
            bank_account=Account(code=draft.bank_account_code),
            line_items=[
                LineItem(
                    description=draft.description[:4000],
                    quantity=Decimal(1),
                    unit_amount=_cents(draft.amount.amount),
                    account_code=draft.expense_account_code,
                )
            ],
            line_amount_types=LineAmountTypes.NOTAX,
            date=draft.on,
            reference=draft.reference[:255],
            status="AUTHORISED",
            # IsReconciled stays unset: the fee has no bank line of its own; the payout line carries the net.
        )
        body = self._write(
            "PUT BankTransactions",
            self._accounting.create_bank_transactions,
            BankTransactions(bank_transactions=[transaction]),
            idempotency_key=idempotency_key,
            summarize_errors=False,
        )
        return str(_saved(body, "BankTransactions", "spend_money")["BankTransactionID"])

    def transfer(self: _Plumbing, draft: BankTransferDraft, *, idempotency_key: str) -> str:
        """A bank transfer dated on the payout, so Xero proposes it for the payout's bank statement line."""
        model = BankTransfer(
            from_bank_account=Account(code=draft.from_account_code),
            to_bank_account=Account(code=draft.to_account_code),
            amount=_cents(draft.amount.amount),
            date=draft.on,
            reference=draft.reference[:255],
        )
        body = self._write(
            "PUT BankTransfers",
            self._accounting.create_bank_transfer,
            BankTransfers(bank_transfers=[model]),
            idempotency_key=idempotency_key,
        )
        return str(_saved(body, "BankTransfers", "transfer")["BankTransferID"])

    def spent_with(self: _Plumbing, *, account_code: str, reference: str) -> Sequence[BankEntry]:
        """Spend money out of `account_code` carrying `reference` (a transfer's SPEND-TRANSFER side is not one)."""
        where = f'Type=="SPEND" AND BankAccount.Code=="{_quote(account_code)}" AND Reference=="{_quote(reference)}"'
        response, _ = self._call(
            "GET BankTransactions",
            self._accounting.get_bank_transactions,
            self.tenant_id,
            where=where,
            page=1,
            _preload_content=False,
        )
        found: list[BankEntry] = []
        for bt in self._json(response).get("BankTransactions") or []:
            try:
                found.append(
                    BankEntry(
                        entry_id=str(bt["BankTransactionID"]),
                        kind=str(bt.get("Type", "")),
                        account_code=str((bt.get("BankAccount") or {}).get("Code", "")),
                        amount=Money(
                            amount=parse_amount(bt.get("Total")), currency=str(bt.get("CurrencyCode") or "NZD")
                        ),
                        on=_day(bt.get("Date")),
                        reference=str(bt.get("Reference", "")),
                        status=str(bt.get("Status", "AUTHORISED")),
                        reconciled=bool(bt.get("IsReconciled", False)),
                    )
                )
            except (KeyError, SourceError) as exc:
                log.warning("xero_record_unreadable", feed="bank_transactions", error=str(exc))
        return found

    def transfers_with(self: _Plumbing, *, reference: str, currency: str) -> Sequence[BankEntry]:
        """Transfers carrying `reference`; a transfer states no currency of its own (it is its accounts')."""
        response, _ = self._call(
            "GET BankTransfers",
            self._accounting.get_bank_transfers,
            self.tenant_id,
            where=f'Reference=="{_quote(reference)}"',
            _preload_content=False,
        )
        found: list[BankEntry] = []
        for t in self._json(response).get("BankTransfers") or []:
            try:
                found.append(
                    BankEntry(
                        entry_id=str(t["BankTransferID"]),
                        kind="TRANSFER",
                        account_code=str((t.get("FromBankAccount") or {}).get("Code", "")),
                        to_account_code=str((t.get("ToBankAccount") or {}).get("Code", "")),
                        amount=Money(amount=parse_amount(t.get("Amount")), currency=currency),
                        on=_day(t.get("Date")),
                        reference=str(t.get("Reference", "")),
                        status=str(t.get("Status", "AUTHORISED")),
                        reconciled=bool(t.get("ToIsReconciled", False)),
                    )
                )
            except (KeyError, SourceError) as exc:
                log.warning("xero_record_unreadable", feed="bank_transfers", error=str(exc))
        return found


def _quote(value: str) -> str:
    return value.replace("\\", "").replace('"', "")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _day(value: Any) -> date:
    return parse_xero_date(value).date()


def _saved(body: Any, key: str, what: str) -> dict[str, Any]:
    items = (body or {}).get(key) or []
    if not items:
        raise PermanentError(f"{what}: Xero returned no {key}", system="xero")
    item = items[0]
    if item.get("HasErrors") or item.get("ValidationErrors"):
        messages = "; ".join(str(e.get("Message", "")) for e in item.get("ValidationErrors") or [])
        raise PermanentError(f"{what}: Xero refused it: {messages or 'validation error'}", system="xero")
    return dict(item)
