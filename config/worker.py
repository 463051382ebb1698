"""Settings for the process itself: where data lives, which database, time zone, logging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkerSettings:
    data_dir: Path
    database_url: str
    timezone: str
    home_currency: str
    log_format: str  # auto | json | console
    # Set through the environment rather than the file: a command printed for a person to paste into another
    # shell names the data directory itself (the URL may hold a password, so it is only mentioned).
    data_dir_from_env: bool = False
    database_url_from_env: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def business_day(self, moment: datetime) -> date:
        """The reseller's calendar day at `moment`: the date a hosting service starts, changes or stops, an invoice
        is dated, an order is placed. Never the UTC date: 11 pm on the 31st in Auckland is already the 1st in UTC."""
        return business_day(moment, self.zone)


def business_day(moment: datetime, zone: tzinfo) -> date:
    """`moment`'s date in `zone`; a naive moment is UTC (SQLite gives stored times back without their zone)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def read_worker(r: Reader, base_dir: Path) -> WorkerSettings:
    data_dir = Path(r.str("data_dir", "var"))
    if not data_dir.is_absolute():
        data_dir = base_dir / data_dir
    # The database URL may carry a password, so it is accepted from the environment as well as the file.
    url = r.str("database_url", f"sqlite:///{data_dir / 'reseller-worker.db'}")
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        r.problems.add(r.where("database_url"), "must be a sqlite:/// or postgresql:// URL")
    tz = r.str("timezone", "Pacific/Auckland")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        r.problems.add(r.where("timezone"), f"unknown time zone {tz!r}")
        tz = "UTC"
    currency = r.str("home_currency", "NZD")
    if len(currency) != 3 or not currency.isupper():
        r.problems.add(r.where("home_currency"), f"must be an ISO 4217 code like NZD, not {currency!r}")
    log_format = r.str("log_format", "auto", choices=("auto", "json", "console"))
    return WorkerSettings(
        data_dir=data_dir,
        database_url=url,
        timezone=tz,
        home_currency=currency,
        log_format=log_format,
        data_dir_from_env=r.env_name("data_dir") in r.environ,
        database_url_from_env=r.env_name("database_url") in r.environ,
    )
