"""The [inbox] settings: TLS off loopback, a credential for IMAP, the XOAUTH2 token file."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.network import is_loopback
from config.settings import load_settings
from config.sources import ConfigError


def load(tmp_path: Path, inbox: str, env: dict[str, str] | None = None) -> object:
    path = tmp_path / "worker.toml"
    path.write_text("[inbox]\n" + inbox)
    return load_settings(path, env or {})


def test_plaintext_imap_off_loopback_is_refused(tmp_path: Path) -> None:
    """security = none is a configuration error unless the host is a loopback address."""
    with pytest.raises(ConfigError, match="only allowed on loopback"):
        load(tmp_path, 'kind = "imap"\nhost = "imap.example.com"\nusername = "u"\nsecurity = "none"\n',
             {"RW_INBOX_PASSWORD": "pw"})  # fmt: skip
    ok = load(tmp_path, 'kind = "imap"\nhost = "127.0.0.1"\nport = 10143\nusername = "u"\nsecurity = "none"\n',
              {"RW_INBOX_PASSWORD": "pw"})  # fmt: skip
    assert ok.inbox.security == "none" and ok.inbox.port == 10143  # type: ignore[attr-defined]


def test_imap_needs_a_password_or_a_token_file(tmp_path: Path) -> None:
    """Password auth needs RW_INBOX_PASSWORD; XOAUTH2 needs oauth2_token_file (resolved against the file)."""
    with pytest.raises(ConfigError, match="RW_INBOX_PASSWORD"):
        load(tmp_path, 'kind = "imap"\nhost = "imap.example.com"\nusername = "u"\n')
    with pytest.raises(ConfigError, match="oauth2_token_file"):
        load(tmp_path, 'kind = "imap"\nhost = "imap.example.com"\nusername = "u"\nauth = "xoauth2"\n')
    ok = load(tmp_path, 'kind = "imap"\nhost = "h.example"\nusername = "u"\nauth = "xoauth2"\n'
              'oauth2_token_file = "token.txt"\n')  # fmt: skip
    assert ok.inbox.oauth2_token_file == tmp_path / "token.txt"  # type: ignore[attr-defined]


def test_the_workers_own_sign_in_needs_the_client_from_the_environment(tmp_path: Path) -> None:
    """auth = microsoft needs RW_INBOX_CLIENT_ID; google also RW_INBOX_CLIENT_SECRET; neither may be in the file."""
    box = 'kind = "imap"\nhost = "outlook.office365.com"\nusername = "billing@x.nz"\n'
    with pytest.raises(ConfigError, match="RW_INBOX_CLIENT_ID"):
        load(tmp_path, box + 'auth = "microsoft"\n')
    ok = load(tmp_path, box + 'auth = "microsoft"\ntenant = "x.nz"\n', {"RW_INBOX_CLIENT_ID": "app-id"})
    assert ok.inbox.client_id == "app-id" and ok.inbox.tenant == "x.nz"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="RW_INBOX_CLIENT_SECRET"):
        load(tmp_path, box + 'auth = "google"\n', {"RW_INBOX_CLIENT_ID": "app-id"})
    with pytest.raises(ConfigError, match="secrets belong in the environment"):
        load(tmp_path, box + 'auth = "google"\nclient_secret = "s"\n', {"RW_INBOX_CLIENT_ID": "app-id"})
    assert "s3cr3t" not in repr(
        load(tmp_path, box + 'auth = "google"\n', {"RW_INBOX_CLIENT_ID": "i", "RW_INBOX_CLIENT_SECRET": "s3cr3t"})
    )


def test_loopback_names() -> None:
    """localhost, 127.x and ::1 are loopback; anything else is not."""
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.5.5.5", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("imap.gmail.com", "10.0.0.1", "", "localhost.example.com"))
