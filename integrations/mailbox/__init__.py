"""Mailbox adapters: a real IMAP server, a local Maildir, and a stateful fake for tests and the demo."""

from __future__ import annotations

from integrations.mailbox.fake import FakeMailbox
from integrations.mailbox.imap import ImapMailbox
from integrations.mailbox.maildir import MaildirMailbox
from integrations.mailbox.opening import check_mailbox, mailbox_opener

__all__ = ["FakeMailbox", "ImapMailbox", "MaildirMailbox", "check_mailbox", "mailbox_opener"]
