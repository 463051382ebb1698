"""The outbox's handlers: what each kind of side effect does, checking the other side before acting.

A handler returns `Done` (with the writes that record it, applied in the transaction that marks the row done)
or `Failed` (a business outcome a person must handle); outside systems raise `integrations.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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


Outcome = Done | Failed
Handler = Callable[["App", "OutboxRow", Checkpoint], Outcome]
