"""How to run this worker's commands from any shell: the prefix every printed command starts with.

A command in the report or a refusal must act on the same database when pasted elsewhere, so it names the
settings file (`--config`) and, when the file does not fix it, the data directory (`--data-dir`).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from config.settings import Settings

PROGRAM = "reseller-worker"


def cli_prefix(settings: Settings) -> str:
    """`reseller-worker`, with `--config FILE` when settings came from a file and `--data-dir DIR` when the data
    directory was not fixed by that file (built-in defaults put it under the current directory)."""
    parts = [PROGRAM]
    from_file = settings.source != "defaults"
    if from_file:
        parts += ["--config", shlex.quote(str(Path(settings.source).resolve()))]
    if not from_file or settings.worker.data_dir_from_env:
        parts += ["--data-dir", shlex.quote(str(settings.worker.data_dir.resolve()))]
    return " ".join(parts)


def environment_note(settings: Settings) -> str:
    """What a printed command also needs that it cannot carry itself: the secrets (and a database URL) that only
    the environment holds, by name ('' when nothing)."""
    names = list(settings.required_secrets)
    if settings.worker.database_url_from_env:
        names.append("RW_WORKER_DATABASE_URL")
    if not names:
        return ""
    listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    verb = "is" if len(names) == 1 else "are"
    return f"Run them where {listed} {verb} set, as for the worker."
