"""The review page says the payments mailbox needs signing in again, in the same sentence as the report."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

from sqlalchemy import Engine

from integrations.mailsignin import SIGN_IN_AGAIN, token_store
from integrations.tokens import TokenSet
from tests.web.conftest import NOW, Clock, add_user, shown, sign_in, web_settings
from worker.web.app import create_app


def test_summary_and_health_pages_say_the_mailbox_needs_signing_in_again(
    tmp_path: Path, database: tuple[str, Engine], clock: Clock
) -> None:
    settings = web_settings(tmp_path, database[0])
    inbox = dataclasses.replace(settings.inbox, kind="imap", host="outlook.office365.com", username="billing@x.nz",
                                auth="microsoft", client_id="app-id")  # fmt: skip
    settings = dataclasses.replace(settings, inbox=inbox)
    ended = "Microsoft: invalid_grant: AADSTS50173"
    tokens = TokenSet(access_token="a", expires_at=NOW, refresh_token="r", provider="microsoft", ended=ended)
    token_store(settings.worker.data_dir).save(tokens)
    add_user(settings)
    app = create_app(settings, database[1], clock=clock)
    app.testing = True
    client = app.test_client()
    assert sign_in(client).status_code == 303
    summary = html.unescape(shown(client.get("/")))
    said = SIGN_IN_AGAIN.replace("`", "'")  # the page quotes the command; it shows no Markdown backticks
    assert f"The worker needs attention: payments mailbox: {said};" in summary  # then the late jobs
    assert "Matching payments (match_receipts) is late" in summary  # a job named as the report names it
    health = html.unescape(shown(client.get("/health")))
    assert f"Payments mailbox: {said}" in health and "`" not in health
    # No daemon runs here, so every job is late; the count is of those jobs, not of the mailbox.
    jobs = re.search(r"(\d+) jobs? needs? attention", health)
    assert jobs is not None and int(jobs.group(1)) == health.count('<span class="tag bad">late</span>')
