"""Which concrete adapter each setting selects. Kept beside `app.py` so the choice is in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from config.settings import Settings
from integrations.errors import NotConfigured
from integrations.ports import Accounting, Mailbox, Mailer, PaymentService, Registrar

if TYPE_CHECKING:
    from integrations.mailer.smtp import SmtpMailer
    from integrations.registrar.logicboxes import LogicBoxesRegistrar
    from integrations.registrar.terms import UpstreamPrices


def build_accounting(settings: Settings, engine: Engine, clock: Callable[[], datetime]) -> Accounting:
    from integrations.xero.adapter import build_xero_accounting

    if settings.xero.mode == "sandbox" and not settings.xero.base_url:
        raise NotConfigured(
            "[xero] mode is sandbox but no sandbox is running: set [xero] base_url, or use 'reseller-worker demo'",
            system="xero",
        )
    return build_xero_accounting(settings.xero, data_dir=settings.worker.data_dir, clock=clock)


def build_registrar(settings: Settings, engine: Engine, clock: Callable[[], datetime]) -> Registrar:
    from integrations.registrar.terms import UpstreamPrices

    r = settings.registrar
    prices = UpstreamPrices(currency=r.price_currency, register=r.register_prices, renew=r.renew_prices)
    if r.kind == "logicboxes":
        return _logicboxes(settings, prices)
    from integrations.registrar.manual import ManualRegistrar
    from worker.domains import domain_book

    # Without a registrar API, what we know of our domains is what the worker itself recorded.
    return ManualRegistrar(prices=prices, book=domain_book(engine))


def _logicboxes(settings: Settings, prices: UpstreamPrices, *, retry_attempts: int = 3) -> LogicBoxesRegistrar:
    from integrations.registrar.logicboxes import LogicBoxesRegistrar

    r = settings.registrar
    return LogicBoxesRegistrar(
        api_url=r.api_url,
        check_url=r.check_url,
        auth_userid=r.reseller_id,
        api_key=r.api_key,
        customer_id=r.customer_id,
        contact_id=r.contact_id,
        nameservers=r.nameservers,
        prices=prices,
        timeout_seconds=r.timeout_seconds,
        retry_attempts=retry_attempts,
    )


def check_registrar(settings: Settings) -> str:
    r = settings.registrar
    if r.kind == "manual":
        return "manual: paid registrations and renewals become to-dos in the report (`orders done` closes them)"
    from integrations.registrar.terms import UpstreamPrices

    registrar = _logicboxes(settings, UpstreamPrices(currency=r.price_currency), retry_attempts=1)
    # An availability query needs valid credentials, and buys nothing.
    free = registrar.is_available("reseller-worker-check.com")
    return f"logicboxes at {r.api_url}, reseller {r.reseller_id}: credentials accepted (test query answered {free})"


def build_mailer(settings: Settings) -> Mailer | None:
    return build_smtp_mailer(settings)


def build_smtp_mailer(settings: Settings) -> SmtpMailer | None:
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

    return mailbox_opener(settings.inbox, settings.worker.data_dir)


def build_payment_services(settings: Settings) -> dict[str, PaymentService]:
    """The payment services whose own API the worker reads (`[gateways.stripe] api = "stripe"`)."""
    services: dict[str, PaymentService] = {}
    for gateway in settings.gateways.services:
        if gateway.api == "stripe":
            from integrations.stripe.adapter import StripePaymentService

            services[gateway.name] = StripePaymentService(api_key=gateway.api_key, api_base=gateway.api_base)
    return services


def check_payouts(settings: Settings) -> str:
    """Each set-up payment service's accounts exist in Xero with the right types, and Stripe's API answers."""
    services = settings.gateways.services
    if not services:
        return "no payment service set up ([gateways.<service>] clearing_account): card payments go to the bank account"
    from datetime import UTC, datetime, timedelta

    from integrations.xero.adapter import build_xero_accounting

    accounting = build_xero_accounting(
        settings.xero, data_dir=settings.worker.data_dir, clock=lambda: datetime.now(UTC)
    )
    chart = {a.code: a for a in accounting.accounts() if a.status == "ACTIVE"}
    problems: list[str] = []
    for g in services:
        clearing, fees = chart.get(g.clearing_account), chart.get(g.fee_account)
        if clearing is None or clearing.type != "BANK":
            problems.append(f"{g.name}: clearing account {g.clearing_account} must be a bank account in Xero")
        if fees is None or fees.type == "BANK":
            problems.append(f"{g.name}: fee account {g.fee_account} must be an expense account in Xero")
    if problems:
        raise ValueError("; ".join(problems))
    answered = []
    for name, service in build_payment_services(settings).items():
        service.payouts(arriving_since=datetime.now(UTC).date() - timedelta(days=1))
        answered.append(f"{name} API answered")
    names = ", ".join(f"{g.name} -> {g.clearing_account}" for g in services)
    return f"clearing accounts found in Xero ({names})" + "".join(f"; {a}" for a in answered)
