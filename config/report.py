"""Settings for the morning exceptions report, the SMTP server that carries it, and the daemon's timetable.

The timetable lives here because the report is where a late job shows up; `[report]` keys such as
`sync_xero_every = 300` (seconds) and `sync_registrar_at = "03:30"` tune it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from config.sources import Reader

# Seconds between runs of each interval job, by job name; the defaults suit a small reseller.
DEFAULT_EVERY: dict[str, int] = {
    "sync_xero": 300,
    "watch_inbox": 5,
    "match_receipts": 60,
    "match_payouts": 300,
    "dispatch_outbox": 60,
    "raise_renewals": 3600,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleSettings:
    every: tuple[tuple[str, int], ...]  # (job name, seconds between runs)
    sync_registrar_at: str  # HH:MM, daily, in the worker's time zone
    misfire_grace_seconds: int  # a run this late still happens; later ones are skipped (and coalesced)
    late_factor: int  # a job is late when its last success is older than interval x factor (+ grace)

    def seconds(self, job: str) -> int | None:
        return dict(self.every).get(job)


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportSettings:
    to: tuple[str, ...]
    sender: str
    send_at: str  # HH:MM in the worker's time zone
    smtp_host: str
    smtp_port: int
    smtp_security: str  # starttls | ssl | none (loopback only)
    smtp_username: str
    smtp_password: str = field(repr=False)  # secret
    smtp_timeout_seconds: int
    expiring_within_days: int
    schedule: ScheduleSettings


def _hh_mm(r: Reader, key: str, default: str) -> str:
    value = r.str(key, default)
    hh, _, mm = value.partition(":")
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
        r.problems.add(r.where(key), f"must be HH:MM, not {value!r}")
        return default
    return value


def read_schedule(r: Reader) -> ScheduleSettings:
    every = tuple(
        (job, r.int(f"{job}_every", seconds, minimum=1, maximum=7 * 86400)) for job, seconds in DEFAULT_EVERY.items()
    )
    return ScheduleSettings(
        every=every,
        sync_registrar_at=_hh_mm(r, "sync_registrar_at", "03:30"),
        misfire_grace_seconds=r.int("misfire_grace_seconds", 300, minimum=1, maximum=86400),
        late_factor=r.int("late_factor", 3, minimum=2, maximum=100),
    )


def read_report(r: Reader) -> ReportSettings:
    return ReportSettings(
        to=r.list("to"),
        sender=r.str("sender", "reseller-worker@localhost"),
        send_at=_hh_mm(r, "send_at", "07:00"),
        smtp_host=r.str("smtp_host", ""),
        smtp_port=r.int("smtp_port", 587, minimum=1, maximum=65535),
        smtp_security=r.str("smtp_security", "starttls", choices=("starttls", "ssl", "none")),
        smtp_username=r.str("smtp_username", ""),
        smtp_password=r.secret("smtp_password", required=False),
        smtp_timeout_seconds=r.int("smtp_timeout_seconds", 30, minimum=1, maximum=600),
        expiring_within_days=r.int("expiring_within_days", 30, minimum=1, maximum=365),
        schedule=read_schedule(r),
    )
