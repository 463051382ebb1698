"""What every section of the morning report is built from, and small readers they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, MetaData, Table, inspect

from config.settings import Settings
from rules.money import Money
from worker.invocation import cli_prefix
from worker.report.model import Figure, Section
from worker.review_list import ReviewEntry

if TYPE_CHECKING:
    from worker.health import JobState  # typing only: health reads the job table, the report only its states


@dataclass(frozen=True, kw_only=True)
class ReportInputs:
    """What every section builder may read: one connection, the settings, the moment and the review items as
    they stand (read once, shared by the sections that show them)."""

    conn: Connection
    settings: Settings
    now: datetime
    since: datetime
    today: date
    states: Sequence[JobState]
    entries: Sequence[ReviewEntry]
    expiring_within_days: int
    memo: dict[str, Any] = field(default_factory=dict)  # facts read once and shared by the sections

    def remembered(self, key: str, read: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = read()
        return self.memo[key]

    @property
    def zone(self) -> str:
        return self.settings.worker.timezone

    @property
    def prefix(self) -> str:
        return cli_prefix(self.settings)

    @property
    def home(self) -> str:
        return self.settings.worker.home_currency


Built = tuple[Section, tuple[Figure, ...]]
Builder = Callable[[ReportInputs], Built]


def money_or_none(amount: Any, currency: Any) -> Money | None:
    if amount in (None, "") or not isinstance(currency, str) or len(currency) != 3:
        return None
    try:
        return Money.of(str(amount), currency)
    except (ValueError, TypeError, InvalidOperation):
        return None


def money_from(value: Any) -> Money | None:
    """A cost as written by a handler: {"amount", "currency"}, or "12.50 NZD"."""
    if isinstance(value, Mapping):
        return money_or_none(value.get("amount"), value.get("currency"))
    if isinstance(value, str) and " " in value.strip():
        amount, currency = value.strip().rsplit(" ", 1)
        return money_or_none(amount.replace(",", ""), currency)
    return None


def optional_table(conn: Connection, name: str) -> Table | None:
    if not inspect(conn).has_table(name):
        return None
    return Table(name, MetaData(), autoload_with=conn)


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
