"""`payouts`: each payout a payment service made, with its gross, fees, net, the bank line it matched, its state and
its card payments; and `payouts accept`, by which a person settles one the worker sent to review."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from worker.commands.context import CommandContext


def register(sub: argparse._SubParsersAction[Any]) -> None:
    cmd = sub.add_parser(
        "payouts",
        help="payment services' payouts: what each settled, its fees, and whether it reached the bank",
        description="Card payments wait on each payment service's clearing account until a payout carries them to "
        "the bank, net of fees. These commands show each payout and let a person settle one the worker could not.",
    )
    psub = cmd.add_subparsers(dest="payouts_command", metavar="ACTION", required=True)
    ls = psub.add_parser(
        "list",
        help="each payout with gross, fees, net, its bank line, its state and its card payments",
        description="Payouts newest first. State: settled (matched, fees and transfer booked, seen at the bank), "
        "waiting (not matched yet, or not yet at the bank), mismatch (with a person: see `review list`). Card "
        "payments never paid out are listed after them.",
    )
    ls.add_argument("--json", action="store_true", help="print a JSON object: payouts and never_paid_out")
    ls.add_argument(
        "--state", choices=("settled", "waiting", "mismatch"), default="", help="only payouts in this state"
    )
    ls.add_argument("--limit", type=int, default=100, help="at most this many payouts (default 100)")
    ls.set_defaults(handler=_list)
    accept = psub.add_parser(
        "accept",
        help="settle a payout the worker sent to review",
        description="Book a payout's fees and the transfer of its net to the bank, after recording by hand on the "
        "clearing account what it held that the worker has no record of (a refund, a chargeback, a payment taken "
        "outside the worker). With Stripe's record the payments and fees come from it; otherwise name the "
        "payments and what you recorded by hand. Refused when the figures cannot add up.",
    )
    accept.add_argument("key", metavar="PAYOUT", help="the payout's key, as `payouts list` shows it")
    accept.add_argument("--payments", default=None, help="the card payments it carried (receipt ids, comma separated)")
    accept.add_argument(
        "--recorded-by-hand",
        default="0",
        metavar="AMOUNT",
        help="what you recorded on the clearing account for this payout: money in, or out when negative (-20.00 "
        "for a refund); default 0",
    )
    accept.set_defaults(handler=_accept)


def _list(ctx: CommandContext) -> int:
    from worker.payouts import list_payouts, never_paid, payout_json, payouts_text

    settings = ctx.settings()
    engine = ctx.engine()
    today = settings.worker.business_day(datetime.now(UTC))
    with engine.connect() as conn:
        views = list_payouts(conn, limit=max(1, ctx.args.limit), state=ctx.args.state)
        late = never_paid(conn, settings, today)
    if ctx.args.json:
        print(
            json.dumps(
                {
                    "payouts": [payout_json(v) for v in views],
                    "never_paid_out": [
                        {
                            "receipt": p.payment_id,
                            "service": p.gateway,
                            "invoices": list(p.invoices),
                            "amount": str(p.money.cents()),
                            "currency": p.money.currency,
                            "paid_on": p.paid_on.isoformat(),
                            "late_since": since.isoformat(),
                        }
                        for p, since in late
                    ],
                },
                indent=2,
            )
        )
        return 0
    if not settings.gateways.services:
        print(
            "No payment service is set up ([gateways.<service>] clearing_account): card payments go to the bank "
            "account."
        )
    print(payouts_text(views, late))
    return 0


def _accept(ctx: CommandContext) -> int:
    from worker.acting import act
    from worker.app import utc_now
    from worker.audit import shell_actor
    from worker.chores import settle_payout
    from worker.payouts import AcceptRefused, parse_amount

    settings = ctx.settings()
    engine = ctx.engine()
    payments = [p.strip() for p in ctx.args.payments.split(",") if p.strip()] if ctx.args.payments else None
    try:
        by_hand: Decimal = parse_amount(ctx.args.recorded_by_hand)
    except AcceptRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    acted = act(
        engine,
        lambda conn, now: settle_payout(
            conn, settings, ctx.args.key, payments=payments, recorded_by_hand=by_hand, now=now
        ),
        now=utc_now(),
        actor=shell_actor(),
        via="cli",
        action="payout",
        subject=ctx.args.key,
        request={"payments": ctx.args.payments or "", "recorded_by_hand": ctx.args.recorded_by_hand},
    )
    print(acted.message, file=sys.stdout if acted.ok else sys.stderr)
    return 0 if acted.ok else 1
