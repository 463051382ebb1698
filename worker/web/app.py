"""The review page's Flask app: sign-in, sessions, CSRF and the headers every response carries.

Every route needs a signed-in session except those in `PUBLIC` (the sign-in form and the style sheet); a test
walks the route table, so a new page cannot forget it. Nothing changes on GET; every POST carries the session's
CSRF token. Pages are in `worker.web.pages`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from flask import Flask, Response, g, redirect, render_template, request, url_for
from sqlalchemy import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import Settings
from worker.web import sessions
from worker.web.context import WebContext, context
from worker.web.filters import register_filters
from worker.web.pages import register_pages
from worker.web.typesetting import keep_references_whole
from worker.web.users import UsersFile, UsersFileError

log = structlog.get_logger(__name__)

PUBLIC = frozenset({"signin", "static"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "rw_session"
SIGNIN_COOKIE = "rw_signin"  # the sign-in form's own CSRF token (double submit): no session exists yet
HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(settings: Settings, engine: Engine, *, clock: Callable[[], datetime]) -> Flask:
    web = settings.web
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(TEMPLATES_AUTO_RELOAD=False, MAX_CONTENT_LENGTH=64 * 1024, SEND_FILE_MAX_AGE_DEFAULT=3600)
    app.extensions["reseller_worker"] = WebContext(
        settings=settings,
        engine=engine,
        clock=clock,
        users=UsersFile(web.users_file),
        lifetime=sessions.Lifetime(
            idle=timedelta(minutes=web.session_idle_minutes), maximum=timedelta(hours=web.session_hours)
        ),
        limit=sessions.SigninLimit(attempts=web.signin_attempts, window=timedelta(minutes=web.signin_window_minutes)),
    )
    if web.proxy_hops:
        # Believe X-Forwarded-For/-Proto/-Host/-Prefix from exactly this many proxies: the client address for the
        # sign-in limit, https for the Secure cookie.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=web.proxy_hops, x_proto=web.proxy_hops, x_host=web.proxy_hops, x_prefix=web.proxy_hops
        )
    app.before_request(_guard)
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.add_url_rule("/signin", "signin", _signin, methods=["GET", "POST"])
    app.add_url_rule("/signout", "signout", _signout, methods=["POST"])
    register_filters(app, settings)
    register_pages(app)
    return app


# ---- every request ---------------------------------------------------------------------------------------------


def _address() -> str:
    return (request.remote_addr or "unknown")[:64]


def _current_session() -> sessions.Session | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    ctx = context()
    try:
        users = ctx.users.load()
    except UsersFileError as exc:
        log.error("web_users_file_unreadable", error=str(exc))
        return None
    with ctx.engine.begin() as conn:
        found = sessions.find(conn, token, now=ctx.clock(), lifetime=ctx.lifetime)
        if found is None:
            return None
        if users.stamp_of(found.username) != found.user_stamp:
            # Removed, or a new password since this session signed in.
            sessions.end(conn, found.token_hash)
            return None
    return found


def _refuse(status: int, title: str, text: str) -> Response:
    response = Response(render_template("error.html", title=title, text=text), status=status)
    return response


def _guard() -> Response | None:
    if request.method not in SAFE_METHODS and request.headers.get("Sec-Fetch-Site") == "cross-site":
        return _refuse(403, "Refused", "This form was sent from another site. Nothing was changed.")
    if request.endpoint in PUBLIC:
        return None
    found = _current_session()
    if found is None:
        if request.method in SAFE_METHODS:
            target = request.full_path if request.query_string else request.path
            return redirect(url_for("signin", next=target), code=303)  # type: ignore[return-value]
        return _refuse(403, "Sign in first", "You are not signed in (or your session ended). Nothing was changed.")
    g.session = found
    g.user = found.username
    g.csrf = found.csrf_token
    if request.method not in SAFE_METHODS and not hmac.compare_digest(request.form.get("csrf", ""), found.csrf_token):
        return _refuse(
            400,
            "Refused: stale form",
            "This form is out of date or did not come from this page, so nothing was changed. Go back, reload the "
            "page and try again.",
        )
    return None


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "static":
        # Pages carry customers' names and money: never kept by the browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
    if response.mimetype == "text/html" and not response.direct_passthrough:
        response.set_data(keep_references_whole(response.get_data(as_text=True)))
    return response


def _http_error(exc: HTTPException) -> Response:
    return _refuse(exc.code or 500, exc.name, exc.description or "")


def set_cookie(response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path=request.script_root or "/",
    )


# ---- signing in and out ----------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    # Only a path on this site: never another host, never a scheme-relative //host.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return url_for("summary")
    return value


def _signin_form(*, error: str = "", status: int = 200, name: str = "") -> Response:
    token = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(24)
    next_path = _safe_next(request.values.get("next"))
    body = render_template("signin.html", token=token, next=next_path, error=error, name=name)
    response = Response(body, status=status)
    set_cookie(response, SIGNIN_COOKIE, token, max_age=3600)
    return response


def _signin() -> Any:
    ctx = context()
    if request.method == "GET":
        if _current_session() is not None:
            return redirect(_safe_next(request.args.get("next")), code=303)
        if request.headers.get("Sec-Fetch-Site") == "cross-site" and not request.args.get("hop"):
            # Opened from a link elsewhere (the e-mailed report): a SameSite=Strict cookie is not sent on that
            # first request. Reload once from this site, which sends it; a signed-in reseller goes straight on.
            params: dict[str, Any] = {**request.args.to_dict(), "hop": "1"}
            again = url_for("signin", **params)
            return Response(render_template("hop.html", url=again), status=200)
        return _signin_form()
    sent = request.form.get("token", "")
    kept = request.cookies.get(SIGNIN_COOKIE, "")
    if not sent or not kept or not hmac.compare_digest(sent, kept):
        return _signin_form(error="The sign-in form was out of date; please try again.", status=400)
    name = request.form.get("name", "").strip().lower()[:64]
    password = request.form.get("password", "")
    address = _address()
    now = ctx.clock()
    with ctx.engine.begin() as conn:
        sessions.sweep(conn, now=now, lifetime=ctx.lifetime, window=ctx.limit.window)
        wait = sessions.blocked_for(conn, username=name, address=address, now=now, limit=ctx.limit)
    if wait is not None:
        minutes = max(1, int(wait.total_seconds() + 59) // 60)
        log.warning("web_signin_limited", user=name, address=address)
        return _signin_form(
            error=f"Too many failed sign-ins for this name or from this address. Try again in {minutes} minute"
            + ("s." if minutes != 1 else "."),
            status=429,
            name=name,
        )
    try:
        user_stamp = ctx.users.load().verify(name, password) if name and password else None
    except UsersFileError as exc:
        log.error("web_users_file_unreadable", error=str(exc))
        return _signin_form(error="The users file cannot be read; the operator's log says why.", status=500)
    with ctx.engine.begin() as conn:
        if user_stamp is None:
            sessions.record_failure(conn, username=name, address=address, now=now)
            token = None
        else:
            sessions.clear_failures(conn, username=name)
            token = sessions.start(conn, username=name, user_stamp=user_stamp, address=address, now=now)
    if token is None:
        log.warning("web_signin_failed", user=name, address=address)
        return _signin_form(error="That name and password do not match.", status=401, name=name)
    log.info("web_signed_in", user=name, address=address)
    response = Response(status=303, headers={"Location": _safe_next(request.form.get("next"))})
    set_cookie(response, SESSION_COOKIE, token, max_age=int(ctx.lifetime.maximum.total_seconds()))
    response.delete_cookie(SIGNIN_COOKIE, path=request.script_root or "/")
    return response


def _signout() -> Any:
    ctx = context()
    with ctx.engine.begin() as conn:
        sessions.end(conn, g.session.token_hash)
    log.info("web_signed_out", user=g.user)
    response = redirect(url_for("signin"), code=303)
    response.delete_cookie(SESSION_COOKIE, path=request.script_root or "/")
    return response
