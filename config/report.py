"""Settings for the morning exceptions report and the SMTP server that carries it."""

from __future__ import annotations

from dataclasses import dataclass

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportSettings:
    to: tuple[str, ...]
    sender: str
    send_at: str  # HH:MM in the worker's time zone
    smtp_host: str
    smtp_port: int
    smtp_security: str  # starttls | ssl | none (loopback only)
    smtp_username: str
    smtp_password: str
    expiring_within_days: int


def read_report(r: Reader) -> ReportSettings:
    send_at = r.str("send_at", "07:00")
    hh, _, mm = send_at.partition(":")
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
        r.problems.add(r._where("send_at"), f"must be HH:MM, not {send_at!r}")
    return ReportSettings(
        to=r.list("to"),
        sender=r.str("sender", "reseller-worker@localhost"),
        send_at=send_at,
        smtp_host=r.str("smtp_host", ""),
        smtp_port=r.int("smtp_port", 587, minimum=1, maximum=65535),
        smtp_security=r.str("smtp_security", "starttls", choices=("starttls", "ssl", "none")),
        smtp_username=r.str("smtp_username", ""),
        smtp_password=r.secret("smtp_password", required=False),
        expiring_within_days=r.int("expiring_within_days", 30, minimum=1, maximum=365),
    )
