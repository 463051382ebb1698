"""The inbox job with the real notice reader over a Maildir: corpus notices end in the right folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import Engine, select

from config.settings import Settings
from integrations.mailbox import MaildirMailbox, mailbox_opener
from rules.model import NoticeReading
from tests.inbox.conftest import make_app
from worker.jobs.inbox import poll_inbox, process_inbox
from worker.store.inbox_tables import inbox_messages
from worker.store.tables import receipts, review_items

FIXTURES = Path(__file__).parent / "fixtures"


def drop(maildir: Path, name: str, raw: bytes) -> None:
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    (maildir / "tmp" / name).write_bytes(raw)
    os.rename(maildir / "tmp" / name, maildir / "new" / name)


def test_corpus_notices_are_stored_and_filed(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """Genuine notices become receipts in Processed, forgeries go to Rejected with a review item, the staff
    forward is a receipt filed under Review, gateway mail without a payment is Processed without a receipt."""
    from integrations.notices import read_notice, trust_from_context

    trust = trust_from_context(json.loads((FIXTURES / "context.json").read_text()))
    maildir = tmp_path / "Maildir"
    for path in sorted(FIXTURES.glob("*.eml")):
        drop(maildir, path.stem, path.read_bytes())
    app = make_app(engine, settings, None, kind="maildir", maildir=maildir)
    opener = mailbox_opener(app.settings.inbox)
    assert opener is not None
    box = opener()
    assert isinstance(box, MaildirMailbox)

    def read(raw: bytes) -> NoticeReading:
        return read_notice(raw, trust)

    counts = process_inbox(app, box, read=read)
    assert counts["read"] == 8 and counts["moved"] == 8
    assert os.listdir(maildir / "new") == [] and os.listdir(maildir / "cur") == []
    filed = {
        folder: sorted(os.listdir(maildir / f".{folder}" / "new"))
        for folder in ("Processed", "Review", "Rejected")
        if (maildir / f".{folder}").exists()
    }
    assert filed["Rejected"] == ["00004", "00013"]
    assert filed["Review"] == ["00048"]
    assert {"00001", "00019", "00058", "00017"} <= set(filed["Processed"])
    with engine.connect() as conn:
        kinds = {r.kind for r in conn.execute(select(review_items.c.kind))}
        stored = {r.gateway for r in conn.execute(select(receipts.c.gateway))}
        outcomes = {r.outcome for r in conn.execute(select(inbox_messages.c.outcome))}
    assert kinds == {"rejected_notice"}
    assert {"paypal", "stripe", "windcave"} <= stored
    assert outcomes >= {"receipt", "rejected", "ignored"}


def test_poll_inbox_builds_the_real_reader_from_settings(
    sqlite_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """poll_inbox opens the configured Maildir and reads with the settings' trust; two From headers are refused."""
    maildir = tmp_path / "Maildir"
    drop(maildir, "two-froms", b"From: a@example.org\r\nFrom: b@example.org\r\nMessage-ID: <tf@x>\r\n\r\nhi\r\n")
    settings_maildir = make_app(sqlite_engine, settings, None, kind="maildir", maildir=maildir).settings
    app = make_app(sqlite_engine, settings_maildir, mailbox_opener(settings_maildir.inbox))
    counts = poll_inbox(app)
    assert counts["read"] == 1 and counts["moved"] == 1
    assert counts.get("quarantined", 0) + counts.get("rejected", 0) == 1
    filed = [p.name for p in maildir.glob(".*/new/*")]
    assert filed == ["two-froms"] and os.listdir(maildir / "new") == []
    with sqlite_engine.connect() as conn:
        assert {r.kind for r in conn.execute(select(review_items.c.kind))} & {"quarantined", "rejected_notice"}
