"""The composition root: `build_app(settings)` is the only place concrete adapters are built.

Tests build an `App` directly with fakes and an engine of their choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from config.settings import Settings
from integrations.ports import Accounting, Mailbox, Mailer, PaymentService, Registrar
from worker.store.opening import open_database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class App:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime]
    accounting: Accounting
    registrar: Registrar
    mailer: Mailer | None
    open_mailbox: Callable[[], Mailbox] | None  # None when no inbox is configured
    # Payment services read through their own API (`[gateways.stripe] api = "stripe"`), by service name.
    payment_services: Mapping[str, PaymentService] = field(default_factory=dict)


def build_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now, migrate: bool = True) -> App:
    # Refuses a database that is missing, emptied or damaged; only `db upgrade` creates one.
    engine = open_database(settings.worker.database_url, settings.worker.data_dir, migrate=migrate)
    from worker.wiring import (
        build_accounting,
        build_mailbox_opener,
        build_mailer,
        build_payment_services,
        build_registrar,
    )

    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=build_accounting(settings, engine, clock),
        registrar=build_registrar(settings, engine, clock),
        mailer=build_mailer(settings),
        open_mailbox=build_mailbox_opener(settings),
        payment_services=build_payment_services(settings),
    )
