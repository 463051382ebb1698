"""The `inbox status` command through the real command line, after a pass over a Maildir."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from config.settings import load_settings
from integrations.mailbox import MaildirMailbox
from tests.inbox.conftest import make_app
from tests.inbox.standin import notice, read_standin
from worker.cli import main
from worker.jobs.inbox import process_inbox
from worker.store.database import make_engine, upgrade


def test_inbox_status_shows_watermark_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After one pass, `inbox status` shows the watermark, the count per folder and no pending moves."""
    maildir = tmp_path / "Maildir"
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "m1").write_bytes(notice(1))
    (maildir / "new" / "m2").write_bytes(notice(2, outcome="reject"))
    config = tmp_path / "worker.toml"
    config.write_text(f'[worker]\ndata_dir = "{tmp_path / "var"}"\n[inbox]\nkind = "maildir"\nmaildir = "{maildir}"\n')
    settings = load_settings(config, {})
    engine = make_engine(settings.worker.database_url)
    upgrade(engine)
    box = MaildirMailbox(maildir)
    process_inbox(make_app(engine, settings, lambda: box), box, read=read_standin)
    engine.dispose()
    capsys.readouterr()  # the pass's own log line
    monkeypatch.setenv("RW_CONFIG", str(config))
    assert main(["inbox", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["last_uid"] == 2 and status["folders"] == {"Processed": 1, "Rejected": 1}
    assert status["pending_moves"] == 0 and os.listdir(maildir / "new") == []
    assert main(["inbox", "status"]) == 0
    text = capsys.readouterr().out
    assert "last UID 2" in text and "Rejected" in text
