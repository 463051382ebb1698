"""The organisation's calendar: its time zone and month arithmetic. Xero names Organisation.Timezone the Windows
way, upper-cased and without spaces ("NEWZEALANDSTANDARDTIME", OAS `TimeZone`); CLDR's Windows-to-IANA table (as
tzlocal ships it) maps it to a real zone."""

from __future__ import annotations

from datetime import date, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

# When the organisation's zone is unknown, its date is taken where the day ends last (UTC-12): a date that is
# never ahead of the organisation's, wherever it is.
EARLIEST = timezone(timedelta(hours=-12), "UTC-12")


def _key(name: str) -> str:
    return "".join(name.split()).upper()


@cache
def _table() -> dict[str, str]:
    return {_key(windows): iana for windows, iana in win_tz.items()}


def organisation_zone(name: str) -> tzinfo:
    """The zone for Xero's Organisation.Timezone, or EARLIEST when the name is missing or unknown."""
    iana = _table().get(_key(name or ""))
    if iana is None and _key(name or "") == "UTC":
        iana = "UTC"
    if iana is None:
        return EARLIEST
    try:
        return ZoneInfo(iana)
    except ZoneInfoNotFoundError:
        return EARLIEST


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or that month's last day when it has no such day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no date for {day} + {months} months")
