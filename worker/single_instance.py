"""One daemon per database: a PostgreSQL advisory lock, or a file lock beside an SQLite database.

Whoever holds it says who they are (pid, host, since), so a second `run` can name the holder before it exits.
The operating system (or PostgreSQL, when the session ends) releases the lock if the holder dies.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import filelock
import structlog
from sqlalchemy import Connection, Engine, text

APP_NAME_PREFIX = "reseller-worker"
log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class Holder:
    """The process that holds the lock, as far as it told us."""

    pid: int | None
    host: str
    since: datetime | None

    def describe(self) -> str:
        since = self.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if self.since else "an unknown time"
        pid = self.pid if self.pid is not None else "?"
        return f"pid {pid} on host {self.host or '?'} since {since}"


class AlreadyRunning(Exception):
    """Another daemon holds the lock for this database."""

    def __init__(self, holder: Holder | None, where: str) -> None:
        self.holder = holder
        self.where = where
        who = holder.describe() if holder else "another process (it did not say who)"
        super().__init__(f"another reseller-worker daemon is running against {where}: {who}")


class InstanceLock(Protocol):
    def held(self) -> bool:
        """Still ours? A PostgreSQL lock is lost with its session (server restart, network cut)."""
        ...

    def release(self) -> None: ...


def _me(now: datetime) -> Holder:
    return Holder(pid=os.getpid(), host=socket.gethostname(), since=now)


# ---- SQLite: a file lock beside the database file -------------------------------------------------------------


def _lock_paths(engine: Engine, data_dir: Path) -> tuple[Path, Path]:
    database = engine.url.database or ""
    base = Path(database) if database and database != ":memory:" else data_dir / "reseller-worker.db"
    return base.with_name(base.name + ".daemon.lock"), base.with_name(base.name + ".daemon.json")


@dataclass
class FileInstanceLock:
    lock: filelock.BaseFileLock
    info_path: Path

    def held(self) -> bool:
        return bool(self.lock.is_locked)

    def release(self) -> None:
        self.info_path.unlink(missing_ok=True)
        self.lock.release()


def _read_holder_file(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        since = datetime.fromisoformat(data["since"]) if data.get("since") else None
        return Holder(pid=int(data["pid"]) if data.get("pid") else None, host=str(data.get("host", "")), since=since)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _acquire_file(engine: Engine, data_dir: Path, now: datetime) -> FileInstanceLock:
    lock_path, info_path = _lock_paths(engine, data_dir)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise AlreadyRunning(_read_holder_file(info_path), str(lock_path)) from None
    me = _me(now)
    info_path.write_text(
        json.dumps({"pid": me.pid, "host": me.host, "since": now.isoformat()}) + "\n", encoding="utf-8"
    )
    return FileInstanceLock(lock=lock, info_path=info_path)


def _file_holder(engine: Engine, data_dir: Path) -> Holder | None:
    lock_path, info_path = _lock_paths(engine, data_dir)
    if not lock_path.exists():
        return None
    probe = filelock.FileLock(str(lock_path), timeout=0)
    try:
        probe.acquire()
    except filelock.Timeout:
        return _read_holder_file(info_path) or Holder(pid=None, host="", since=None)
    probe.release()
    return None


# ---- PostgreSQL: a session advisory lock, the holder named in application_name ---------------------------------


def _lock_key(conn: Connection) -> int:
    """A signed 64-bit key per database and schema, so test schemas (and tenants) do not collide."""
    db, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    digest = hashlib.blake2b(f"reseller-worker:{db}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass
class PostgresInstanceLock:
    conn: Connection
    key: int

    def held(self) -> bool:
        try:
            mine = self.conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()")
            ).scalar()
            self.conn.commit()
        except Exception:  # any failure on this session means the lock went with it
            return False
        return bool(mine)

    def release(self) -> None:
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self.conn.commit()
        except Exception:  # the session is gone, and the lock with it
            log.warning("instance_lock_release_failed")
        finally:
            self.conn.close()


_HOLDER_SQL = text(
    """
    SELECT a.application_name, a.backend_start
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = :hi AND l.objid::bigint = :lo
    """
)


def _pg_holder(conn: Connection, key: int) -> Holder | None:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(_HOLDER_SQL, {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}).first()
    if row is None:
        return None
    name, started = str(row[0] or ""), row[1]
    fields = dict(part.split("=", 1) for part in name.split() if "=" in part)
    pid, stamp = fields.get("pid", ""), fields.get("t", "")
    since = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else started
    return Holder(pid=int(pid) if pid.isdigit() else None, host=fields.get("host", ""), since=since)


def _acquire_postgres(engine: Engine, now: datetime) -> PostgresInstanceLock:
    conn = engine.connect()
    try:
        key = _lock_key(conn)
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            holder = _pg_holder(conn, key)
            raise AlreadyRunning(holder, f"PostgreSQL database {engine.url.database}")
        me = _me(now)
        # application_name is at most 63 bytes; the host is cut rather than the pid.
        label = f"{APP_NAME_PREFIX} pid={me.pid} t={int(now.timestamp())} host={me.host}"[:63]
        conn.execute(text("SELECT set_config('application_name', :v, false)"), {"v": label})
        conn.commit()
    except BaseException:
        conn.close()
        raise
    return PostgresInstanceLock(conn=conn, key=key)


# ---- the two entry points -------------------------------------------------------------------------------------


def acquire_instance_lock(engine: Engine, data_dir: Path, *, now: datetime) -> InstanceLock:
    """Take the lock or raise AlreadyRunning naming the holder."""
    if engine.dialect.name == "postgresql":
        return _acquire_postgres(engine, now)
    return _acquire_file(engine, data_dir, now)


def current_holder(engine: Engine, data_dir: Path) -> Holder | None:
    """Who runs the daemon for this database now, or None when nobody does."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return _pg_holder(conn, _lock_key(conn))
    return _file_holder(engine, data_dir)
