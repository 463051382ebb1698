"""Commands of the inbox area: `inbox status` (watermark, messages per folder, moves not yet confirmed) and
`inbox poll` (read the payments inbox once, now)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from worker.commands.context import CommandContext


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
    return 0


def inbox_poll_command(ctx: CommandContext) -> int:
    from worker.jobs.inbox import poll_inbox
    from worker.jobs.runner import run_job

    summary = run_job(ctx.app(), "poll_inbox", poll_inbox)
    if summary is None:
        return 1
    print(" ".join(f"{k}={v}" for k, v in sorted(summary.items())))
    return 0
