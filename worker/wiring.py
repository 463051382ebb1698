"""Which concrete adapter each setting selects. Kept beside `app.py` so the choice is in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from config.settings import Settings
from integrations.errors import NotConfigured
from integrations.ports import Accounting, Mailbox, Mailer, Registrar


def build_accounting(settings: Settings, engine: Engine, clock: Callable[[], datetime]) -> Accounting:
    from integrations.xero.adapter import build_xero_accounting

    if settings.xero.mode == "sandbox" and not settings.xero.base_url:
        raise NotConfigured(
            "[xero] mode is sandbox but no sandbox is running: set [xero] base_url, or use `reseller-worker demo`",
            system="xero",
        )
    return build_xero_accounting(settings.xero, data_dir=settings.worker.data_dir, clock=clock)


def build_registrar(settings: Settings, engine: Engine, clock: Callable[[], datetime]) -> Registrar:
    raise NotConfigured("no registrar is wired yet", system="registrar")


def build_mailer(settings: Settings) -> Mailer | None:
    report = settings.report
    if not report.smtp_host:
        return None
    from integrations.mailer.smtp import SmtpMailer

    return SmtpMailer(
        host=report.smtp_host,
        port=report.smtp_port,
        security=report.smtp_security,
        sender=report.sender,
        username=report.smtp_username,
        password=report.smtp_password,
        timeout=float(report.smtp_timeout_seconds),
    )


def build_mailbox_opener(settings: Settings) -> Callable[[], Mailbox] | None:
    from integrations.mailbox.opening import mailbox_opener

    return mailbox_opener(settings.inbox)
