"""Fixtures for the notice reader tests."""

from __future__ import annotations

import pytest

from integrations.notices import SenderTrust
from tests.notices.support import corpus_trust


@pytest.fixture
def trust() -> SenderTrust:
    """The dev corpus's trust settings, DKIM keys from its context.json (no network)."""
    return corpus_trust()
