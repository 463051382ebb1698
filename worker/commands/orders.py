"""Commands of the orders area: see paid orders and their effects, close a manual registration by hand, and
start, change or stop a hosting service (its repeating Xero invoice follows on the next dispatch)."""

from __future__ import annotations

import argparse
from typing import Any

from worker.commands.arguments import bounded_count, contact_id, domain_name, iso_date
from worker.commands.context import CommandContext


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands."""
    cmd = sub.add_parser(
        "orders",
        help="paid orders and their effects; close a manual registration",
        description="Paid orders and what the worker did for them.",
    )
    osub = cmd.add_subparsers(dest="orders_command", metavar="ACTION", required=True)
    ls = osub.add_parser(
        "list",
        help="list orders with their effects",
        description="List orders (paid ones by default) with each effect's status: the payment in "
        "Xero, the registration or renewal, history notes, hosting.",
    )
    ls.add_argument(
        "--status",
        default="paid",
        choices=("open", "part_paid", "paid", "done", "closed", "all"),
        help="which orders to show (default: paid, i.e. waiting for effects; part_paid: paid in part, effects "
        "waiting for the rest)",
    )
    ls.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array (order, invoice, customer, domain, kind, status, amount, owed, paid_by, effects, "
        "to_do)",
    )
    ls.add_argument("--limit", type=bounded_count(100_000), default=100, help="at most this many (default 100)")
    ls.set_defaults(handler=lambda ctx: _with_db(ctx, "orders_list"))
    done = osub.add_parser(
        "done",
        help="record a registration or renewal done by hand",
        description="Close the to-do of a manual registration or renewal: records the registrar reference and the "
        "new expiry, queues the History note on the invoice, resolves the to-do, and settles the order.",
    )
    done.add_argument("order", metavar="ORDER", help="the order id, e.g. ORD-1042")
    done.add_argument("--ref", required=True, help="the registrar's order id or reference")
    done.add_argument(
        "--expires",
        type=iso_date,
        default=None,
        help="new expiry YYYY-MM-DD (default: today, or the old expiry, plus the term)",
    )
    done.add_argument("--cost", default=None, help="what you paid upstream, for the margin line (e.g. 18.50)")
    done.set_defaults(handler=lambda ctx: _with_db(ctx, "orders_done"))
    new = osub.add_parser(
        "new",
        help="a customer ordered a domain: raise its invoice in Xero",
        description="Queue the Xero invoice for a new domain registration (your own price: --price, else "
        "[hosting] domain_rates for the TLD, per year). The contact is the Xero ContactID given, or is found by "
        "e-mail (created if missing). Once the invoice is paid, the worker registers the domain.",
    )
    new.add_argument(
        "--domain",
        required=True,
        type=domain_name,
        help="the domain to register, e.g. example.co.nz (an internationalised name is sent in its xn-- form)",
    )
    new.add_argument("--years", type=int, default=1, choices=range(1, 11), metavar="N", help="term (default 1)")
    who = new.add_mutually_exclusive_group(required=True)
    who.add_argument("--contact", type=contact_id, help="the Xero ContactID to invoice (checked in Xero first)")
    who.add_argument("--email", help="the customer's e-mail: their Xero contact is found or created")
    new.add_argument("--name", help="the customer's name, for a contact created by --email")
    new.add_argument("--price", default=None, help="your price for the whole term (e.g. 35.00)")
    new.set_defaults(handler=lambda ctx: _with_db(ctx, "orders_new"))
    retry = osub.add_parser(
        "retry",
        help="retry a failed action after fixing its cause",
        description="Give a failed outbox action (the subject of its failed_action review item, e.g. "
        "register:example.co.nz:ORD-1042) a fresh set of attempts; the next dispatch runs it, checking first.",
    )
    retry.add_argument("key", metavar="KEY", help="the action's key, as shown in the review item")
    retry.set_defaults(handler=lambda ctx: _with_db(ctx, "orders_retry"))

    host = sub.add_parser(
        "hosting",
        help="start, change or stop a hosting service",
        description="Hosting services are billed by a repeating Xero invoice at your own rate for "
        "the plan ([hosting] plans); the next dispatch creates, replaces or ends it.",
    )
    hsub = host.add_subparsers(dest="hosting_command", metavar="ACTION", required=True)
    start = hsub.add_parser(
        "start",
        help="a site went live: start billing its plan",
        description="Start a hosting service and queue its monthly repeating invoice. The customer pays first: "
        "unless they have paid a setup or hosting invoice for the site, a setup invoice ([hosting] setup_fees, else a "
        "month of the plan) is raised once and the start waits until it is paid (the report lists sites waiting); "
        "--without-first-payment starts it now and records that.",
    )
    start.add_argument("--domain", required=True, type=domain_name, help="the site's domain")
    start.add_argument("--plan", required=True, help="a plan name from [hosting] plans")
    start.add_argument(
        "--contact", required=True, type=contact_id, help="the Xero ContactID to bill (checked in Xero first)"
    )
    start.add_argument("--start", type=iso_date, default=None, help="first invoice date (default today)")
    start.add_argument(
        "--without-first-payment",
        action="store_true",
        help="start it now although the customer has paid no setup or first-month invoice for it (recorded)",
    )
    start.add_argument("--reason", default="", help="with --without-first-payment: why, for the record")
    start.set_defaults(handler=lambda ctx: _with_db(ctx, "hosting_start"))
    change = hsub.add_parser(
        "change",
        help="move a site to another plan",
        description="Change the plan of an active hosting service. Xero cannot edit a repeating invoice, so the "
        "next dispatch deletes it and creates one at the new plan's rate, starting at its next billing date.",
    )
    change.add_argument("--domain", required=True, type=domain_name, help="the site's domain")
    change.add_argument("--plan", required=True, help="the new plan from [hosting] plans")
    change.set_defaults(handler=lambda ctx: _with_db(ctx, "hosting_change"))
    stop = hsub.add_parser(
        "stop",
        help="stop billing a site",
        description="Stop an active hosting service; its repeating invoice is ended.",
    )
    stop.add_argument("--domain", required=True, type=domain_name, help="the site's domain")
    stop.set_defaults(handler=lambda ctx: _with_db(ctx, "hosting_stop"))


def _with_db(ctx: CommandContext, command: str) -> int:
    # The handlers live in order_actions so that `reseller-worker --help` (and replay) need not import SQLAlchemy.
    from worker.commands import order_actions

    settings = ctx.settings()
    if command in ("orders_new", "hosting_start") and ctx.args.contact:
        from worker.commands.order_input import known_contact

        # A contact Xero does not hold would fail later in the outbox, after the order or service was recorded.
        known_contact(ctx.app().accounting, ctx.args.contact)
    engine = ctx.engine()
    try:
        handler: order_actions.Handler = getattr(order_actions, command)
        return handler(engine, settings, ctx.args, order_actions.utc_now)
    finally:
        engine.dispose()
