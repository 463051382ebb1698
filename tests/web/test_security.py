"""The review page refuses what it must: anonymous requests on every route (found by walking the route table),
POSTs without the session's CSRF token or from another site, expired or revoked sessions, and too many failed
sign-ins. Nothing changes on a GET."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, MetaData, select

from config.settings import Settings
from tests.report.seed import add_order, add_outbox, add_receipt, add_review
from worker.store.tables import review_items
from worker.store.web_tables import audit_log, web_sessions, web_signin_failures
from worker.web.app import PUBLIC
from worker.web.users import UsersFile

from .conftest import FAST, NAME, PASSWORD, Clock, add_user, hidden, sign_in

# Values for each URL converter, so that every rule can be requested.
SAMPLE = {"review_id": 1, "order_id": "ORD-1", "entry_id": 1, "verb": None, "filename": "app.css"}


def _urls(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule and method of the app, with each `any(...)` choice."""
    found = []
    for rule in app.url_map.iter_rules():
        choices: list[dict[str, Any]] = [{}]
        for name, converter in rule._converters.items():
            values = list(getattr(converter, "items", [])) or [SAMPLE[name]]
            choices = [{**c, name: v} for c in choices for v in values]
        for args in choices:
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **args)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return found


def seed(engine: Engine) -> None:
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz")
        add_receipt(conn, "r-1", payer_name="Aroha Ltd")
        add_review(conn, "unmatched", "r-1", "no invoice named", candidates=["ORD-1"])
        add_outbox(conn, "register:aroha.nz:ORD-1", "register_domain", {"domain": "aroha.nz"}, status="failed")


def test_only_sign_in_and_the_style_sheet_are_public(web_app: Flask) -> None:
    """A new page cannot be made public by accident: the list of public endpoints is pinned here."""
    assert frozenset({"signin", "static"}) == PUBLIC
    assert {e for e, _, _ in _urls(web_app)} >= {"summary", "decisions", "item", "decide", "todos", "todo_done"}


def test_every_route_refuses_an_anonymous_request(web_app: Flask, engine: Engine) -> None:
    """Walk the route table: every GET sends a stranger to sign in, every POST is refused, and nothing is shown."""
    seed(engine)
    client = web_app.test_client()
    checked = 0
    for endpoint, method, url in _urls(web_app):
        if endpoint in PUBLIC:
            continue
        response = client.open(url, method=method, data={"csrf": "x", "orders": "ORD-1"})
        body = response.get_data(as_text=True)
        if method == "GET":
            assert response.status_code == 303, (endpoint, url)
            assert response.headers["Location"].startswith("/signin?next="), (endpoint, url)
        else:
            assert response.status_code == 403, (endpoint, url, response.status_code)
            assert "Sign in first" in body
        assert "Aroha Ltd" not in body and "no invoice named" not in body and "45.00" not in body
        checked += 1
    assert checked >= 12
    with engine.connect() as conn:
        assert conn.execute(select(audit_log)).first() is None


def test_an_unknown_address_also_asks_a_stranger_to_sign_in(client: FlaskClient) -> None:
    """Which pages exist is nobody's business before signing in."""
    response = client.get("/no/such/page")
    assert response.status_code == 303 and response.headers["Location"].startswith("/signin")


def _table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    meta = MetaData()
    meta.reflect(engine)
    skip = {"web_sessions", "alembic_version"}
    with engine.connect() as conn:
        return {
            name: sorted(map(repr, conn.execute(select(table)).all()))  # type: ignore[misc]
            for name, table in meta.tables.items()
            if name not in skip
        }


def test_no_get_changes_anything(signed_in: FlaskClient, web_app: Flask, engine: Engine) -> None:
    """Every GET (pages and the plans of actions, rehearsed and rolled back) leaves every table as it was."""
    seed(engine)
    before = _table_rows(engine)
    for endpoint, method, url in _urls(web_app):
        if method != "GET":
            continue
        for query in ("", "?orders=ORD-1&ref=RC-1&key=register:aroha.nz:ORD-1&contact=C-1&customer=aroha"):
            response = signed_in.get(url + query)
            assert response.status_code in (200, 303, 404, 409, 422), (endpoint, url, response.status_code)
    assert _table_rows(engine) == before


