"""Commands of the xero area: `xero connect` (OAuth2 consent, once) and `xero status` (token, quota, watermarks)."""

from __future__ import annotations

import argparse
from typing import Any

from worker.commands.arguments import bounded_count, seconds
from worker.commands.context import CommandContext
from worker.commands.failures import refuse


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands."""
    cmd = sub.add_parser(
        "xero",
        help="connect to Xero and see the connection's state",
        description="Connect the worker to a Xero organisation and see its token, call budget and sync marks.",
    )
    xsub = cmd.add_subparsers(dest="xero_command", metavar="ACTION", required=True)
    connect = xsub.add_parser(
        "connect",
        help="authorise the worker in Xero (OAuth2 code flow)",
        description="Print Xero's consent URL, wait for the browser's redirect on a loopback port, exchange the "
        "code, choose the organisation (xero.tenant_id, or the only one) and store the token set (mode 0600) "
        "under the data directory. Only for mode = oauth2; a Custom Connection needs no consent.",
    )
    connect.add_argument(
        "--port",
        type=bounded_count(65535, minimum=0),
        default=None,
        help="loopback port for the redirect (default [xero] redirect_port; 0: any free port)",
    )
    connect.add_argument("--wait", type=seconds, default=300.0, help="seconds to wait for the redirect (300)")
    connect.set_defaults(handler=xero_connect)
    status = xsub.add_parser(
        "status",
        help="token expiry, call budget left and sync watermarks",
        description="One line on the token (never the token itself), the stored day-limit park, and each "
        "sync watermark.",
    )
    status.set_defaults(handler=xero_status)


def xero_connect(ctx: CommandContext) -> int:
    from integrations.errors import IntegrationError
    from integrations.xero.tokens import FileTokenStore, connect

    settings = ctx.settings()
    if settings.xero.mode != "oauth2":
        return refuse(f'xero.mode is {settings.xero.mode!r}: `xero connect` is for mode = "oauth2"')
    store = FileTokenStore(settings.worker.data_dir / "xero-tokens.json")

    def show(url: str) -> None:
        print("Open this URL in a browser and allow access:")
        print(url, flush=True)

    try:
        tokens = connect(settings.xero, store, show=show, port=ctx.args.port, wait_seconds=ctx.args.wait)
    except IntegrationError as exc:
        return refuse(f"not connected: {exc}", 1)
    print(f"connected to tenant {tokens.tenant_id}; token set stored in {store.path}")
    return 0


def xero_status(ctx: CommandContext) -> int:
    print(xero_status_line(ctx))
    return 0


def xero_status_line(ctx: CommandContext) -> str:
    from sqlalchemy import select

    from integrations.xero.adapter import XeroState
    from integrations.xero.tokens import XeroTokens, token_store_for_mode
    from worker.jobs.xero_sync import WATERMARKS
    from worker.store.opening import DatabaseUnusable
    from worker.store.tables import watermarks

    settings = ctx.settings()
    data_dir = settings.worker.data_dir
    tokens = XeroTokens(settings=settings.xero, store=token_store_for_mode(settings.xero, data_dir))
    parts = [tokens.status()]
    parked = XeroState.load(data_dir / "xero-state.json").parked_until
    parts.append(f"parked until {parked.isoformat()}" if parked else "not parked")
    try:
        engine = ctx.engine(migrate=False)
        with engine.connect() as conn:
            rows = dict(conn.execute(select(watermarks.c.name, watermarks.c.value)).all())
        engine.dispose()
        parts.extend(f"{feed} since {rows.get(name, 'never')}" for feed, name in WATERMARKS.items())
    except DatabaseUnusable as exc:  # a status line must print even when the database is not there yet
        parts.append(f"watermarks unavailable: {exc}")
    return "; ".join(parts)
