"""The provider's monthly bill as values: each line a `Charge` (date, action, domain or site, years or period, plan,
amount), read from a CSV statement or from the free text of a Xero bill line.

A CSV statement is read whole or not at all: every line that cannot be read is reported with its line number.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from rules.money import Money


class ChargeAction(StrEnum):
    REGISTER = "register"
    RENEW = "renew"
    TRANSFER = "transfer"
    HOSTING = "hosting"


# The words providers use for each action, in statements and on bill lines.
ACTION_WORDS: Mapping[str, ChargeAction] = {
    "register": ChargeAction.REGISTER,
    "registration": ChargeAction.REGISTER,
    "new": ChargeAction.REGISTER,
    "add": ChargeAction.REGISTER,
    "renew": ChargeAction.RENEW,
    "renewal": ChargeAction.RENEW,
    "autorenew": ChargeAction.RENEW,
    "auto-renew": ChargeAction.RENEW,
    "auto-renewal": ChargeAction.RENEW,
    "transfer": ChargeAction.TRANSFER,
    "transfer-in": ChargeAction.TRANSFER,
    "hosting": ChargeAction.HOSTING,
    "host": ChargeAction.HOSTING,
}


@dataclass(frozen=True, kw_only=True, slots=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-10' (the only spelling accepted, so scripts cannot be misread)."""
        m = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text.strip())
        if m is None:
            raise ValueError(f"a month is written YYYY-MM, like 2026-10; not {text!r}")
        return cls(year=int(m.group(1)), month=int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(year=day.year, month=day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def next(self) -> Month:
        return Month.of(self.last + timedelta(days=1))

    def previous(self) -> Month:
        return Month.of(self.first - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Period:
    """Days, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @classmethod
    def of_month(cls, month: Month) -> Period:
        return cls(start=month.first, end=month.last)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlap(self, other: Period) -> Period | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start=start, end=end) if start <= end else None

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Charge:
    """One line of the provider's bill."""

    source: str  # where a person finds it: "statement.csv line 7", "bill BILL-0042 line 3"
    on: date  # the day charged (a Xero bill line names none: the bill's date)
    action: ChargeAction | None  # None: a Xero bill line whose text could not be read
    item: str  # the domain, or the site's domain for hosting; lower case
    amount: Money  # excluding tax
    years: int = 1
    period: Period | None = None  # hosting: the days charged for
    plan: str = ""
    reference: str = ""  # the provider's order or transaction id
    text: str = ""  # the line as the provider wrote it

    @property
    def service_period(self) -> Period:
        """Hosting: the days charged for (the month of the charge's date when the line names none)."""
        return self.period or Period.of_month(Month.of(self.on))


# ---- the CSV statement -------------------------------------------------------------------------------------------

STATEMENT_COLUMNS = ("date", "action", "domain", "years", "plan", "period_from", "period_to", "amount", "currency")
REQUIRED_COLUMNS = ("date", "action", "domain", "amount")
OPTIONAL_COLUMNS = ("reference", "description")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{2,59})")
_DOMAIN_IN_TEXT = re.compile(r"(?<![\w@.-])" + _DOMAIN.pattern + r"(?![\w-])")


class StatementError(ValueError):
    """The statement cannot be imported; `problems` names every line that cannot be read."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _day(value: str, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a date written YYYY-MM-DD") from None


def read_statement(text: str, *, name: str, currency: str) -> tuple[Charge, ...]:
    """Every line of a CSV statement as a charge, or StatementError listing every line that cannot be read (with
    its line number in the file, the header being line 1). `currency` is used where a line names none."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise StatementError([f"{name}: the file is empty; the first line must name the columns"]) from None
    except csv.Error as exc:
        raise StatementError([f"{name} line 1: {exc}"]) from None
    columns = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise StatementError(
            [
                f"{name} line 1: missing column(s) {', '.join(missing)}; the header names "
                f"{', '.join(c for c in columns if c) or 'nothing'}"
            ]
        )
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise StatementError([f"{name} line 1: column(s) {', '.join(repeated)} named twice"])
    charges: list[Charge] = []
    problems: list[str] = []
    try:
        for row in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                problems.append(f"{name} line {number}: {len(row)} cells, but the header names {len(columns)} columns")
                continue
            cells = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(columns)}
            try:
                charges.append(_statement_charge(cells, source=f"{name} line {number}", currency=currency))
            except ValueError as exc:
                problems.append(f"{name} line {number}: {exc}")
    except csv.Error as exc:
        problems.append(f"{name} line {reader.line_num}: {exc}")
    if problems:
        raise StatementError(problems)
    if not charges:
        raise StatementError([f"{name}: no charges below the header"])
    return tuple(charges)


def _statement_charge(cells: Mapping[str, str], *, source: str, currency: str) -> Charge:
    for column in REQUIRED_COLUMNS:
        if not cells.get(column):
            raise ValueError(f"{column} is empty")
    on = _day(cells["date"], "date")
    word = cells["action"].lower()
    action = ACTION_WORDS.get(word)
    if action is None:
        raise ValueError(f"action {cells['action']!r} is not one of register, renew, transfer, hosting")
    item = cells["domain"].lower().rstrip(".")
    if not _DOMAIN.fullmatch(item):
        raise ValueError(f"domain {cells['domain']!r} is not a domain name")
    try:
        amount = Decimal(cells["amount"].replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"amount {cells['amount']!r} is not an amount like 18.50") from None
    if not amount.is_finite():
        raise ValueError(f"amount {cells['amount']!r} is not an amount like 18.50")
    if amount < 0:
        raise ValueError(f"amount {cells['amount']} is a credit; month-end reads charges only: leave credits out")
    code = (cells.get("currency") or currency).upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"currency {cells.get('currency')!r} is not a code like NZD")
    years = 1
    if cells.get("years"):
        if not cells["years"].isdigit() or not 1 <= int(cells["years"]) <= 10:
            raise ValueError(f"years {cells['years']!r} is not a whole number from 1 to 10")
        years = int(cells["years"])
    period: Period | None = None
    start, end = cells.get("period_from", ""), cells.get("period_to", "")
    if start or end:
        if action is not ChargeAction.HOSTING:
            raise ValueError("period_from and period_to are for hosting lines only")
        if not (start and end):
            raise ValueError("give both period_from and period_to, or neither (the month of the date)")
        period = Period(start=_day(start, "period_from"), end=_day(end, "period_to"))
    plan = cells.get("plan", "").lower()
    if action is ChargeAction.HOSTING and not plan:
        raise ValueError("a hosting line needs its plan")
    return Charge(
        source=source,
        on=on,
        action=action,
        item=item,
        amount=Money(amount=amount, currency=code),
        years=years if action is not ChargeAction.HOSTING else 1,
        period=period,
        plan=plan,
        reference=cells.get("reference", ""),
        text=cells.get("description", ""),
    )


