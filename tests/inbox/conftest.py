"""Fixtures for the inbox tests: a shared private Dovecot per session, an App around any Mailbox."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from config.settings import Settings
from integrations.ports import Mailbox
from tests.conftest import require_service
from tests.inbox.dovecot import LEGACY_CAPABILITY, Dovecot, dovecot_available, start_dovecot
from worker.app import App


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A private Dovecot on a loopback port, shared by the session; each test takes its own user."""
    require_service(dovecot_available(), "dovecot not installed (apt-get install dovecot-imapd)")
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def legacy_dovecot() -> Iterator[Dovecot]:
    """A second Dovecot that announces neither MOVE nor IDLE, for the fallbacks."""
    require_service(dovecot_available(), "dovecot not installed (apt-get install dovecot-imapd)")
    server = start_dovecot(LEGACY_CAPABILITY)
    yield server
    server.stop()


def make_app(engine: Engine, settings: Settings, opener: Callable[[], Mailbox] | None, **inbox: Any) -> App:
    """An App for the inbox jobs: only settings, engine, clock and the mailbox matter here."""
    if inbox:
        settings = dataclasses.replace(settings, inbox=dataclasses.replace(settings.inbox, **inbox))
    return App(
        settings=settings,
        engine=engine,
        clock=lambda: datetime.now(UTC),
        accounting=None,  # type: ignore[arg-type]
        registrar=None,  # type: ignore[arg-type]
        mailer=None,
        open_mailbox=opener,
    )
