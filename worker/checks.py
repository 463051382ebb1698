"""`reseller-worker check`: one PASS/FAIL line per configured part, so an operator sees what is wrong at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from config.settings import Settings
from worker.store.opening import DatabaseUnusable


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckResult:
    part: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.part:<10} {self.detail}"


def _check_database(settings: Settings) -> str:
    from worker.store.database import current_revision
    from worker.store.opening import open_database

    engine = open_database(settings.worker.database_url, settings.worker.data_dir, migrate=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return f"{engine.dialect.name}, migration {current_revision(engine)}"
    finally:
        engine.dispose()


def _check_xero(settings: Settings) -> str:
    from integrations.errors import NotConfigured
    from integrations.xero.tokens import check_xero

    if settings.xero.mode == "sandbox" and not settings.xero.base_url:
        raise NotConfigured(
            "no Xero connection: set [xero] mode and RW_XERO_CLIENT_ID/SECRET (config/example.toml); "
            "the built-in sandbox runs only inside 'reseller-worker demo'"
        )

    return check_xero(settings.xero, settings.worker.data_dir)


def _check_inbox(settings: Settings) -> str:
    from integrations.mailbox.opening import check_mailbox

    return check_mailbox(settings.inbox, settings.worker.data_dir)


def _check_registrar(settings: Settings) -> str:
    from worker.wiring import check_registrar

    return check_registrar(settings)


def _check_smtp(settings: Settings) -> str:
    from worker.wiring import build_smtp_mailer

    mailer = build_smtp_mailer(settings)
    if mailer is None:
        return "not configured ([report] smtp_host is empty): the report is printed and written, not e-mailed"
    return mailer.check()


def _check_payouts(settings: Settings) -> str:
    from worker.wiring import check_payouts

    return check_payouts(settings)


CHECKS: tuple[tuple[str, Callable[[Settings], str]], ...] = (
    ("database", _check_database),
    ("xero", _check_xero),
    ("inbox", _check_inbox),
    ("registrar", _check_registrar),
    ("smtp", _check_smtp),
    ("payouts", _check_payouts),
)


def run_checks(settings: Settings) -> list[CheckResult]:
    from config.placeholders import placeholders

    left = placeholders(settings)
    results = [
        CheckResult(part="config", ok=True, detail=f"loaded from {settings.source}")
        if not left
        else CheckResult(
            part="config",
            ok=False,
            detail=f"{settings.source} still holds the example's placeholders: {'; '.join(left)}",
        )
    ]
    for part, check in CHECKS:
        try:
            results.append(CheckResult(part=part, ok=True, detail=check(settings)))
        except Exception as exc:  # every failure is reported as a line, whatever its type
            detail = " ".join(str(exc).split()) if isinstance(exc, DatabaseUnusable) else f"{type(exc).__name__}: {exc}"
            results.append(CheckResult(part=part, ok=False, detail=detail))
    return results