# ---- a Xero bill line's text -------------------------------------------------------------------------------------

_WORDS = re.compile(r"[a-z][a-z-]*")
_YEARS = re.compile(r"\b(\d{1,2})\s*(?:years?|yrs?|y)\b", re.I)
_PLAN = re.compile(r"\b([a-z][\w+-]{0,30})\s+plan\b|\bplan[:\s]+([a-z][\w+-]{0,30})", re.I)
_ISO_DAY = r"(\d{4}-\d{2}-\d{2})"
_RANGE = re.compile(_ISO_DAY + r"\s*(?:to|until|-|–|\.\.)\s*" + _ISO_DAY)
_ISO_MONTH = re.compile(r"\b(\d{4})-(\d{2})\b(?!-\d)")
_MONTH_NAMES = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTH_NAMES.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_NAMED_MONTH = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{4})\b")


def read_bill_line(
    text: str,
    *,
    source: str,
    amount: Money,
    covers: Month,
    item_action: ChargeAction | None = None,
    plans: frozenset[str] = frozenset(),
    reference: str = "",
) -> Charge:
    """A Xero bill line as a charge, read from its description (and the action its item code names, when the
    provider's item codes are configured). `covers` is the month the bill is for: a line naming no day is dated its
    last day, and a hosting line naming no period is for the whole of it. A line whose action, domain or (hosting)
    plan cannot be found keeps `action=None`, so the reconciliation names it instead of losing it."""
    lowered = text.lower()
    action = item_action or _action_in(lowered)
    found_domain = _DOMAIN_IN_TEXT.search(lowered)
    domain = found_domain.group(0) if found_domain else ""
    years = 1
    if action is not ChargeAction.HOSTING:
        found = _YEARS.search(text)
        years = max(1, int(found.group(1))) if found else 1
    plan = _plan_in(text, plans) if action is ChargeAction.HOSTING else ""
    period = (_period_in(text) or Period.of_month(covers)) if action is ChargeAction.HOSTING else None
    on = period.start if period is not None else _day_in(text) or covers.last
    readable = action is not None and bool(domain) and (action is not ChargeAction.HOSTING or bool(plan))
    return Charge(
        source=source,
        on=on,
        action=action if readable else None,
        item=domain,
        amount=amount,
        years=years,
        period=period,
        plan=plan,
        reference=reference,
        text=text,
    )


def _action_in(lowered: str) -> ChargeAction | None:
    for word in _WORDS.findall(lowered):
        found = ACTION_WORDS.get(word)
        if found is not None and word not in ("new", "add", "host"):
            return found
    return None


def _plan_in(text: str, plans: frozenset[str]) -> str:
    m = _PLAN.search(text)
    if m is not None:
        return (m.group(1) or m.group(2) or "").lower()
    words = set(_WORDS.findall(text.lower()))
    known = sorted(p for p in plans if p in words)
    return known[0] if len(known) == 1 else ""


def _day_in(text: str) -> date | None:
    m = re.search(_ISO_DAY, text)
    if m is None:
        return None
    try:
        return date.fromisoformat(m.group(1))
    except ValueError:
        return None


def _period_in(text: str) -> Period | None:
    m = _RANGE.search(text)
    if m is not None:
        try:
            return Period(start=date.fromisoformat(m.group(1)), end=date.fromisoformat(m.group(2)))
        except ValueError:
            return None
    m2 = _ISO_MONTH.search(text)
    if m2 is not None and 1 <= int(m2.group(2)) <= 12:
        return Period.of_month(Month(year=int(m2.group(1)), month=int(m2.group(2))))
    for m3 in _NAMED_MONTH.finditer(text):
        number = _MONTH_NAMES.get(m3.group(1).lower())
        if number is not None:
            return Period.of_month(Month(year=int(m3.group(2)), month=number))
    return None


def month_named_in(text: str) -> Month | None:
    """The month a bill's number or reference names ("2026-10", "October 2026", "Oct 2026"), if any."""
    period = _period_in(text)
    if period is None or Month.of(period.start) != Month.of(period.end):
        return None
    return Month.of(period.start)
