"""Effects that empty a payment service's clearing account once a payout is matched: its fees as spend money out of
the clearing account (coded to the fee account), and the net as a bank transfer from the clearing account to the bank
account, dated on the payout so Xero proposes it for the payout's bank line.

Each checks the books before acting (is there already a fee or transfer with this payout's Reference?) and passes the
outbox key on as Xero's Idempotency-Key, so a crash or a retry never books either twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from integrations.ports import BankEntry, BankTransferDraft, LedgerAccount, SpendMoneyDraft
from rules.money import Money
from worker.effects import Checkpoint, Done, Failed, Outcome

if TYPE_CHECKING:
    from worker.app import App
    from worker.outbox import OutboxRow


def _chart_problem(chart: Sequence[LedgerAccount], *, banks: Sequence[str], expense: str = "") -> str:
    """What is wrong with the accounts a payout needs, in words a reseller can act on; '' when nothing is."""
    by_code = {a.code: a for a in chart if a.status == "ACTIVE"}
    for code in banks:
        account = by_code.get(code)
        if account is None:
            return (
                f"Xero has no active account with code {code}: add it as a bank account (Chart of accounts > Add "
                "Bank Account)"
            )
        if account.type != "BANK":
            return f"Xero account {code} ({account.name}) is a {account.type} account; payouts need a bank account"
    if expense:
        account = by_code.get(expense)
        if account is None:
            return f"Xero has no active account with code {expense} for the fees"
        if account.type == "BANK":
            return f"Xero account {expense} ({account.name}) is a bank account; fees need an expense account"
    return ""


def _same(entries: Sequence[BankEntry], amount: Money) -> tuple[list[BankEntry], list[BankEntry]]:
    live = [e for e in entries if e.status == "AUTHORISED"]
    return [e for e in live if e.amount.same_value(amount)], [e for e in live if not e.amount.same_value(amount)]


def book_payout_fee(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    p = row.payload
    amount = Money.of(str(p["amount"]), str(p["currency"]))
    clearing, fee_account, reference = str(p["clearing_account"]), str(p["fee_account"]), str(p["reference"])
    problem = _chart_problem(app.accounting.accounts(), banks=[clearing], expense=fee_account)
    if problem:
        return Failed(
            reason=f"The fees of {reference} cannot be booked: {problem}.",
            suggested_action=f"Fix the account in Xero or in [gateways.{p['gateway']}], then "
            f"`reseller-worker orders retry {row.key}`.",
        )
    same, other = _same(app.accounting.spent_with(account_code=clearing, reference=reference), amount)
    if same:
        return Done(result={"bank_transaction_id": same[0].entry_id, "already_in_xero": True})
    if other:
        return Failed(
            reason=f"Xero already has spend money with reference {reference} on account {clearing} for "
            f"{other[0].amount}, not the {amount} of fees this payout implies; not booking it twice.",
            suggested_action="Compare it with the payment service's statement and correct it in Xero by hand.",
        )
    entry_id = app.accounting.spend_money(
        SpendMoneyDraft(
            bank_account_code=clearing,
            expense_account_code=fee_account,
            contact_name=str(p["contact"]),
            amount=amount,
            on=date.fromisoformat(str(p["on"])),
            reference=reference,
            description=str(p.get("description") or reference),
        ),
        idempotency_key=row.key,
    )
    checkpoint("after_xero_write")
    return Done(result={"bank_transaction_id": entry_id})


def transfer_payout(app: App, row: OutboxRow, checkpoint: Checkpoint) -> Outcome:
    p = row.payload
    amount = Money.of(str(p["amount"]), str(p["currency"]))
    clearing, bank, reference = str(p["clearing_account"]), str(p["bank_account"]), str(p["reference"])
    problem = _chart_problem(app.accounting.accounts(), banks=[clearing, bank])
    if problem:
        return Failed(
            reason=f"The transfer of {reference} cannot be booked: {problem}.",
            suggested_action=f"Fix the account in Xero or the settings, then `reseller-worker orders retry {row.key}`.",
        )
    found = [
        e
        for e in app.accounting.transfers_with(reference=reference, currency=amount.currency)
        if e.account_code == clearing and e.to_account_code == bank
    ]
    same, other = _same(found, amount)
    if same:
        return Done(result={"bank_transfer_id": same[0].entry_id, "already_in_xero": True})
    if other:
        return Failed(
            reason=f"Xero already has a transfer {reference} from {clearing} to {bank} for {other[0].amount}, not "
            f"the {amount} paid out; not transferring twice.",
            suggested_action="Compare it with the bank line and correct it in Xero by hand.",
        )
    transfer_id = app.accounting.transfer(
        BankTransferDraft(
            from_account_code=clearing,
            to_account_code=bank,
            amount=amount,
            on=date.fromisoformat(str(p["on"])),
            reference=reference,
        ),
        idempotency_key=row.key,
    )
    checkpoint("after_xero_write")
    return Done(result={"bank_transfer_id": transfer_id})
