"""Commands of the web area: `serve` (the review page) and `web add-user|remove-user|users` (who may sign in)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from worker.commands.arguments import bounded_count
from worker.commands.context import CommandContext
from worker.commands.failures import refuse


def register(sub: argparse._SubParsersAction[Any]) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve the review page (sign in, decide the morning's items)",
        description="Serve the review page on [web] host and port (default 127.0.0.1:8377) until stopped. Signed-in "
        "users resolve review items, registrar to-dos and failed actions through the same functions as the "
        "review and orders commands. Put it behind a TLS reverse proxy to reach it from elsewhere (README). "
        "`run` serves it too when [web] enabled = true.",
    )
    serve.add_argument(
        "--port", type=bounded_count(65535), default=None, help="listen on this port instead of [web] port"
    )
    serve.set_defaults(handler=serve_page)

    web = sub.add_parser(
        "web",
        help="who may sign in to the review page",
        description="Manage the review page's users. The users file ([web] users_file, default "
        "DATA_DIR/web-users.toml) holds argon2 hashes only; there is no default user or password.",
    )
    wsub = web.add_subparsers(dest="web_command", metavar="ACTION", required=True)
    add = wsub.add_parser(
        "add-user",
        help="add a user, or give one a new password",
        description="Add a user or set a new password (asked twice at the terminal, or one line on standard input "
        "with --password-stdin). A new password ends the user's other sessions.",
    )
    add.add_argument("name", metavar="NAME", help="lower-case sign-in name, e.g. aroha")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=add_user)
    remove = wsub.add_parser(
        "remove-user", help="take a user's access away", description="Remove a user; their sessions end at once."
    )
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=remove_user)
    users = wsub.add_parser("users", help="list who may sign in", description="List the users who may sign in.")
    users.set_defaults(handler=list_users)


def serve_page(ctx: CommandContext) -> int:
    import signal

    from worker.app import utc_now
    from worker.web.serving import address, make_server, warnings

    settings = ctx.settings()
    engine = ctx.engine()
    try:
        server = make_server(settings, engine, utc_now, port=ctx.args.port)
    except OSError as exc:
        return refuse(f"cannot listen on {settings.web.host}:{ctx.args.port or settings.web.port}: {exc}", 1)
    for warning in warnings(settings):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"review page on {address(server)} (stop with Ctrl-C)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.close()
        engine.dispose()
    return 0


def _password(ctx: CommandContext) -> str:
    import getpass

    if ctx.args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for the password on: pipe it in with --password-stdin")
    first = getpass.getpass(f"New password for {ctx.args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ; nothing changed")
    return first


def add_user(ctx: CommandContext) -> int:
    from worker.web.users import UsersFile, UsersFileError, check_name

    users = UsersFile(ctx.settings().web.users_file)
    try:
        check_name(ctx.args.name)
        new = users.set_password(ctx.args.name, _password(ctx))
    except (ValueError, UsersFileError) as exc:
        print(f"reseller-worker: {exc}", file=sys.stderr)
        return 1
    if new:
        print(f"{ctx.args.name} may now sign in (users file {users.path})")
    else:
        print(f"{ctx.args.name} has a new password; their other sessions have ended")
    return 0


def remove_user(ctx: CommandContext) -> int:
    from worker.web.users import UsersFile, UsersFileError

    users = UsersFile(ctx.settings().web.users_file)
    try:
        removed = users.remove(ctx.args.name)
    except UsersFileError as exc:
        print(f"reseller-worker: {exc}", file=sys.stderr)
        return 1
    if not removed:
        print(f"reseller-worker: no user {ctx.args.name!r} in {users.path}", file=sys.stderr)
        return 1
    print(f"{ctx.args.name} removed; their sessions have ended")
    return 0


def list_users(ctx: CommandContext) -> int:
    from worker.web.users import UsersFile, UsersFileError

    users = UsersFile(ctx.settings().web.users_file)
    try:
        names = sorted(users.load().hashes)
    except UsersFileError as exc:
        print(f"reseller-worker: {exc}", file=sys.stderr)
        return 1
    if not names:
        print(f"no users yet ({users.path}); add one with `reseller-worker web add-user NAME`")
    for name in names:
        print(name)
    return 0