def test_a_post_without_the_session_csrf_token_is_refused(signed_in: FlaskClient, engine: Engine) -> None:
    """Missing, wrong or another session's token: refused with 400 and nothing is done."""
    seed(engine)
    page = signed_in.get("/decisions/1/ignore").get_data(as_text=True)
    fingerprint = hidden(page, "fingerprint")
    for token in (None, "", "wrong", hidden(page, "csrf")[:-1]):
        data = {"fingerprint": fingerprint}
        if token is not None:
            data["csrf"] = token
        response = signed_in.post("/decisions/1/ignore", data=data)
        assert response.status_code == 400
        assert "nothing was changed" in response.get_data(as_text=True)
    with engine.connect() as conn:
        assert conn.execute(select(audit_log)).first() is None
        status = conn.execute(select(review_items.c.status).where(review_items.c.id == 1)).scalar_one()
    assert status == "open"
    # The same form with the right token works.
    data = {"fingerprint": fingerprint, "csrf": hidden(page, "csrf")}
    assert signed_in.post("/decisions/1/ignore", data=data).status_code == 303


def test_every_post_route_refuses_a_form_without_the_session_token(
    signed_in: FlaskClient, web_app: Flask, engine: Engine
) -> None:
    """Walk the route table: every POST (each action, signing out, signing in) sent without the form's token, with
    a wrong one or with another session's, is refused and changes nothing; the session is still signed in."""
    seed(engine)
    other = web_app.test_client()
    assert sign_in(other).status_code == 303
    others_token = hidden(other.get("/").get_data(as_text=True), "csrf")
    own_page = signed_in.get("/decisions/1/ignore").get_data(as_text=True)
    fingerprint = hidden(own_page, "fingerprint")
    before = _table_rows(engine)
    posts = [(endpoint, url) for endpoint, method, url in _urls(web_app) if method == "POST"]
    assert {e for e, _ in posts} >= {"decide", "todo_done", "retry", "payout_accept", "signout", "signin"}
    for endpoint, url in posts:
        for token in (None, "", "forged", others_token):
            # Everything else a real form would carry, so only the token is missing.
            data = {
                "fingerprint": fingerprint,
                "orders": "ORD-1",
                "ref": "RC-1",
                "key": "register:aroha.nz:ORD-1",
                "contact": "C-1",
                "name": NAME,
                "password": PASSWORD,
            }
            if token is not None:
                data["csrf"] = data["token"] = token
            response = signed_in.post(url, data=data)
            assert response.status_code == 400, (endpoint, url, token, response.status_code)
            assert "rw_session=" not in " ".join(response.headers.getlist("Set-Cookie")), (endpoint, token)
    assert _table_rows(engine) == before
    assert signed_in.get("/").status_code == 200  # not signed out by a forged form


def test_signing_out_is_a_post_with_the_token(signed_in: FlaskClient) -> None:
    page = signed_in.get("/").get_data(as_text=True)
    assert signed_in.post("/signout", data={"csrf": "nope"}).status_code == 400
    assert signed_in.get("/").status_code == 200
    assert signed_in.post("/signout", data={"csrf": hidden(page, "csrf")}).status_code == 303
    assert signed_in.get("/").status_code == 303


