"""Sending mail: `SmtpMailer` over smtplib, and `FakeMailer` for tests and dry runs."""

from integrations.mailer.fake import FakeMailer
from integrations.mailer.smtp import SmtpMailer, build_message

__all__ = ["FakeMailer", "SmtpMailer", "build_message"]
