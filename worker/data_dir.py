"""The data directory holds customers' names, e-mail addresses and payments (the database, the reports, tokens,
DKIM keys): it is the worker's alone. The directory is 0700 and what is in it 0600; `tighten` puts back what an
older version or a careless copy left readable by others."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# How the command line runs: everything this process creates is private from the start (SQLite's -wal and -shm
# files, reports, logs), not made private afterwards.
PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) as the worker's own, or tighten it if it exists."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    _tighten(path, PRIVATE_FILE)
    return path


def tighten(data_dir: Path) -> None:
    """The data directory, what is directly in it and its reports: nothing readable by group or others. Best
    effort: a file someone else owns (a mounted volume) is left as it is."""
    if not data_dir.is_dir():
        return
    _tighten(data_dir, PRIVATE_DIR)
    for child in [*data_dir.iterdir(), *_children(data_dir / "reports")]:
        if child.is_symlink():
            continue
        _tighten(child, PRIVATE_DIR if child.is_dir() else PRIVATE_FILE)


def _children(path: Path) -> list[Path]:
    return list(path.iterdir()) if path.is_dir() else []


def _tighten(path: Path, mode: int) -> None:
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(stat.S_IMODE(info.st_mode) & mode)
    except OSError:
        pass  # not ours to change, or gone meanwhile
