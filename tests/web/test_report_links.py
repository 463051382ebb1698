"""The morning report says who decided what (from the audit log, page and command line alike), and with
`[web] base_url` each decision links to its page on the review page; the links only open pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.web.conftest import NOW, add_user, confirm, sign_in, web_settings
from tests.web.test_actions import receipt_item
from worker.cli import main
from worker.report.html import render_html
from worker.report.sending import build_report
from worker.report.text import render_text
from worker.web.app import create_app

from .conftest import Clock


def _report(settings, engine):  # type: ignore[no-untyped-def]
    return build_report(settings, engine, NOW + timedelta(hours=1))


def test_the_report_names_who_decided_what(
    tmp_path: Path, database: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = database
    settings = web_settings(tmp_path, url, base_url="https://worker.example.nz")
    receipt_item(engine, settings)
    with engine.begin() as conn:
        from tests.report.seed import add_receipt, add_review

        add_receipt(conn, "r-2", amount="500.00", payer_name="J SMITH SAVINGS")
        add_review(conn, "unmatched", "r-2", "no invoice, customer or amount matches")
    # Before anyone decides, the decisions link to their pages and nobody is named.
    before = _report(settings, engine)
    text = render_text(before)
    assert "Decide on the review page: https://worker.example.nz/decisions/1" in text
    assert "decided by people" not in text.lower()

    add_user(settings)
    client: FlaskClient = create_app(settings, engine, clock=Clock()).test_client()
    assert sign_in(client).status_code == 303
    assert confirm(client, "/decisions/1/approve?orders=ORD-1").status_code == 303
    monkeypatch.setattr("worker.app.utc_now", lambda: NOW)
    assert main(["--config", str(settings.source), "review", "ignore", "2", "--note", "own savings"]) == 0

    after = _report(settings, engine)
    text = render_text(after)
    assert "DECIDED BY PEOPLE (2)" in text
    assert "* review page: aroha approved #1, 26 Nov 07:00." in text
    assert "* command line: " in text and " ignored #2, 26 Nov 07:00." in text
    html = render_html(after)
    assert 'href="https://worker.example.nz/history/' in html
    assert "<form" not in html and "<script" not in html  # a link in the e-mail can only open a page


def test_without_a_base_url_the_report_has_no_page_links(tmp_path: Path, database: tuple[str, Engine]) -> None:
    url, engine = database
    settings = web_settings(tmp_path, url)
    receipt_item(engine, settings)
    text = render_text(_report(settings, engine))
    assert "review page" not in text.lower() and "decided by people" not in text.lower()


def test_the_summary_page_is_the_report_summary(signed_in: FlaskClient, engine: Engine, settings) -> None:  # type: ignore[no-untyped-def]
    import html

    receipt_item(engine, settings)
    page = html.unescape(signed_in.get("/").get_data(as_text=True))
    report = build_report(settings, engine, NOW)
    assert report.summary
    for figure in report.summary:
        assert f'<span class="label">{figure.label}</span><span class="value">{figure.value}</span>' in page
