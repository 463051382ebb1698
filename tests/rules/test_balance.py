"""The prepaid registrar balance against what is queued and due."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rules.balance import Commitment, balance_outlook
from rules.money import Money

AT = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def nzd(amount: str) -> Money:
    return Money.of(amount, "NZD")


def renew(domain: str, cost: str | None = "21.50", *, queued: bool = False, due: date | None = None) -> Commitment:
    return Commitment(
        action="renew", domain=domain, years=1, cost=None if cost is None else nzd(cost), queued=queued, due=due
    )


def test_a_balance_that_covers_everything_gives_no_warning() -> None:
    outlook = balance_outlook(
        balance=nzd("100"), locked=nzd("0"), checked_at=AT, queued=[renew("a.nz", queued=True)], due=[], days_ahead=30
    )
    assert not outlook.short and outlook.left == nzd("78.50") and outlook.warning == ""


def test_queued_and_due_together_going_below_zero_is_a_warning_with_the_shortfall() -> None:
    outlook = balance_outlook(
        balance=nzd("60.00"),
        locked=nzd("10.00"),
        checked_at=AT,
        queued=[
            Commitment(action="register", domain="new.co.nz", years=1, cost=nzd("21.50"), queued=True),
        ],
        due=[renew("b.nz", due=date(2026, 12, 10)), renew("c.nz", due=date(2026, 12, 1))],
        days_ahead=30,
    )
    assert outlook.available == nzd("50.00") and outlook.committed == nzd("64.50")
    assert outlook.short and outlook.left == nzd("-14.50")
    assert "14.50 NZD short" in outlook.warning and "within 30 days" in outlook.warning
    assert [c.domain for c in outlook.due] == ["c.nz", "b.nz"]


def test_a_renewal_already_queued_is_not_counted_again_as_due() -> None:
    outlook = balance_outlook(
        balance=nzd("30"),
        locked=nzd("0"),
        checked_at=AT,
        queued=[renew("a.nz", queued=True)],
        due=[renew("a.nz", due=date(2026, 12, 1))],
        days_ahead=30,
    )
    assert outlook.committed == nzd("21.50") and not outlook.short


def test_unpriced_commitments_are_named_not_guessed() -> None:
    outlook = balance_outlook(
        balance=nzd("10"), locked=nzd("0"), checked_at=AT, queued=[], due=[renew("x.io", None)], days_ahead=30
    )
    assert outlook.committed == nzd("0") and [c.domain for c in outlook.unpriced] == ["x.io"]


def test_a_balance_in_another_currency_cannot_be_compared_and_says_so() -> None:
    outlook = balance_outlook(
        balance=Money.of("500", "USD"),
        locked=Money.of("0", "USD"),
        checked_at=AT,
        queued=[renew("a.nz", queued=True)],
        due=[],
        days_ahead=30,
    )
    assert outlook.left is None and not outlook.short and "price_currency" in outlook.warning
