"""A prepaid registrar account (LogicBoxes): will its balance cover what is about to be bought? The balance less the
registrations and renewals already queued and the renewals due within the next days; below zero is a warning given
before a registration fails for want of funds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from rules.money import Money


@dataclass(frozen=True, kw_only=True, slots=True)
class Commitment:
    """Something the account will pay for soon."""

    action: str  # register, renew
    domain: str
    years: int
    cost: Money | None  # the price table's; None when the table has no price for it
    due: date | None = None  # renewals: the expiry; queued actions: None (any moment now)
    queued: bool = False  # already in the outbox (paid by the customer), not only due


@dataclass(frozen=True, kw_only=True, slots=True)
class BalanceOutlook:
    available: Money  # the balance less what the registrar holds locked
    checked_at: datetime
    days_ahead: int
    queued: tuple[Commitment, ...]
    due: tuple[Commitment, ...]
    committed: Money | None  # None when a commitment is priced in another currency
    left: Money | None
    unpriced: tuple[Commitment, ...]  # no price in the table: not counted, named

    @property
    def short(self) -> bool:
        """The balance would go below zero."""
        return self.left is not None and self.left.amount < 0

    @property
    def warning(self) -> str:
        if self.left is None:
            return (
                f"The registrar balance is in {self.available.currency} but the price table is not: the worker cannot "
                "tell whether it covers what is queued and due. Set [registrar] price_currency to the account's "
                "currency."
            )
        if not self.short:
            return ""
        return (
            f"The registrar balance of {self.available} does not cover the {len(self.queued)} registration(s) and "
            f"renewal(s) queued and the {len(self.due)} renewal(s) due within {self.days_ahead} days "
            f"({self.committed}): it is {-self.left.amount:,.2f} {self.left.currency} short. Add funds before a "
            "registration fails."
        )


def balance_outlook(
    *,
    balance: Money,
    locked: Money,
    checked_at: datetime,
    queued: Sequence[Commitment],
    due: Sequence[Commitment],
    days_ahead: int,
) -> BalanceOutlook:
    """What is left once everything queued and due is bought. `locked` (held by the registrar for orders in
    progress) is not available; a renewal already queued is not counted again as due."""
    available = balance - locked if locked.currency == balance.currency else balance
    queued_domains = {(c.action, c.domain) for c in queued}
    due = [c for c in due if ("renew", c.domain) not in queued_domains]
    priced = [c for c in (*queued, *due) if c.cost is not None]
    unpriced = tuple(c for c in (*queued, *due) if c.cost is None)
    committed: Money | None = Money.zero(available.currency)
    for c in priced:
        assert c.cost is not None
        if committed is None or c.cost.currency != available.currency:
            committed = None
            break
        committed = committed + c.cost
    return BalanceOutlook(
        available=available,
        checked_at=checked_at,
        days_ahead=days_ahead,
        queued=tuple(queued),
        due=tuple(sorted(due, key=lambda c: (c.due or date.min, c.domain))),
        committed=committed,
        left=None if committed is None else available - committed,
        unpriced=unpriced,
    )
