"""Which Mailbox the `[inbox]` settings describe, as a function that opens a fresh one per job run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.inbox import InboxSettings
from integrations.errors import NotConfigured
from integrations.mailbox.imap import ImapMailbox
from integrations.mailbox.maildir import MaildirMailbox
from integrations.mailsignin import PROVIDERS, sign_in_state, token_store
from integrations.mailsignin.providers import mail_tokens
from integrations.ports import Mailbox


def token_file_reader(path: Path) -> Callable[[], str]:
    """An XOAUTH2 token source: the file an outside refresher (msal, google-auth) keeps current, read per login."""

    def token() -> str:
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise NotConfigured(f"cannot read the OAuth2 token file {path}: {exc}", system="imap") from exc
        if not value:
            raise NotConfigured(f"the OAuth2 token file {path} is empty", system="imap")
        return value

    return token


def mailbox_opener(
    inbox: InboxSettings, data_dir: Path | None = None, **token_options: Any
) -> Callable[[], Mailbox] | None:
    """None when no inbox is configured; otherwise a callable that opens the configured mailbox.
    `data_dir` holds the token file of `[inbox] auth = "microsoft"` or `"google"` (`token_options` go to its
    MailTokens: clock, retries)."""
    if inbox.kind == "maildir":
        return lambda: MaildirMailbox(inbox.maildir, max_message_bytes=inbox.max_message_bytes)
    if inbox.kind != "imap":
        return None
    token: Callable[[], str] | None = None
    refused: Callable[[str], str] | None = None
    if inbox.auth == "xoauth2" and inbox.oauth2_token_file is not None:
        token = token_file_reader(inbox.oauth2_token_file)
    elif inbox.auth in PROVIDERS:
        if data_dir is None:
            raise NotConfigured("the mailbox's own sign-in needs the data directory", system="imap")
        # One per opener, so the daemon's jobs share its cache and lock. A renewal happens inside the IMAP login,
        # which the mailbox's own retry policy already retries on transient errors: no second policy inside it.
        token_options.setdefault("retry_attempts", 1)
        tokens = mail_tokens(inbox, data_dir, **token_options)
        token, refused = tokens.token, tokens.refused

    def open_imap() -> Mailbox:
        return ImapMailbox(
            host=inbox.host,
            port=inbox.port,
            username=inbox.username,
            security=inbox.security,
            password=inbox.password if token is None else "",
            oauth2_token=token,
            oauth2_refused=refused,
            folder=inbox.folder,
            timeout_seconds=inbox.timeout_seconds,
            idle_seconds=inbox.idle_seconds,
            poll_seconds=inbox.poll_seconds,
            max_message_bytes=inbox.max_message_bytes,
        )

    return open_imap


def check_mailbox(inbox: InboxSettings, data_dir: Path | None = None) -> str:
    """For `reseller-worker check`: open the configured mailbox once and say what was found (raises on failure)."""
    opener = mailbox_opener(inbox, data_dir)
    if opener is None:
        return "not configured ([inbox] kind = none)"
    box = opener()
    try:
        validity = box.uidvalidity()
        if isinstance(box, ImapMailbox):
            line = f"imap {box.username}@{box.host}:{box.port}/{box.folder}, {inbox.security}, UIDVALIDITY {validity}"
            if inbox.auth in PROVIDERS and data_dir is not None:
                line += "; " + sign_in_state(token_store(data_dir), provider=inbox.auth, now=datetime.now(UTC))[1]
            return line
        return f"maildir {inbox.maildir}, UIDVALIDITY {validity}"
    finally:
        box.close()
