"""References stay on one line: the page's text has each hyphenated order id, date, domain or amount marked to be
kept whole, keys in <code> break only after a colon, and nothing else about the page changes."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from config.settings import Settings
from worker.web.typesetting import keep_references_whole

from .conftest import shown
from .test_actions import receipt_item

KEPT = '<span class="nw">{}</span>'


@pytest.mark.parametrize(
    "token",
    ["ORD-1042", "INV-1042,", "2026-11-20", "(RC-998877);", "-NZ$122.50", "my-shop.co.nz", "example-statement.csv"],
)
def test_a_reference_is_kept_on_one_line(token: str) -> None:
    assert keep_references_whole(f"<p>paid {token} today</p>") == f"<p>paid {KEPT.format(token)} today</p>"


@pytest.mark.parametrize(
    "text",
    [
        "comma-separated order ids",  # a hyphenated word may wrap at its hyphen, as in print
        "x" * 20 + "-" + "9" * 20,  # longer than any reference: left to wrap, or a phone would scroll sideways
        "no hyphen in 45.00 NZD",
    ],
)
def test_other_text_is_left_to_wrap(text: str) -> None:
    assert keep_references_whole(f"<td>{text}</td>") == f"<td>{text}</td>"


def test_markup_and_text_that_cannot_hold_markup_are_untouched() -> None:
    page = (
        '<!doctype html><title>ORD-1 - review</title><input name="orders" value="ORD-1042">'
        '<a href="/todos/ORD-1042/done?x=2026-11-20">x</a><select><option>2026-10</option></select>'
        "<textarea>ORD-5</textarea><style>a{margin:-1px 0.5em}</style>"
    )
    assert keep_references_whole(page) == page


def test_a_key_breaks_only_after_its_colons() -> None:
    out = keep_references_whole("<code>note:inv-ORD-1042:register:aroha.nz:ORD-1042</code> ORD-7")
    assert out == (
        f"<code>note:<wbr>{KEPT.format('inv-ORD-1042')}:<wbr>register:<wbr>aroha.nz:<wbr>{KEPT.format('ORD-1042')}"
        f"</code> {KEPT.format('ORD-7')}"
    )
    assert keep_references_whole("<code>reseller-worker review list</code>") == (
        f"<code>{KEPT.format('reseller-worker')} review list</code>"
    )


def test_every_page_reads_the_same_without_the_marks(
    signed_in: FlaskClient, engine: Engine, settings: Settings
) -> None:
    """The marks are all that is added: the served page, marks removed, is what the template wrote."""
    receipt_item(engine, settings)
    raw = signed_in.get("/decisions/1").get_data(as_text=True)
    assert KEPT.format("ORD-1,") in raw and "order ORD-1, due" in shown(raw)
    assert keep_references_whole(shown(raw)) == raw
