"""Opening the worker's database for a command or the daemon, refusing one that is missing, emptied or damaged.

Only `reseller-worker db upgrade` creates a database, and only on a new path: a database this data directory has
used before (remembered in `DATA_DIR/database-in-use.json`) that is now gone or empty is never silently replaced by
an empty one, because every decision, review item and registrar to-do would be lost without a word.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from worker.data_dir import private_dir, private_file
from worker.store.database import make_engine, upgrade

MARKER = "database-in-use.json"
_SIDE = ("-wal", "-shm")  # SQLite's write-ahead log and its index, beside the database file
SQLITE_MAGIC = b"SQLite format 3\x00"
RESTORE = 'restore your latest backup (README, "Backups and restore")'
START_OVER = "to start over with an empty database instead, run 'reseller-worker db upgrade --new'"


class DatabaseUnusable(Exception):
    """The database cannot be used as it is; the message says why and what to do, in one line.

    `transient` when it may work again by itself (the server is unreachable), so a service manager retries."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, kw_only=True, slots=True)
class Place:
    """Where the database is, as the operator would name it (no password)."""

    url: str
    shown: str
    sqlite_path: Path | None  # None for PostgreSQL and in-memory SQLite


def place_of(url: str) -> Place:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnusable(f"database_url {url!r} is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        if not name or name == ":memory:":
            return Place(url=url, shown="sqlite (in memory)", sqlite_path=None)
        path = Path(name).absolute()
        return Place(url=url, shown=str(path), sqlite_path=path)
    return Place(url=url, shown=parsed.render_as_string(hide_password=True), sqlite_path=None)


def open_database(url: str, data_dir: Path, *, create: bool = False, new: bool = False, migrate: bool = True) -> Engine:
    """An engine on a usable, migrated database, or `DatabaseUnusable` saying what is wrong and what to do.

    `create` (only `db upgrade`) makes the database when its path is new; `new` also starts over on a database
    this data directory used before that is now gone or empty (never on a damaged one). `migrate=False` (health,
    status) reads the database as it is.
    """
    place = place_of(url)
    in_use_since = _in_use_since(data_dir, place)
    if place.sqlite_path is not None:
        _check_sqlite_file(place, in_use_since, create=create, new=new)
    engine = make_engine(url)
    try:
        state = _schema_state(engine, place)
        if state == "empty":
            if in_use_since is not None and not new:
                raise DatabaseUnusable(
                    f"the database {place.shown} has no tables, though this data directory has used it since "
                    f"{in_use_since}: if it held your data, {RESTORE}; {START_OVER}"
                )
            if not create:
                raise DatabaseUnusable(f"no database at {place.shown} yet: create it with 'reseller-worker db upgrade'")
        if migrate or state == "empty":
            upgrade(engine)
        if migrate:
            _check_tables(engine, place)
        _remember(data_dir, place)
        if place.sqlite_path is not None:
            for path in (place.sqlite_path, *(place.sqlite_path.with_name(place.sqlite_path.name + s) for s in _SIDE)):
                private_file(path)  # customers' names and payments: the worker's alone
    except DatabaseUnusable:
        engine.dispose()
        raise
    except DatabaseError as exc:  # OperationalError included: unreachable, refused, or damaged
        engine.dispose()
        raise database_problem(exc, place.shown) from None
    return engine


def database_problem(exc: BaseException, shown: str = "") -> DatabaseUnusable:
    """One line for a database error met at any point: damaged or incomplete (fix by hand), or unreachable, busy
    or refused (`transient`: it may work again by itself)."""
    orig = getattr(exc, "orig", None) or exc
    detail = " ".join(str(orig).split()) or type(orig).__name__
    lowered = detail.lower()
    name = f"the database {shown}" if shown else "the database"
    if any(word in lowered for word in ("malformed", "not a database", "disk image", "file is encrypted")):
        return DatabaseUnusable(f"{name} is damaged ({detail}): stop the worker, move the file aside and {RESTORE}")
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return DatabaseUnusable(f"{name} lacks a table the worker needs ({detail}): run 'reseller-worker db upgrade'")
    if any(word in lowered for word in ("connection", "could not connect", "timeout expired", "server closed")):
        return DatabaseUnusable(f"cannot reach {name}: {detail}", transient=True)
    if "locked" in lowered:
        return DatabaseUnusable(f"{name} is busy ({detail}): another process holds it; try again", transient=True)
    if isinstance(exc, OperationalError):
        return DatabaseUnusable(f"cannot use {name}: {detail}", transient=True)
    return DatabaseUnusable(f"{name} refused the request: {detail}", transient=True)


# ---- SQLite file checks ---------------------------------------------------------------------------------------


def _check_sqlite_file(place: Place, in_use_since: str | None, *, create: bool, new: bool) -> None:
    path = place.sqlite_path
    assert path is not None
    if not path.exists():
        if in_use_since is not None and not new:
            raise DatabaseUnusable(
                f"the database {path} is gone, though this data directory has used it since {in_use_since}: "
                f"{RESTORE} to that path; {START_OVER}"
            )
        if not create:
            raise DatabaseUnusable(f"no database at {path} yet: create it with 'reseller-worker db upgrade'")
        return
    if path.is_dir():
        raise DatabaseUnusable(f"the database path {path} is a directory, not a file")
    try:
        with path.open("rb") as f:
            header = f.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise DatabaseUnusable(f"cannot read the database {path}: {exc.strerror or exc}") from None
    if size == 0:
        if new:
            return  # nothing to lose: SQLite makes a database of an empty file
        raise DatabaseUnusable(f"the database {path} is empty (0 bytes): if it held your data, {RESTORE}; {START_OVER}")
    damage = sqlite_header_damage(header, size)
    if damage:
        raise DatabaseUnusable(
            f"the database {path} is damaged ({damage}): stop the worker, move the file aside and {RESTORE}"
        )


def sqlite_header_damage(header: bytes, size: int) -> str:
    """What the 100-byte SQLite header says is wrong with a file of `size` bytes ("" when nothing).

    Layout from https://www.sqlite.org/fileformat.html#the_database_header: page size at offset 16 (1 means
    65536), change counter at 24, page count at 28, valid only when "version-valid-for" at 92 equals the counter.
    """
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "not an SQLite database: its header is wrong"
    (raw_page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if raw_page_size == 1 else raw_page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"its header names an impossible page size {raw_page_size}"
    (change_counter,) = struct.unpack(">I", header[24:28])
    (pages,) = struct.unpack(">I", header[28:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    expected = pages * page_size
    if valid_for == change_counter and pages and size < expected:
        return f"truncated: {size} bytes of {expected}"
    return ""


# ---- schema checks --------------------------------------------------------------------------------------------


def _schema_state(engine: Engine, place: Place) -> str:
    """ "empty" (no tables at all) or "ours" (a known migration); anything else is refused."""
    from alembic.script import ScriptDirectory

    from worker.store.database import alembic_config

    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        if not names:
            return "empty"
        if "alembic_version" not in names:
            raise DatabaseUnusable(
                f"the database {place.shown} holds tables ({', '.join(sorted(names)[:3])}, ...) but no "
                "reseller-worker migration record: it is another program's database, or it is damaged"
            )
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}
    if revision is None:
        raise DatabaseUnusable(f"the database {place.shown} has lost its migration record: {RESTORE}")
    if revision not in known:
        raise DatabaseUnusable(
            f"the database {place.shown} is at migration {revision}, which this version of reseller-worker does "
            "not know: a newer version wrote it, so run that version"
        )
    return "ours"


def _check_tables(engine: Engine, place: Place) -> None:
    # Importing the area modules puts their tables on the shared metadata.
    from worker.store import inbox_tables, outbox_tables, payout_tables  # noqa: F401
    from worker.store.tables import metadata

    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    missing = sorted(set(metadata.tables) - present)
    if missing:
        raise DatabaseUnusable(
            f"the database {place.shown} is damaged (tables missing: {', '.join(missing)}): stop the worker and "
            f"{RESTORE}"
        )


# ---- the in-use marker ----------------------------------------------------------------------------------------


def _marker_entries(data_dir: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((data_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _in_use_since(data_dir: Path, place: Place) -> str | None:
    entry = _marker_entries(data_dir).get(place.shown)
    return str(entry.get("since", "an earlier run")) if isinstance(entry, dict) else None


def _remember(data_dir: Path, place: Place) -> None:
    """Note that this data directory uses this database, so its loss is noticed later."""
    if place.sqlite_path is None and place.shown.startswith("sqlite"):
        return  # in memory: nothing to lose across runs
    entries = _marker_entries(data_dir)
    if place.shown in entries:
        return
    entries[place.shown] = {"since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        private_dir(data_dir)
        tmp = data_dir / (MARKER + ".tmp")
        tmp.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, data_dir / MARKER)
    except OSError:
        pass  # a read-only data directory must not stop a command; the database itself is fine
