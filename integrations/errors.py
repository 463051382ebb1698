"""Errors raised by adapters, so no vendor exception type reaches `worker/`.

IntegrationError
├── TransientError          worth retrying: timeouts, 5xx, connection drops
│   └── RateLimited         429; `retry_after` seconds, `limit` is "minute", "day", ...
└── PermanentError          retrying cannot help: 4xx validation, auth refused, bad data
    ├── NotConfigured       the adapter lacks a setting or credential it needs
    ├── NotFound            no such resource (404)
    └── AmountExceedsDue    a payment larger than what is still owing on the invoice
"""

from __future__ import annotations


class IntegrationError(Exception):
    """Something outside the worker failed; `system` names which."""

    def __init__(self, message: str, *, system: str = "") -> None:
        super().__init__(message)
        self.system = system


class TransientError(IntegrationError):
    """Retrying later may succeed."""


class RateLimited(TransientError):
    def __init__(self, message: str, *, system: str = "", retry_after: float = 60.0, limit: str = "minute") -> None:
        super().__init__(message, system=system)
        self.retry_after = retry_after
        self.limit = limit


class PermanentError(IntegrationError):
    """Retrying cannot help; a person must look."""


class NotConfigured(PermanentError):
    """A required setting or credential is missing."""


class NotFound(PermanentError):
    """The outside system holds no such thing (HTTP 404 for a named resource)."""


class AmountExceedsDue(PermanentError):
    """The payment is more than the invoice still owes, which Xero refuses (OAS Payment.Amount: "Must be less than or
    equal to the outstanding amount owing"): record what is owed and deal with the rest, never send it again."""

    def __init__(self, message: str, *, system: str = "", amount_due: str = "") -> None:
        super().__init__(message, system=system)
        self.amount_due = amount_due  # what Xero says is still owing, as a decimal string ("" when unknown)
