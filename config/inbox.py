"""Settings for the payments inbox: a Maildir on disk, or an IMAP server (TLS unless on loopback)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config.network import is_loopback
from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class InboxSettings:
    kind: str  # none | maildir | imap
    maildir: Path
    host: str
    port: int
    security: str  # imaps | starttls | none (loopback only)
    username: str
    password: str = field(repr=False)  # secret: never in a repr, a log line or a traceback
    folder: str
    timeout_seconds: float
    auth: str = "password"  # password | xoauth2 (token file) | microsoft | google (the worker's own sign-in)
    oauth2_token_file: Path | None = None  # kept fresh by the operator's token refresher; read at every login
    # microsoft | google: the app registration's client id (RW_INBOX_CLIENT_ID)
    client_id: str = field(default="", repr=False)
    client_secret: str = field(default="", repr=False)  # google: the Desktop app client's secret
    tenant: str = "organizations"  # microsoft: organizations, or the directory's id or domain name
    redirect_port: int = 8766  # google: loopback port `inbox connect` listens on for the redirect
    idle_seconds: float = 540.0  # re-issue IDLE well before the 29-minute limit; NAT boxes drop sooner
    poll_seconds: float = 30.0  # how often to look when the server has no IDLE
    max_message_bytes: int = 2 * 1024 * 1024  # larger messages are quarantined unread (as the reader does)


def read_inbox(r: Reader, base_dir: Path) -> InboxSettings:
    kind = r.str("kind", "none", choices=("none", "maildir", "imap"))
    maildir = Path(r.str("maildir", "var/maildir"))
    if not maildir.is_absolute():
        maildir = base_dir / maildir
    host = r.str("host", "" if kind != "imap" else None)
    security = r.str("security", "imaps", choices=("imaps", "starttls", "none"))
    auth = r.str("auth", "password", choices=("password", "xoauth2", "microsoft", "google"))
    password = r.secret("password", required=False)
    client_id = r.secret("client_id", required=kind == "imap" and auth in ("microsoft", "google"))
    client_secret = r.secret("client_secret", required=kind == "imap" and auth == "google")
    token_file_text = r.str("oauth2_token_file", "")
    token_file: Path | None = None
    if token_file_text:
        token_file = Path(token_file_text)
        if not token_file.is_absolute():
            token_file = base_dir / token_file
    if kind == "imap":
        if security == "none" and host and not is_loopback(host):
            r.problems.add(
                f"{r.file} [inbox] security", f"'none' (no TLS) is only allowed on loopback, not for host {host!r}"
            )
        if auth == "password" and not password:
            r.problems.add(f"environment {r.env_name('password')}", "is required when [inbox] auth = 'password'")
        if auth == "xoauth2" and token_file is None:
            r.problems.add(f"{r.file} [inbox] oauth2_token_file", "is required when [inbox] auth = 'xoauth2'")
    return InboxSettings(
        kind=kind,
        maildir=maildir,
        host=host,
        port=r.int("port", 993, minimum=1, maximum=65535),
        security=security,
        username=r.str("username", "" if kind != "imap" else None),
        password=password,
        folder=r.str("folder", "INBOX"),
        timeout_seconds=float(r.int("timeout_seconds", 30, minimum=1, maximum=600)),
        auth=auth,
        oauth2_token_file=token_file,
        client_id=client_id,
        client_secret=client_secret,
        tenant=r.str("tenant", "organizations"),
        redirect_port=r.int("redirect_port", 8766, minimum=1024, maximum=65535),
        idle_seconds=float(r.int("idle_seconds", 540, minimum=5, maximum=1740)),
        poll_seconds=float(r.int("poll_seconds", 30, minimum=1, maximum=3600)),
        max_message_bytes=r.int("max_message_bytes", 2 * 1024 * 1024, minimum=10_000, maximum=50_000_000),
    )
