"""The report as a plain value: everything the renderers show, nothing they must look up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rules.money import Money


@dataclass(frozen=True, kw_only=True, slots=True)
class Alert:
    """A late or failing job, or a condition only a person can clear (the mailbox needs signing in again): shown
    first, because everything below depends on it."""

    job: str
    late: bool
    failing: bool
    last_success_at: datetime | None
    last_failure_at: datetime | None
    error: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DecisionNeeded:
    """One open review item with what the reseller needs to decide it."""

    review_id: int
    kind: str
    subject: str
    reason: str
    suggested_action: str
    evidence: tuple[tuple[str, str], ...]
    candidates: tuple[str, ...]
    commands: tuple[str, ...]  # exact commands, the suggested one first
    raised_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class FailedAction:
    key: str
    kind: str
    attempts: int
    error: str
    failed_at: datetime
    commands: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class RejectedNotice:
    review_id: int
    subject: str
    reason: str
    evidence: tuple[tuple[str, str], ...]
    raised_at: datetime
    commands: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class ExpiringDomain:
    domain: str
    expires: date
    days_left: int
    customer: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionDone:
    """Something the worker did since the last report, with its money where known."""

    kind: str  # registration, renewal, payment recorded, repeating invoice started, ...
    subject: str  # domain, invoice number, ...
    amount: Money | None
    upstream_cost: Money | None
    done_at: datetime

    @property
    def margin(self) -> Money | None:
        if self.amount is None or self.upstream_cost is None or self.amount.currency != self.upstream_cost.currency:
            return None
        return self.amount - self.upstream_cost


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceHealth:
    job: str
    plan: str
    last_success_at: datetime | None
    late: bool
    failing: bool
    last_error: str


@dataclass(frozen=True, kw_only=True, slots=True)
class MorningReport:
    generated_at: datetime
    since: datetime
    timezone: str
    alerts: tuple[Alert, ...]
    decisions: tuple[DecisionNeeded, ...]
    failed: tuple[FailedAction, ...]
    rejected: tuple[RejectedNotice, ...]
    expiring: tuple[ExpiringDomain, ...]
    expiring_within_days: int
    done: tuple[ActionDone, ...]
    sources: tuple[SourceHealth, ...]

    @property
    def needs_attention(self) -> int:
        return len(self.alerts) + len(self.decisions) + len(self.failed) + len(self.rejected) + len(self.expiring)

    @property
    def subject(self) -> str:
        day = self.generated_at.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d")
        if not self.needs_attention:
            return f"reseller-worker {day}: nothing needs you"
        return f"reseller-worker {day}: {self.needs_attention} to look at"
