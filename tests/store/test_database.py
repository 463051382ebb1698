"""The migration chain builds the same schema on SQLite and PostgreSQL, and goes back down cleanly."""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from worker.store.database import current_revision, make_engine, normalise_url, upgrade
from worker.store.tables import metadata

# Every area's tables join the shared metadata when their module is imported.
for _area in ("inbox_tables", "outbox_tables", "review_tables"):
    importlib.import_module(f"worker.store.{_area}")


def test_upgrade_creates_every_table_the_code_uses(engine: Engine) -> None:
    """After `upgrade`, every table in the code's metadata exists with every column the code expects."""
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        assert inspector.has_table(table.name), table.name
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, table.name


def test_upgrade_is_idempotent_and_reports_head(engine: Engine) -> None:
    """Running the migrations again (as every start does) changes nothing."""
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before is not None


def test_downgrade_to_base_removes_everything(engine: Engine) -> None:
    """Each migration's downgrade undoes it, so a bad release can be rolled back."""
    from alembic import command

    from worker.store.database import alembic_config

    command.downgrade(alembic_config(engine), "base")
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert names == set()
    upgrade(engine)
    assert inspect(engine).has_table("outbox")


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    """The embedded SQLite file runs in WAL mode so the report can read while the worker writes."""
    eng = make_engine(f"sqlite:///{tmp_path / 'sub' / 'w.db'}")
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert (tmp_path / "sub").is_dir()


def test_postgres_url_uses_psycopg3() -> None:
    """A plain postgresql:// URL is sent to psycopg 3, the driver the worker ships."""
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
