"""structlog, configured once: JSON when not on a terminal (Docker, systemd), readable on a terminal.

Tokens and passwords never reach a log line: `redact_secrets` blanks any key that looks like one.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict

_SECRET_WORDS = ("token", "secret", "password", "authorization", "api_key", "apikey")


def redact_secrets(_logger: Any, _method: str, event: EventDict) -> EventDict:
    for key in list(event):
        if any(word in key.lower() for word in _SECRET_WORDS):
            event[key] = "[redacted]"
    return event


def configure_logging(fmt: str = "auto", *, stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Call once from the CLI entry point; `fmt` is auto, json or console."""
    out = stream or sys.stderr
    json_output = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Any = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    logging.basicConfig(level=level, stream=out, format="%(message)s", force=True)
    # Quiet the chatty libraries; their warnings still come through.
    for name in ("urllib3", "apscheduler", "alembic", "imapclient", "mailparser", "werkzeug"):
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info if json_output else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
