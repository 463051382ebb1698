"""Fixtures for the review area: the outbox area's App on the parametrized database, fake Xero and registrar."""

from __future__ import annotations

from tests.outbox.conftest import accounting, app, clock, registrar

__all__ = ["accounting", "app", "clock", "registrar"]
