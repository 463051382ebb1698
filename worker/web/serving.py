"""Serving the review page with waitress (a production WSGI server in pure Python): in the foreground for
`reseller-worker serve`, or on a background thread of `reseller-worker run` when `[web] enabled = true`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Engine

from config.network import is_loopback
from config.settings import Settings

log = structlog.get_logger(__name__)


def make_server(settings: Settings, engine: Engine, clock: Callable[[], datetime], *, port: int | None = None) -> Any:
    """Build the app and bind its port (an OSError here means the port is taken or not ours to bind)."""
    from waitress.server import create_server

    from worker.web.app import create_app

    app = create_app(settings, engine, clock=clock)
    return create_server(
        app,
        host=settings.web.host,
        port=settings.web.port if port is None else port,
        threads=4,
        ident="reseller-worker",
        # The proxy's X-Forwarded-* are read by the app (ProxyFix, [web] proxy_hops), not by waitress.
        clear_untrusted_proxy_headers=False,
    )


def address(server: Any) -> str:
    host, port = server.effective_host, server.effective_port
    return f"http://{'[' + host + ']' if ':' in str(host) else host}:{port}/"


def warnings(settings: Settings) -> list[str]:
    """What an operator should hear before the page is used."""
    found = []
    from worker.web.users import UsersFile, UsersFileError

    try:
        if not UsersFile(settings.web.users_file).load().hashes:
            found.append(
                f"nobody can sign in yet: add a user with 'reseller-worker web add-user NAME' "
                f"(users file {settings.web.users_file})"
            )
    except UsersFileError as exc:
        found.append(str(exc))
    if not is_loopback(settings.web.host) and not settings.web.proxy_hops:
        found.append(
            f"listening on {settings.web.host}, beyond this machine, without a TLS proxy in front ([web] "
            "proxy_hops = 0): passwords would cross the network in clear. Put it behind Caddy or nginx (README)."
        )
    return found


def start_in_background(settings: Settings, engine: Engine, clock: Callable[[], datetime]) -> Callable[[], None]:
    """Serve on a daemon thread beside the scheduler; returns what stops it."""
    from waitress.wasyncore import close_all

    server = make_server(settings, engine, clock)
    for warning in warnings(settings):
        log.warning("web_warning", warning=warning)
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    log.info("web_serving", address=address(server))

    def stop() -> None:
        # Let the requests being served finish first: a handler thread that finishes after close() pulls the
        # closed trigger (EBADF in waitress's task thread).
        server.task_dispatcher.shutdown()
        # Then close every socket from the serving thread itself, between two of its select() calls: closed from
        # here, a descriptor could vanish under a select() already waiting on it (EBADF in thread "web").
        server.trigger.pull_trigger(lambda: close_all(server._map))
        thread.join(timeout=5)

    return stop