def test_a_form_sent_from_another_site_is_refused(signed_in: FlaskClient, engine: Engine) -> None:
    seed(engine)
    page = signed_in.get("/decisions/1/ignore").get_data(as_text=True)
    data = {"fingerprint": hidden(page, "fingerprint"), "csrf": hidden(page, "csrf")}
    response = signed_in.post("/decisions/1/ignore", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


def test_the_session_cookie_is_httponly_strict_and_secure_over_tls(client: FlaskClient) -> None:
    response = sign_in(client)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("rw_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    tls = client.get("/signin", base_url="https://review.example.nz")
    token = hidden(tls.get_data(as_text=True), "token")
    secure = client.post(
        "/signin", data={"token": token, "name": NAME, "password": PASSWORD}, base_url="https://review.example.nz"
    )
    cookie = next(c for c in secure.headers.getlist("Set-Cookie") if c.startswith("rw_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_tls_behind_a_proxy_is_believed_only_with_proxy_hops(tmp_path: Any, engine: Engine, clock: Clock) -> None:
    """X-Forwarded-Proto makes the cookie Secure only when [web] proxy_hops says a proxy is in front."""
    from tests.web.conftest import url_of, web_settings
    from worker.web.app import create_app

    for hops, secure in ((0, False), (1, True)):
        settings = web_settings(tmp_path, url_of(engine), proxy_hops=hops)
        add_user(settings)
        client = create_app(settings, engine, clock=clock).test_client()
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        token = hidden(client.get("/signin", headers=headers).get_data(as_text=True), "token")
        response = client.post("/signin", data={"token": token, "name": NAME, "password": PASSWORD}, headers=headers)
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("rw_session="))
        assert ("Secure" in cookie) is secure
    with engine.connect() as conn:
        addresses = {r.address for r in conn.execute(select(web_sessions))}
    assert addresses == {"127.0.0.1", "203.0.113.9"}


def test_every_response_carries_the_protective_headers(signed_in: FlaskClient) -> None:
    response = signed_in.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.get_data(as_text=True)


def test_sessions_end_when_idle_and_at_their_maximum_age(
    signed_in: FlaskClient, settings: Settings, clock: Clock
) -> None:
    assert signed_in.get("/").status_code == 200
    clock.now += timedelta(minutes=settings.web.session_idle_minutes - 1)
    assert signed_in.get("/").status_code == 200  # used again: the idle time starts over
    clock.now += timedelta(minutes=settings.web.session_idle_minutes + 1)
    assert signed_in.get("/").status_code == 303
    assert sign_in(signed_in).status_code == 303
    for _ in range(settings.web.session_hours * 60 // (settings.web.session_idle_minutes - 1) + 2):
        clock.now += timedelta(minutes=settings.web.session_idle_minutes - 1)
        if signed_in.get("/").status_code != 200:
            break
    assert signed_in.get("/").status_code == 303


def test_a_new_password_or_removal_ends_the_user_sessions(signed_in: FlaskClient, settings: Settings) -> None:
    users = UsersFile(settings.web.users_file)
    users.set_password(NAME, "another long passphrase", hasher=FAST)
    assert signed_in.get("/").status_code == 303
    assert sign_in(signed_in, password="another long passphrase").status_code == 303
    assert signed_in.get("/").status_code == 200
    users.remove(NAME)
    assert signed_in.get("/").status_code == 303


def test_failed_sign_ins_are_limited_per_name_and_per_address(
    client: FlaskClient, settings: Settings, engine: Engine, clock: Clock
) -> None:
    limit = settings.web.signin_attempts
    for _ in range(limit):
        response = sign_in(client, password="wrong password!")
        assert response.status_code == 401
        assert "do not match" in response.get_data(as_text=True)
    # The right password is refused too while the name is locked out, without even being checked.
    blocked = sign_in(client)
    assert blocked.status_code == 429
    assert re.search(r"Try again in \d+ minutes?", blocked.get_data(as_text=True))
    # Another name from the same address is refused as well: the address has used up its attempts.
    add_user(settings, "mere", "mere's long password")
    assert sign_in(client, "mere", "mere's long password").status_code == 429
    clock.now += timedelta(minutes=settings.web.signin_window_minutes, seconds=1)
    assert sign_in(client).status_code == 303
    with engine.connect() as conn:
        assert conn.execute(select(web_signin_failures).where(web_signin_failures.c.username == NAME)).first() is None


def test_an_unknown_name_fails_like_a_wrong_password(client: FlaskClient) -> None:
    response = sign_in(client, "nobody", "whatever it is")
    assert response.status_code == 401 and "do not match" in response.get_data(as_text=True)


def test_sign_in_needs_its_own_form_token(client: FlaskClient) -> None:
    """A sign-in form posted from elsewhere (login CSRF) has no token cookie to match."""
    response = client.post("/signin", data={"token": "made-up", "name": NAME, "password": PASSWORD})
    assert response.status_code == 400
    assert "rw_session" not in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_sign_in_goes_on_only_to_this_site(client: FlaskClient, target: str) -> None:
    response = sign_in(client, next_path=target)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_link_from_the_email_opens_the_page_and_never_acts(
    signed_in: FlaskClient, web_app: Flask, engine: Engine
) -> None:
    """The report's links are plain GETs: an action's link shows its plan and a Confirm button, nothing more.
    Opened from another site, the sign-in page reloads itself once so the Strict cookie is sent."""
    seed(engine)
    page = signed_in.get("/decisions/1/ignore")
    assert page.status_code == 200 and "Confirm: ignore" in page.get_data(as_text=True)
    with engine.connect() as conn:
        assert conn.execute(select(audit_log)).first() is None
    # A browser sends no Strict cookie on a request that came from another site: a fresh client stands for that.
    hop = web_app.test_client().get("/signin?next=/decisions/1", headers={"Sec-Fetch-Site": "cross-site"})
    assert 'http-equiv="refresh"' in hop.get_data(as_text=True) and "hop=1" in hop.get_data(as_text=True)
    assert signed_in.get("/signin?next=/decisions/1&hop=1").headers["Location"] == "/decisions/1"
