"""`SmtpMailer`: the Mailer port over smtplib, with STARTTLS or implicit TLS (plain only on loopback).

Every connection has a timeout; transient failures (dropped connections, 4xx replies) go through the one
retry policy; refusals (5xx, bad login) are permanent. The password is never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import structlog

from config.network import is_loopback
from integrations.errors import NotConfigured, PermanentError, TransientError
from integrations.ports import OutgoingMail
from integrations.retrying import transient_retry

log = structlog.get_logger(__name__)
SECURITIES = ("starttls", "ssl", "none")


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """A text/plain message, or multipart/alternative with the HTML part last (the one clients prefer)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


class SmtpMailer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        sender: str,
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        attempts: int = 3,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if not host:
            raise NotConfigured("no SMTP host is set ([report] smtp_host)", system="smtp")
        if security not in SECURITIES:
            raise NotConfigured(f"smtp_security must be one of {', '.join(SECURITIES)}", system="smtp")
        if security == "none" and not is_loopback(host):
            raise NotConfigured(
                f"refusing plain SMTP to {host}: use starttls or ssl (plain is allowed on loopback only)",
                system="smtp",
            )
        if username and not password:
            raise NotConfigured("an SMTP username is set but RW_REPORT_SMTP_PASSWORD is empty", system="smtp")
        self.host = host
        self.port = port
        self.security = security
        self.sender = sender
        self.username = username
        self._password = password
        self.timeout = timeout
        self.tls_context = tls_context or ssl.create_default_context()
        self._send_with_retry = transient_retry(attempts=attempts, max_seconds=max(timeout * attempts, 30.0))(
            self._send_once
        )

    def __repr__(self) -> str:  # the password stays out of reprs and tracebacks
        return f"SmtpMailer(host={self.host!r}, port={self.port}, security={self.security!r})"

    def send(self, mail: OutgoingMail) -> None:
        if not mail.to:
            raise ValueError("a mail needs at least one recipient")
        message = build_message(mail, self.sender)
        self._send_with_retry(message)
        log.info("mail_sent", to=list(mail.to), subject=mail.subject, host=self.host)

    def check(self) -> str:
        """Connect, secure and log in without sending anything (for `reseller-worker check`)."""

        def probe(client: smtplib.SMTP) -> None:
            client.noop()

        self._session(probe)
        who = f", logged in as {self.username}" if self.username else ""
        return f"{self.host}:{self.port} {self.security}{who}"

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls_context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            client.ehlo()
            if not client.has_extn("starttls"):
                client.close()
                raise PermanentError(f"{self.host} does not offer STARTTLS", system="smtp")
            client.starttls(context=self.tls_context)
            client.ehlo()
        return client

    def _send_once(self, message: EmailMessage) -> None:
        self._session(lambda client: client.send_message(message))

    def _session(self, work: Callable[[smtplib.SMTP], object]) -> None:
        """One connection: secure, log in, do `work`; every failure mapped to Transient or Permanent."""
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self._password)
                work(client)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"SMTP login refused for {self.username!r}: {exc.smtp_code}", system="smtp") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"recipients refused: {', '.join(exc.recipients)}", system="smtp") from None
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(text, system="smtp") from exc
            raise PermanentError(text, system="smtp") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(
                f"TLS certificate of {self.host} not trusted: {exc.verify_message}", system="smtp"
            ) from None
        except (
            smtplib.SMTPServerDisconnected,
            smtplib.SMTPConnectError,
            TimeoutError,
            ConnectionError,
            ssl.SSLError,
        ) as exc:
            raise TransientError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}", system="smtp") from exc
        except OSError as exc:  # DNS failures, unreachable networks
            raise TransientError(f"SMTP {self.host}:{self.port}: {exc}", system="smtp") from exc
        except smtplib.SMTPException as exc:
            raise PermanentError(f"SMTP: {exc}", system="smtp") from exc
