"""The Mailer port: one contract over FakeMailer and SmtpMailer (against a real aiosmtpd server on loopback),
then what only SMTP has: STARTTLS and implicit TLS with a certificate made for the test, login, refusals."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from integrations.errors import NotConfigured, PermanentError, TransientError
from integrations.mailer import FakeMailer, SmtpMailer
from integrations.ports import Mailer, OutgoingMail
from tests.tls import self_signed_certificate

MAIL = OutgoingMail(
    to=("owner@example.nz", "books@example.nz"),
    subject="reseller-worker 2026-11-26: 2 to look at",
    text="1. NEEDS YOUR DECISION (2)\n  #1 ambiguous – Café Ōtaki\n",
    html="<h2>Needs your decision (2)</h2><p>Café Ōtaki &amp; co</p>",
)
SENDER = "worker@reseller.example.nz"


@dataclass
class Delivered:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every message and refuses one address."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, ...]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append(tuple(envelope.rcpt_tos))
        return "250 OK"

    def authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"worker", b"s3cret")
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    def delivered(self) -> list[Delivered]:
        out = []
        for message, rcpts in zip(self.messages, self.envelopes, strict=True):
            text = message.get_body(("plain",))
            html = message.get_body(("html",))
            out.append(
                Delivered(
                    to=rcpts,
                    subject=str(message["Subject"]),
                    # SMTP carries CRLF line ends; compare lines, as a mail client shows them.
                    text=text.get_content().replace("\r\n", "\n") if text is not None else "",  # type: ignore[attr-defined]
                    html=html.get_content().replace("\r\n", "\n") if html is not None else "",  # type: ignore[attr-defined]
                )
            )
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, made in-process: no openssl command needed, so nothing skips."""
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    return Certificate(cert=cert, key=key)


def start(collector: Collector, **kwargs: Any) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, port


@pytest.fixture(params=["fake", "smtp"])
def mailer_and_inbox(request: pytest.FixtureRequest) -> Iterator[tuple[Mailer, Callable[[], list[Delivered]]]]:
    """The same contract for the fake and for SMTP against a real server on loopback (plain is allowed there)."""
    if request.param == "fake":
        fake = FakeMailer()
        yield fake, lambda: [Delivered(to=m.to, subject=m.subject, text=m.text, html=m.html) for m in fake.sent]
        return
    collector = Collector()
    controller, port = start(collector)
    try:
        yield SmtpMailer(host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=5), collector.delivered
    finally:
        controller.stop()


def test_contract_delivers_subject_text_and_html_to_every_recipient(mailer_and_inbox: Any) -> None:
    """One send delivers one message with the subject, both parts and every recipient, unicode intact."""
    mailer, inbox = mailer_and_inbox
    mailer.send(MAIL)
    (got,) = inbox()
    assert got.to == MAIL.to and got.subject == MAIL.subject
    assert got.text.strip() == MAIL.text.strip() and got.html.strip() == MAIL.html.strip()


def test_contract_text_only_mail(mailer_and_inbox: Any) -> None:
    """A mail without HTML arrives as plain text only."""
    mailer, inbox = mailer_and_inbox
    mailer.send(OutgoingMail(to=("a@example.nz",), subject="plain", text="just text\n"))
    (got,) = inbox()
    assert got.text.strip() == "just text" and got.html == ""


def test_contract_refuses_a_mail_without_recipients(mailer_and_inbox: Any) -> None:
    """No recipient is a programming error, said clearly, and nothing is delivered."""
    mailer, inbox = mailer_and_inbox
    with pytest.raises(ValueError, match="recipient"):
        mailer.send(OutgoingMail(to=(), subject="x", text="x"))
    assert inbox() == []


def test_starttls_with_login(certificate: Certificate) -> None:
    """STARTTLS upgrades before the login; the message arrives and the login was used."""
    collector = Collector()
    controller, port = start(
        collector,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=collector.authenticator,
        auth_require_tls=True,
    )
    try:
        mailer = SmtpMailer(
            host="127.0.0.1",
            port=port,
            security="starttls",
            sender=SENDER,
            username="worker",
            password="s3cret",
            timeout=5,
            tls_context=certificate.client_context(),
        )
        mailer.send(MAIL)
    finally:
        controller.stop()
    assert [d.subject for d in collector.delivered()] == [MAIL.subject]
    assert collector.logins == ["worker"]


