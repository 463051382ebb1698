"""An internationalised domain is stored and sent to the registrar in its IDNA (xn--) form; the review page shows it as
people read it, in Unicode, with the xn-- form beside it where the reseller types it into the registrar's panel."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.report.seed import add_order, add_outbox, add_receipt, add_review, add_to_do

from .conftest import shown

STORED = "xn--mnchen-3ya.de"
READ = "münchen.de"


def _seed(engine: Engine) -> int:
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain=STORED, contact_id="C-1", name="Bäckerei Huber")
        add_order(conn, "ORD-2", domain=STORED, contact_id="C-1", name="Bäckerei Huber", kind="domain_renewal")
        add_receipt(conn, "r-1", payer_name="K. Huber")
        review_id = add_review(conn, "unmatched", "r-1", "no invoice named in the reference", candidates=["ORD-1"])
        add_to_do(conn, "ORD-2", domain=STORED)
        key = f"register:{STORED}:ORD-1"
        add_outbox(conn, key, "register_domain", {"order_id": "ORD-1", "domain": STORED, "years": 1}, status="failed")
        add_review(conn, "failed_action", key, "gave up after 8 attempts: insufficient funds")
    return review_id


def test_every_page_names_the_domain_as_people_read_it(signed_in: FlaskClient, engine: Engine) -> None:
    review_id = _seed(engine)
    item = shown(signed_in.get(f"/decisions/{review_id}"))
    assert f"registration of {READ}" in item and STORED not in item

    todos = shown(signed_in.get("/todos"))
    assert f"{READ} ({STORED})" in todos  # the registrar's panel may want either form

    for path in ("/failed", "/outbox"):
        page = shown(signed_in.get(path))
        assert READ in page, path


def test_a_customer_is_found_by_the_domain_typed_in_either_form(signed_in: FlaskClient, engine: Engine) -> None:
    review_id = _seed(engine)
    for search in ("münchen", "xn--mnchen"):
        page = shown(signed_in.get(f"/decisions/{review_id}?customer={search}"))
        assert "Link to Bäckerei Huber" in page, search
        assert READ in page, search
