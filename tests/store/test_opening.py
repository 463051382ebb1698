"""Opening the database: created only by `db upgrade` on a new path; a database in use that is now gone, empty or
damaged is refused with what to do, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import inspect, text

from tests.conftest import POSTGRES_URL, require_service
from worker.store.database import make_engine
from worker.store.opening import MARKER, DatabaseUnusable, open_database, place_of, sqlite_header_damage


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with nothing in it yet: a new SQLite path, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'worker.db'}"
        return
    require_service(bool(POSTGRES_URL), "PostgreSQL not configured (set RW_TEST_POSTGRES_URL)")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def empty_it(url: str) -> None:
    """Lose every table, as a wiped volume or a dropped database would."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for name in inspect(conn).get_table_names():
            conn.execute(
                text(f'DROP TABLE IF EXISTS "{name}" CASCADE' if "postgresql" in url else f'DROP TABLE "{name}"')
            )
    engine.dispose()


def test_only_db_upgrade_creates_and_then_every_command_opens(url: str, tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnusable, match=r"no database at .* yet: create it with 'reseller-worker db upgrade'"):
        open_database(url, tmp_path / "var")
    open_database(url, tmp_path / "var", create=True).dispose()
    assert place_of(url).shown in (tmp_path / "var" / MARKER).read_text()
    engine = open_database(url, tmp_path / "var")
    with engine.connect() as conn:
        assert "job_runs" in inspect(conn).get_table_names()
    engine.dispose()


def test_a_database_in_use_that_lost_its_tables_is_refused_even_by_db_upgrade(url: str, tmp_path: Path) -> None:
    data = tmp_path / "var"
    open_database(url, data, create=True).dispose()
    empty_it(url)
    for create in (False, True):
        with pytest.raises(DatabaseUnusable, match=r"used it since .*restore your latest backup.*--new") as refused:
            open_database(url, data, create=create)
        assert not refused.value.transient
    # Asked for in so many words, a new empty database is made.
    open_database(url, data, create=True, new=True).dispose()
    open_database(url, data).dispose()


def test_tables_of_another_program_or_a_newer_version_are_refused(url: str, tmp_path: Path) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER)"))
    with pytest.raises(DatabaseUnusable, match="no reseller-worker migration record"):
        open_database(url, tmp_path / "var", create=True)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE invoices"))
    engine.dispose()
    open_database(url, tmp_path / "var", create=True).dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    with pytest.raises(DatabaseUnusable, match=r"at migration 0999, which this version .* does not know"):
        open_database(url, tmp_path / "var")


def test_a_missing_table_at_the_latest_migration_is_damage(url: str, tmp_path: Path) -> None:
    open_database(url, tmp_path / "var", create=True).dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE payer_links"))
    engine.dispose()
    with pytest.raises(DatabaseUnusable, match=r"damaged \(tables missing: payer_links\)"):
        open_database(url, tmp_path / "var")


def test_health_and_status_read_without_migrating(url: str, tmp_path: Path) -> None:
    """`migrate=False` opens an existing database as it is (an older revision stays older)."""
    from worker.store.database import current_revision, upgrade

    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    engine = open_database(url, tmp_path / "var", migrate=False)
    assert current_revision(engine) == "0001"
    engine.dispose()
    engine = open_database(url, tmp_path / "var")
    assert current_revision(engine) != "0001"
    engine.dispose()


def test_unreachable_postgres_is_transient_and_names_no_password(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DatabaseUnusable, match="cannot reach the database") as refused:
        open_database(f"postgresql://u:hunter2@127.0.0.1:{port}/x", tmp_path / "var")
    assert refused.value.transient
    assert "hunter2" not in str(refused.value) and "***" in str(refused.value)


@pytest.mark.parametrize(
    ("header", "size", "found"),
    [
        (b"", 0, "header is wrong"),
        (b"PK\x03\x04" + bytes(96), 4096, "header is wrong"),
        # page size 4096, change counter 7, 10 pages, valid-for 7: 40960 bytes expected
        (
            b"SQLite format 3\x00\x10\x00"
            + bytes(6)
            + (7).to_bytes(4)
            + (10).to_bytes(4)
            + bytes(60)
            + (7).to_bytes(4)
            + bytes(4),
            40960,
            "",
        ),
        (
            b"SQLite format 3\x00\x10\x00"
            + bytes(6)
            + (7).to_bytes(4)
            + (10).to_bytes(4)
            + bytes(60)
            + (7).to_bytes(4)
            + bytes(4),
            8192,
            "truncated: 8192 bytes of 40960",
        ),
        # valid-for differs from the counter (an old writer): the page count is not to be trusted
        (
            b"SQLite format 3\x00\x10\x00"
            + bytes(6)
            + (7).to_bytes(4)
            + (10).to_bytes(4)
            + bytes(60)
            + (6).to_bytes(4)
            + bytes(4),
            8192,
            "",
        ),
        (b"SQLite format 3\x00\x03\x00" + bytes(82), 4096, "impossible page size 768"),
    ],
)
def test_sqlite_header_reading(header: bytes, size: int, found: str) -> None:
    assert (sqlite_header_damage(header, size) == "") == (found == "")
    assert found in sqlite_header_damage(header, size)
