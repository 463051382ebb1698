"""Helpers for daemon tests: a database URL another process can open, and an App over fakes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from config.settings import Settings
from integrations.mailer import FakeMailer
from worker.app import App, utc_now


def url_for(engine: Engine) -> str:
    """The engine's database as a URL a subprocess can use (PostgreSQL: with the test's own schema)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
    return f"{url}?options=-csearch_path%3D{schema}"


def make_app(settings: Settings, engine: Engine, clock: Callable[[], datetime] = utc_now) -> App:
    """An App for jobs that need only the database (accounting and registrar are not used by these tests)."""
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=None,  # type: ignore[arg-type]
        registrar=None,
        mailer=FakeMailer(),
        open_mailbox=None,
    )  # type: ignore[arg-type]


def with_inbox(settings: Settings) -> Settings:
    """Settings with an inbox to watch (a Maildir), so the daemon plans watch_inbox."""
    return dataclasses.replace(settings, inbox=dataclasses.replace(settings.inbox, kind="maildir"))


def with_schedule(settings: Settings, **changes: object) -> Settings:
    schedule = dataclasses.replace(settings.report.schedule, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(settings, report=dataclasses.replace(settings.report, schedule=schedule))


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """Defaults, with every interval job due each second."""
    every = tuple((name, 1) for name, _ in settings.report.schedule.every)
    return with_schedule(settings, every=every)
