"""The outbox's handlers: what each kind of side effect does, checking the other side before acting.

A handler returns `Done` (with the writes that record it, applied in the transaction that marks the row done),
`Failed` (a business outcome a person must handle) or `Waiting` (the other side accepted and has not finished: look
again later); outside systems raise `integrations.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from integrations.ports import OutgoingMail

if TYPE_CHECKING:
    from worker.app import App
    from worker.outbox import OutboxRow

# Named points between an outside call and its recording; tests use them to kill the process there.
Checkpoint = Callable[[str], None]


def no_checkpoint(name: str) -> None:
    """The default: boundaries are not observed."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Done:
    result: Mapping[str, Any] = field(default_factory=dict)
    record: Callable[[Connection], None] | None = None  # runs in the transaction that marks the row done
    notify: OutgoingMail | None = None  # sent after the commit, best effort (the report repeats it anyway)


@dataclass(frozen=True, kw_only=True, slots=True)
class Failed:
    reason: str
    suggested_action: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Waiting:
    """Asked, accepted, not finished (a registrar order queued for funds): the row stays pending and comes back in
    `check_again_in` without spending an attempt; `record` runs in the transaction that puts it back."""

    reason: str
    check_again_in: timedelta
    record: Callable[[Connection], None] | None = None


Outcome = Done | Failed | Waiting
Handler = Callable[["App", "OutboxRow", Checkpoint], Outcome]