def test_implicit_tls(certificate: Certificate) -> None:
    """security=ssl speaks TLS from the first byte (port 465 style)."""
    collector = Collector()
    controller, port = start(collector, ssl_context=certificate.server_context())
    try:
        SmtpMailer(
            host="127.0.0.1",
            port=port,
            security="ssl",
            sender=SENDER,
            timeout=5,
            tls_context=certificate.client_context(),
        ).send(MAIL)
    finally:
        controller.stop()
    assert len(collector.delivered()) == 1


def test_untrusted_certificate_is_permanent(certificate: Certificate) -> None:
    """A certificate the client does not trust is refused, not retried, and nothing is sent."""
    collector = Collector()
    controller, port = start(collector, tls_context=certificate.server_context(), require_starttls=True)
    try:
        mailer = SmtpMailer(host="127.0.0.1", port=port, security="starttls", sender=SENDER, timeout=5)
        with pytest.raises(PermanentError, match="not trusted"):
            mailer.send(MAIL)
    finally:
        controller.stop()
    assert collector.delivered() == []


def test_wrong_password_is_permanent(certificate: Certificate) -> None:
    """A refused login is permanent and the error does not contain the password."""
    collector = Collector()
    controller, port = start(
        collector,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=collector.authenticator,
        auth_require_tls=True,
    )
    try:
        mailer = SmtpMailer(
            host="127.0.0.1",
            port=port,
            security="starttls",
            sender=SENDER,
            username="worker",
            password="wrong-pass",
            timeout=5,
            tls_context=certificate.client_context(),
        )
        with pytest.raises(PermanentError) as caught:
            mailer.send(MAIL)
    finally:
        controller.stop()
    assert "wrong-pass" not in str(caught.value) and "wrong-pass" not in repr(mailer)


def test_starttls_required_but_not_offered_is_permanent() -> None:
    """A server without STARTTLS is not used in plain text when STARTTLS is configured."""
    collector = Collector()
    controller, port = start(collector)
    try:
        mailer = SmtpMailer(host="127.0.0.1", port=port, security="starttls", sender=SENDER, timeout=5)
        with pytest.raises(PermanentError, match="STARTTLS"):
            mailer.send(MAIL)
    finally:
        controller.stop()
    assert collector.delivered() == []


def test_refused_recipient_is_permanent() -> None:
    """A 5xx for a recipient is permanent: retrying cannot help."""
    collector = Collector()
    controller, port = start(collector)
    try:
        mailer = SmtpMailer(host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=5)
        with pytest.raises(PermanentError, match=r"nobody@example\.nz"):
            mailer.send(OutgoingMail(to=("nobody@example.nz",), subject="x", text="x"))
    finally:
        controller.stop()


def test_unreachable_server_is_transient_after_bounded_retries() -> None:
    """Nothing listening: the one retry policy tries again, then raises TransientError for the job to log."""
    mailer = SmtpMailer(host="127.0.0.1", port=free_port(), security="none", sender=SENDER, timeout=2, attempts=2)
    with pytest.raises(TransientError):
        mailer.send(MAIL)


@pytest.mark.parametrize("host", ["smtp.example.nz", "10.0.0.5"])
def test_plain_smtp_is_refused_off_loopback(host: str) -> None:
    """security=none is a configuration error for any host but loopback."""
    with pytest.raises(NotConfigured, match="loopback"):
        SmtpMailer(host=host, port=25, security="none", sender=SENDER)


def test_check_logs_in_without_sending(certificate: Certificate) -> None:
    """`check()` proves the server, TLS and login work, and delivers nothing."""
    collector = Collector()
    controller, port = start(
        collector,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=collector.authenticator,
        auth_require_tls=True,
    )
    try:
        mailer = SmtpMailer(
            host="127.0.0.1",
            port=port,
            security="starttls",
            sender=SENDER,
            username="worker",
            password="s3cret",
            timeout=5,
            tls_context=certificate.client_context(),
        )
        assert mailer.check() == f"127.0.0.1:{port} starttls, logged in as worker"
    finally:
        controller.stop()
    assert collector.logins == ["worker"] and collector.delivered() == []
