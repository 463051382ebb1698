"""Commands of the notices area: `notices explain FILE.eml...` (what the inbox reader makes of a message, and why)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from worker.commands.context import CommandContext
from worker.commands.failures import refuse


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands."""
    cmd = sub.add_parser(
        "notices",
        help="payment-service notice e-mails: explain what the reader makes of one",
        description="Card-payment notices (PayPal, Stripe, Windcave, Xero, ...) as the inbox reads them.",
    )
    nsub = cmd.add_subparsers(dest="notices_command", metavar="ACTION", required=True)
    explain = nsub.add_parser(
        "explain",
        help="why a notice was (or was not) taken for a payment",
        description="Read each message file as the inbox does and show the sender authentication verdict with its "
        "reasons, what was read (service; kind: payment, refund, payout, request or other; amount; currency; payer; "
        "transaction id; what the payer wrote; the references in it) and the receipt or verdict it becomes. DKIM "
        "keys come from DNS unless [matching] dkim_keys_file is set.",
    )
    explain.add_argument("files", nargs="+", type=Path, metavar="FILE.eml", help="raw RFC 5322 messages")
    explain.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per file: file, authenticated, auth_reasons, service, kind, amount, currency, payer, "
        "transaction_id, payer_text, references",
    )
    explain.set_defaults(handler=notices_explain_command)


def notices_explain_command(ctx: CommandContext) -> int:
    from integrations.notices.explain import explain_notice
    from worker.jobs.inbox import notice_trust

    trust, formats = notice_trust(ctx.settings())
    status = 0
    for path in ctx.args.files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            status = refuse(f"{path}: cannot be read ({exc.strerror or exc})", 1)
            continue
        explanation = explain_notice(raw, trust, formats, file=str(path))
        if ctx.args.json:
            print(json.dumps(explanation.as_json(), ensure_ascii=False))
        else:
            print(explanation.as_text())
    return status
