"""A private Dovecot on loopback for the `imap` tests and the inbox bench: fresh directory, any user name.

Works as root (CI: master stays root, mail owned by an unprivileged uid) and as an ordinary user (everything
runs as that user). Any user name logs in with PASSWORD, so each test takes its own user and starts empty.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from imapclient import IMAPClient

from integrations.mailbox import ImapMailbox
from tests.tls import self_signed_certificate

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
PASSWORD = "s3cret"
# Everything Dovecot 2.3 announces after login, minus MOVE and IDLE: an old server, for the fallbacks.
LEGACY_CAPABILITY = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS "
    "THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED "
    "I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY SPECIAL-USE"
)


def dovecot_available() -> bool:
    return Path(DOVECOT).exists() and Path(DOVEADM).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mail_owner() -> tuple[str, int, int]:
    """Who owns the mail: ourselves, or (as root) an unprivileged account with uid >= 1000."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_uid, me.pw_gid
    try:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_name, nobody.pw_uid, nobody.pw_gid
    except KeyError:
        return "nobody", 65534, 65534


def _config(d: Path, port: int, capability: str, oauth2_url: str = "", tls_port: int = 0) -> str:
    name, uid, gid = _mail_owner()
    as_root = os.geteuid() == 0
    users = (
        "first_valid_uid = 1000\n"
        if as_root
        else (
            f"default_internal_user = {name}\n"
            f"default_internal_group = {grp.getgrgid(gid).gr_name}\n"
            f"default_login_user = {name}\nfirst_valid_uid = 1\n"
        )
    )
    cap = f"protocol imap {{\n  imap_capability = {capability}\n}}\n" if capability else ""
    mechanisms = "plain login xoauth2 oauthbearer" if oauth2_url else "plain login"
    # The old-server variant also names folders as Courier and Cyrus do: under "INBOX." (personal namespace).
    separator, prefix = (".", "INBOX.") if capability else ("/", "")
    tls = f"ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem" if tls_port else "ssl = no"
    oauth = ""
    if oauth2_url:
        # Dovecot 2.3's oauth2 passdb (Debian 12 ships 2.3.19): a passdb block pointing at an .ext file of
        # `key = value` lines (doc.dovecot.org/2.3/configuration_manual/authentication/oauth2/). Each XOAUTH2 or
        # OAUTHBEARER login POSTs `token=...` to the introspection URL (RFC 7662) and needs `active` and a
        # `username` equal to the login name. Dovecot 2.4 configures this differently (an oauth2 {} block).
        (d / "oauth2.conf.ext").write_text(
            f"introspection_mode = post\nintrospection_url = {oauth2_url}\nusername_attribute = username\n"
            "active_attribute = active\nactive_value = true\n"
        )
        oauth = f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {d}/oauth2.conf.ext\n}}\n"
    return f"""protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
{tls}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_failure_delay = 0
mail_max_userip_connections = 100
{users}{oauth}passdb {{
  driver = static
  mechanisms = plain login
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = {separator}
  prefix = {prefix}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed logins (2, 4, 8 s...): tests refuse tokens on purpose, from one IP
  # (doc.dovecot.org/2.3/configuration_manual/authentication/auth_penalty/).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{cap}"""


@dataclass
class Dovecot:
    directory: Path
    port: int = 0
    capability: str = ""
    oauth2_url: str = ""  # an introspection endpoint: XOAUTH2/OAUTHBEARER logins are checked there
    tls: bool = False  # a self-signed certificate for 127.0.0.1 (cert.pem): IMAPS on tls_port, STARTTLS on port
    tls_port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    owns_directory: bool = False  # made by start_dovecot: removed by stop()

    @property
    def conf(self) -> Path:
        return self.directory / "dovecot.conf"

    def start(self) -> None:
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (d / sub).mkdir(exist_ok=True)
        _, uid, gid = _mail_owner()
        if os.geteuid() == 0:
            os.chown(d / "mail", uid, gid)
        if not self.port:
            self.port = _free_port()
        if self.tls:
            self.tls_port = self.tls_port or _free_port()
            self_signed_certificate(d)
        self.conf.write_text(_config(d, self.port, self.capability, self.oauth2_url, self.tls_port))
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start listening")

    def stop(self) -> None:
        """Stop the server; a directory `start_dovecot` made for it goes too (its mail, state and certificate)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def new_user(self) -> str:
        """A user nobody else uses: its mailbox starts empty."""
        return f"u{uuid.uuid4().hex[:12]}@test.local"

    def client(self, user: str) -> IMAPClient:
        """A second, plain client: plays the mail server delivering (APPEND) and the person looking."""
        c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        c.login(user, PASSWORD)
        return c

    def mailbox(self, user: str, **kwargs: object) -> ImapMailbox:
        options: dict[str, object] = {"folder": "INBOX", "timeout_seconds": 10.0, "retry_max_seconds": 20.0}
        options.update(kwargs)
        return ImapMailbox(
            host="127.0.0.1",
            port=self.port,
            username=user,
            security="none",
            password=PASSWORD,
            **options,  # type: ignore[arg-type]
        )

    def kick(self, user: str) -> None:
        """Drop the user's connections server-side, as a restart or a NAT timeout would."""
        subprocess.run([DOVEADM, "-c", str(self.conf), "kick", user], check=True, capture_output=True, timeout=10)
        # kick only signals the user's imap processes; wait until they are gone, or a command sent at once may still
        # be answered by the old connection (seen on a busy machine).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            who = subprocess.run(
                [DOVEADM, "-c", str(self.conf), "who", "-1", user], capture_output=True, text=True, timeout=10
            )
            if who.returncode == 0 and user not in who.stdout:
                return
            time.sleep(0.05)
        raise AssertionError(f"dovecot still holds a connection for {user} 10 s after kick")


def dovecot_version() -> str:
    done = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, timeout=10, check=False)
    return done.stdout.strip()


class Introspection:
    """A provider's token introspection endpoint (RFC 7662) on loopback, as Dovecot's oauth2 passdb asks it:
    `user_of(token)` names the user a live token signs in, or None (then `{"active": false}`)."""

    def __init__(self, user_of: Callable[[str], str | None]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                user = user_of(parse_qs(body).get("token", [""])[0])
                answer = {"active": True, "username": user} if user else {"active": False}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/introspect"

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def start_dovecot(capability: str = "", oauth2_url: str = "", tls: bool = False) -> Dovecot:
    directory = Path(tempfile.mkdtemp(prefix="rw-dovecot-"))
    server = Dovecot(directory=directory, capability=capability, oauth2_url=oauth2_url, tls=tls, owns_directory=True)
    server.start()
    return server


def deliver(client: IMAPClient, folder: str, messages: list[bytes]) -> None:
    """APPEND, in batches when there are many (MULTIAPPEND)."""
    if len(messages) == 1:
        client.append(folder, messages[0])
        return
    for start in range(0, len(messages), 100):
        client.multiappend(folder, messages[start : start + 100])
