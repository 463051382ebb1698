"""Which concrete adapter each setting selects. Kept beside `app.py` so the choice is in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from config.settings import Settings
from integrations.errors import NotConfigured
from integrations.ports import Accounting, Mailbox, Mailer, Registrar


def build_accounting(settings: Settings, engine: Engine, clock: Callable[[], datetime]) -> Accounting:
    raise NotConfigured("the Xero adapter is not wired yet", system="xero")


def build_registrar(settings: Settings, engine: Engine, clock: Callable[[], datetime]) -> Registrar:
    raise NotConfigured("no registrar is wired yet", system="registrar")


def build_mailer(settings: Settings) -> Mailer | None:
    return None


def build_mailbox_opener(settings: Settings) -> Callable[[], Mailbox] | None:
    return None
