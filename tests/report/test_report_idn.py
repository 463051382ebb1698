"""The morning report names an internationalised domain as people write it: a registration to do by hand (with
the xn-- form beside it, as the registrar's panel may want it) and a domain about to expire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from config.settings import load_settings
from tests.report.seed import NOW, add_order
from worker.report.sending import build_report
from worker.report.text import render_text
from worker.store.outbox_tables import domains, registrar_actions


def test_to_do_and_expiring_domains_read_in_unicode(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        add_order(conn, "ORD-7", domain="xn--mnchen-3ya.de", status="paid", name="Hans Müller", contact_id="C-7")
        conn.execute(
            registrar_actions.insert().values(
                idempotency_key="register:xn--mnchen-3ya.de:ORD-7",
                order_id="ORD-7",
                domain="xn--mnchen-3ya.de",
                action="register",
                years=1,
                status="to_do",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        conn.execute(
            domains.insert().values(
                domain="xn--kln-sna.de", contact_id="C-7", expires=(NOW + timedelta(days=10)).date(), updated_at=NOW
            )
        )
    text = render_text(build_report(load_settings(None, {}), sqlite_engine, NOW))
    assert "münchen.de (xn--mnchen-3ya.de)" in text
    assert "köln.de" in text and "xn--kln-sna.de" not in text
