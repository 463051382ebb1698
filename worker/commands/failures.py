"""The command line's error boundary: whatever stops a command is told in one line on stderr with an exit status,
never a traceback (`--traceback` shows one for an unexpected error).

Exit statuses: 1 the command failed (an outside system or the database could not be reached, a file could not be
written), 2 it was refused as asked (bad arguments, configuration or database: fix something first), 70 an
unexpected error (a bug: please report it with `--traceback`), 130 interrupted, 141 its output was closed.
"""

from __future__ import annotations

import os
import sys

from config.sources import ConfigError
from integrations.errors import IntegrationError, NotConfigured
from worker.commands.arguments import InputRefused

INTERNAL_ERROR = 70
BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE


def fail(exc: BaseException, *, database: str = "") -> int:
    """Say what stopped the command, in one line, and return its exit status (`database`: where it is)."""
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else 1
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return _say("output closed before the end (broken pipe); nothing else went wrong", BROKEN_PIPE)
    status, message = describe(exc, database=database)
    return _say(message, status)


def refuse(message: str, status: int = 2) -> int:
    """A refusal or failure a command found itself (bad input, nothing to act on, an outside system that said no):
    one line on stderr and its exit status, never on stdout, where a script reads the command's results."""
    return _say(message, status)


def describe(exc: BaseException, *, database: str = "") -> tuple[int, str]:
    """The exit status and the one line for an exception that ended a command."""
    from sqlalchemy.exc import SQLAlchemyError

    from worker.store.opening import DatabaseUnusable, database_problem

    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted"
    if isinstance(exc, ConfigError | InputRefused):
        return 2, str(exc)
    if isinstance(exc, SQLAlchemyError):
        exc = database_problem(exc, database)
    if isinstance(exc, DatabaseUnusable):
        return (1 if exc.transient else 2), str(exc)
    if isinstance(exc, NotConfigured):
        return 2, f"not configured: {exc}"
    if isinstance(exc, IntegrationError):
        # An outside system refused or failed before any job could record it.
        return 1, f"{exc.system or 'integration'} failed: {exc}"
    if isinstance(exc, OSError):
        return 1, _os_error(exc)
    if isinstance(exc, MemoryError):
        return 1, "out of memory"
    detail = " ".join(str(exc).split())[:300]
    return (
        INTERNAL_ERROR,
        f"unexpected error ({type(exc).__name__}{': ' + detail if detail else ''}); this is a bug: run the command "
        "again with --traceback and report what it prints",
    )


def _os_error(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.filename is not None:
        target = f"{exc.filename} -> {exc.filename2}" if exc.filename2 is not None else str(exc.filename)
        return f"cannot use {target}: {reason}"
    return reason  # str(exc) would only repeat it, with its errno


def _say(message: str, status: int) -> int:
    try:
        print(f"reseller-worker: {message}", file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone; the exit status still tells
    return status


def _silence_stdout() -> None:
    # Python flushes stdout again at exit, which would raise a second BrokenPipeError; point it at /dev/null.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
