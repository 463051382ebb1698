"""Repeats decided by content, never by a label the sender chose: the same message is the same bytes, and a
Message-ID that comes back with other content is a second message, kept and shown to a person (a forged message
sent first must not hide the genuine one that follows under the same Message-ID)."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from rules.model import Decision, DecisionKind

# A receipt flag: its notice arrived under a Message-ID an earlier, different message already used.
REUSED_MESSAGE_ID = "reused_message_id"
REUSED_ACTION = (
    "Two different messages came with the same Message-ID: open both, check the payment with the payment service, "
    "and act on the genuine one by hand."
)


class Seen(StrEnum):
    NEW = "new"  # no message with this Message-ID yet
    SAME = "same"  # the very same bytes again: a repeat delivery
    REUSED = "reused"  # the Message-ID again, with other content


class MessageLog:
    """Which contents (digests of the raw bytes) each Message-ID stood for, in the order they came."""

    def __init__(self) -> None:
        self._digests: dict[str, set[str]] = {}

    def note(self, message_id: str, digest: str) -> Seen:
        """Remember this message and say whether it repeats one seen before."""
        digests = self._digests.setdefault(message_id, set())
        if digest in digests:
            return Seen.SAME
        seen = Seen.REUSED if digests else Seen.NEW
        digests.add(digest)
        return seen


def kept_for_review(decision: Decision) -> Decision:
    """The decision on a message whose Message-ID an earlier, different message used: never acted on and never
    dropped. A rejection stays one (a person sees it anyway); anything else goes to a person."""
    if decision.kind is DecisionKind.REJECT:
        return decision
    note = "its Message-ID was used by an earlier, different message"
    if decision.kind is DecisionKind.REVIEW:
        return replace(decision, reason=f"{decision.reason}; {note}")
    return replace(
        decision,
        kind=DecisionKind.REVIEW,
        reason=f"{decision.reason}; but {note}: a person checks",
        review_kind=REUSED_MESSAGE_ID,
        suggested_action=REUSED_ACTION,
    )
