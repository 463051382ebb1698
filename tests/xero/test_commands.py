"""`reseller-worker xero connect` and `xero status` against the sandbox, through the real CLI."""

from __future__ import annotations

import re
import stat
import threading
import time
from pathlib import Path

import pytest
import requests

from integrations.xero.sandbox import XeroSandbox
from worker.cli import main

pytestmark = pytest.mark.xero


def test_connect_then_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """connect prints the consent URL, takes the redirect, stores 0600 tokens; status reports expiry, no token."""
    with XeroSandbox() as sb:
        for key, value in {
            "RW_WORKER_DATA_DIR": str(tmp_path / "var"),
            "RW_XERO_MODE": "oauth2",
            "RW_XERO_BASE_URL": sb.base_url,
            "RW_XERO_CLIENT_ID": sb.client_id,
            "RW_XERO_CLIENT_SECRET": sb.client_secret,
        }.items():
            monkeypatch.setenv(key, value)
        result: list[int] = []
        worker = threading.Thread(
            target=lambda: result.append(main(["xero", "connect", "--port", "0", "--wait", "10"]))
        )
        worker.start()
        url = ""
        for _ in range(100):  # the consent URL appears on stdout
            found = re.search(r"(http://127\.0\.0\.1:\d+/identity/connect/authorize\S+)", capsys.readouterr().out)
            if found:
                url = found.group(1)
                break
            time.sleep(0.05)
        assert url, "no consent URL printed"
        assert requests.get(url, timeout=5).status_code == 200  # the browser follows the redirect to loopback
        worker.join(timeout=10)
        assert result == [0]
        token_file = tmp_path / "var" / "xero-tokens.json"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        capsys.readouterr()
        assert main(["xero", "status"]) == 0
        out = capsys.readouterr().out
        assert "expires in" in out and "refresh token held" in out and sb.tenant_id in out
        grant = next(iter(sb.grants.values()))
        assert grant.access_token not in out and grant.refresh_token not in out
