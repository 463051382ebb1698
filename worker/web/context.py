"""What every request of the review page needs (settings, database, clock, users, session rules), built once by
`worker.web.app.create_app` and read by the pages through `context()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Engine

from config.settings import Settings
from worker.web import sessions
from worker.web.users import UsersFile


@dataclass(frozen=True, kw_only=True)
class WebContext:
    """What every request needs, built once by `create_app`."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime]
    users: UsersFile
    lifetime: sessions.Lifetime
    limit: sessions.SigninLimit


def context() -> WebContext:
    ctx: WebContext = current_app.extensions["reseller_worker"]
    return ctx
