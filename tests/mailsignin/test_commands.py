"""`reseller-worker inbox connect` for Google through the real CLI: the consent URL on stdout, the redirect taken on
loopback, the token set stored; nothing secret printed."""

from __future__ import annotations

import re
import stat
import threading
import time
from pathlib import Path

import pytest
import responses

from tests.mailsignin.identity import GoogleOAuth
from worker.cli import main

CLIENT = "407408718192-abc.apps.googleusercontent.com"
SECRET = "GOCSPX-test-secret"
USER = "billing@reseller.example"


def test_inbox_connect_with_google_prints_the_url_and_stores_the_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in {
        "RW_WORKER_DATA_DIR": str(tmp_path / "var"),
        "RW_INBOX_USERNAME": USER,
        "RW_INBOX_CLIENT_ID": CLIENT,
        "RW_INBOX_CLIENT_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(key, value)
    google = GoogleOAuth(client_id=CLIENT, client_secret=SECRET, username=USER)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        google.install(rsps)
        result: list[int] = []
        argv = ["inbox", "connect", "--provider", "google", "--port", "0", "--wait", "10"]
        command = threading.Thread(target=lambda: result.append(main(argv)))
        command.start()
        url = ""
        for _ in range(200):  # the consent URL appears on stdout
            found = re.search(r"(https://accounts\.google\.com/\S+)", capsys.readouterr().out)
            if found:
                url = found.group(1)
                break
            time.sleep(0.05)
        assert url, "no consent URL printed"
        google.browser()(url)
        command.join(timeout=15)
    assert result == [0]
    out = capsys.readouterr().out
    assert "signed in with google" in out and 'set [inbox] kind = "imap" and auth = "google"' in out
    token_file = tmp_path / "var" / "inbox-tokens.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    grant = google.grants[0]
    assert grant.refresh_token not in out and not any(token in out for token in grant.access)


def test_inbox_connect_needs_a_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("RW_WORKER_DATA_DIR", str(tmp_path / "var"))
    assert main(["inbox", "connect"]) == 2
    assert "which provider?" in capsys.readouterr().err
