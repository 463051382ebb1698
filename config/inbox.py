"""Settings for the payments inbox: a Maildir on disk, or an IMAP server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class InboxSettings:
    kind: str  # none | maildir | imap
    maildir: Path
    host: str
    port: int
    security: str  # imaps | starttls | none (loopback only)
    username: str
    password: str
    folder: str
    timeout_seconds: float


def read_inbox(r: Reader, base_dir: Path) -> InboxSettings:
    kind = r.str("kind", "none", choices=("none", "maildir", "imap"))
    maildir = Path(r.str("maildir", "var/maildir"))
    if not maildir.is_absolute():
        maildir = base_dir / maildir
    return InboxSettings(
        kind=kind,
        maildir=maildir,
        host=r.str("host", "" if kind != "imap" else None),
        port=r.int("port", 993, minimum=1, maximum=65535),
        security=r.str("security", "imaps", choices=("imaps", "starttls", "none")),
        username=r.str("username", "" if kind != "imap" else None),
        password=r.secret("password", required=False),
        folder=r.str("folder", "INBOX"),
        timeout_seconds=float(r.int("timeout_seconds", 30, minimum=1, maximum=600)),
    )
