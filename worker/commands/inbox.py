"""Commands of the inbox area: `inbox status` (watermark, messages per folder, moves not yet confirmed),
`inbox poll` (read the payments inbox once, now) and `inbox connect` (sign in once at Microsoft 365 or Google)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from worker.commands.arguments import bounded_count, seconds
from worker.commands.context import CommandContext
from worker.commands.failures import refuse


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands."""
    cmd = sub.add_parser(
        "inbox",
        help="the payments inbox: where reading stopped, what was filed where",
        description="The payments inbox (IMAP or Maildir) the worker reads card-payment notices from.",
    )
    isub = cmd.add_subparsers(dest="inbox_command", metavar="ACTION", required=True)
    status = isub.add_parser(
        "status",
        help="watermark, messages per folder and outcome, pending moves",
        description="Show the stored UIDVALIDITY and last UID read, how many messages went to each folder "
        "(Processed, Review, Rejected, Quarantine) and with which outcome, and moves not yet confirmed.",
    )
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    status.set_defaults(handler=inbox_status_command)
    poll = isub.add_parser(
        "poll",
        help="read the inbox once, now",
        description="Read every new message once (the poll_inbox job) and print its counts.",
    )
    poll.set_defaults(handler=inbox_poll_command)
    connect = isub.add_parser(
        "connect",
        help="sign in once as the mailbox's owner at Microsoft 365 or Google",
        description="Sign in as the payments mailbox's owner; the worker then renews its own access tokens. "
        "Microsoft: shows a page and a code to enter on any device (device-code flow). Google: prints a consent "
        "URL whose redirect comes back to a loopback port on this machine (from elsewhere: ssh -L PORT:127.0.0.1:PORT "
        "first). The token set is stored (mode 0600) in the data directory, then an IMAP login is tried with it. "
        'Run it again whenever the worker says the mailbox needs signing in again. Uses [inbox] auth = "microsoft" '
        'or "google" and RW_INBOX_CLIENT_ID (and RW_INBOX_CLIENT_SECRET for Google).',
    )
    connect.add_argument(
        "--provider", choices=("microsoft", "google"), default=None, help="who keeps the mailbox ([inbox] auth)"
    )
    connect.add_argument(
        "--port",
        type=bounded_count(65535, minimum=0),
        default=None,
        help="Google: loopback port for the redirect (8766)",
    )
    connect.add_argument(
        "--wait",
        type=seconds,
        default=900.0,
        help="Google: seconds to wait for the redirect (900; Microsoft's code lasts 15 min)",
    )
    connect.set_defaults(handler=inbox_connect_command)


def inbox_status_command(ctx: CommandContext) -> int:
    from worker.jobs.inbox import inbox_status, mailbox_key

    settings = ctx.settings()
    if settings.inbox.kind == "none":
        print("no inbox configured ([inbox] kind = none)")
        return 0
    engine = ctx.engine(migrate=False)
    try:
        with engine.connect() as conn:
            status = inbox_status(conn, mailbox_key(settings.inbox))
    finally:
        engine.dispose()
    if ctx.args.json:
        print(json.dumps(status, indent=2, sort_keys=True))
        return 0
    print(f"mailbox       {status['mailbox']}")
    if status["uidvalidity"] is None:
        print("watermark     not read yet")
    else:
        print(f"watermark     UIDVALIDITY {status['uidvalidity']}, last UID {status['last_uid']}")
    for folder, n in sorted(status["folders"].items()):
        print(f"  {folder:<12} {n}")
    print("outcomes      " + (", ".join(f"{k} {v}" for k, v in sorted(status["outcomes"].items())) or "none"))
    print(f"pending moves {status['pending_moves']}")
    if settings.inbox.kind == "imap" and settings.inbox.auth in ("microsoft", "google"):
        from integrations.mailsignin import sign_in_state, token_store
        from integrations.tokens import utc_now

        store = token_store(settings.worker.data_dir)
        _, line = sign_in_state(store, provider=settings.inbox.auth, now=utc_now())
        print(f"sign-in       {line}")
        stored = store.load()
        if stored is not None and stored.ended:
            print(f"              the provider said: {stored.ended}")
    return 0


def inbox_poll_command(ctx: CommandContext) -> int:
    from worker.jobs.inbox import poll_inbox
    from worker.jobs.runner import run_job

    summary = run_job(ctx.app(), "poll_inbox", poll_inbox)
    if summary is None:
        return 1
    print(" ".join(f"{k}={v}" for k, v in sorted(summary.items())))
    return 0


def inbox_connect_command(ctx: CommandContext) -> int:
    from dataclasses import replace

    from integrations.errors import IntegrationError
    from integrations.mailbox.opening import check_mailbox
    from integrations.mailsignin.providers import connect_mailbox

    settings = ctx.settings()
    inbox = settings.inbox
    provider = ctx.args.provider or (inbox.auth if inbox.auth in ("microsoft", "google") else "")
    if not provider:
        return refuse('which provider? set [inbox] auth = "microsoft" or "google", or pass --provider')
    if inbox.auth in ("microsoft", "google") and provider != inbox.auth:
        return refuse(f"[inbox] auth is {inbox.auth!r}: sign in with that provider, or change [inbox] auth first")

    def show(text: str) -> None:
        if provider == "google":
            print("Open this URL in a browser, signed in as the payments mailbox, and allow access:")
        print(text, flush=True)

    try:
        tokens = connect_mailbox(inbox, settings.worker.data_dir, provider=provider, show=show, port=ctx.args.port,
                                 wait_seconds=ctx.args.wait)  # fmt: skip
    except IntegrationError as exc:
        return refuse(f"not signed in: {exc}", 1)
    who = f" as {tokens.account}" if tokens.account else ""
    print(f"signed in with {provider}{who}; token set stored in {settings.worker.data_dir / 'inbox-tokens.json'}")
    if inbox.kind != "imap" or inbox.auth != provider:
        print(f'to read the mailbox with it, set [inbox] kind = "imap" and auth = "{provider}"')
        return 0
    try:
        print("imap: " + check_mailbox(replace(inbox, auth=provider), settings.worker.data_dir))
    except IntegrationError as exc:
        return refuse(
            f"imap login with the new token failed: {exc} (is [inbox] username the mailbox that signed in{who}? is "
            "IMAP enabled for it?)",
            1,
        )
    return 0
