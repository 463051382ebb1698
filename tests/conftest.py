"""Shared fixtures: databases (SQLite always, PostgreSQL when RW_TEST_POSTGRES_URL is set), settings, services.

A test whose service is missing skips with the reason outside CI; under CI=true it fails instead, so CI never
passes by skipping.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, text

from config.settings import Settings, load_settings
from worker.store.database import make_engine, upgrade

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get("RW_TEST_POSTGRES_URL", "")


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """A test that runs the CLI configures logging onto pytest's captured stream, which is closed afterwards;
    put structlog and the root logger back so the next test does not write to a closed file."""
    yield
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)


def require_service(available: bool, reason: str) -> None:
    """Skip outside CI, fail in CI: a missing service must never turn a CI run green."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"required test service missing in CI: {reason}")
    pytest.skip(reason)


def _postgres_engine() -> Iterator[Engine]:
    require_service(bool(POSTGRES_URL), "PostgreSQL not configured (set RW_TEST_POSTGRES_URL)")
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Each test gets its own schema, so tests never see each other's rows.
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: an SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'worker.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
    else:
        gen = _postgres_engine()
        eng = next(gen)
        upgrade(eng)
        yield eng
        gen.close()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file, for tests that are about something other than the database."""
    eng = make_engine(f"sqlite:///{tmp_path / 'worker.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Built-in defaults with data under the test's own directory."""
    return load_settings(None, {"RW_WORKER_DATA_DIR": str(tmp_path / "var")}, base_dir=tmp_path)
