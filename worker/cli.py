"""The `reseller-worker` command line: the daemon, one-off cycles, replay, the report and a few fixes by hand."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from worker.commands import core, daemon, inbox, month_end, notices, orders, payouts, replay, web, xero
from worker.commands.arguments import OneLineParser
from worker.commands.context import CommandContext
from worker.commands.failures import fail
from worker.data_dir import PRIVATE_UMASK
from worker.logs import configure_logging

GROUPS = (core, replay, xero, inbox, notices, orders, payouts, month_end, daemon, web)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="reseller-worker",
        description=(
            "Finds customer payments (Xero, bank lines, card-payment e-mails), matches them to open invoices, "
            "registers or renews the paid domains once, records the payments in Xero, and reports what needs "
            "a person each morning."
        ),
    )
    _add_global_options(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(sub)
    # The same options are taken after the command too (`run --log-format console`); given there, they win.
    for command_parser in _descendants(parser):
        _add_global_options(command_parser, default=argparse.SUPPRESS)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="settings file (TOML); default $RW_CONFIG, else built-in defaults",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="the worker's data directory (database, tokens, reports); overrides [worker] data_dir",
    )
    parser.add_argument(
        "--log-format",
        choices=("auto", "json", "console"),
        default=default,
        help="log format; auto is JSON when stderr is not a terminal",
    )
    parser.add_argument(
        "--traceback",
        action="store_true",
        default=default if default is argparse.SUPPRESS else False,
        help="on an unexpected error, show the Python traceback instead of one line",
    )


def _descendants(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases map to the same parser
                found.append(child)
                found.extend(_descendants(child))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = CommandContext(args)
    try:
        configure_logging(args.log_format or "auto")
        return int(args.handler(ctx) or 0)
    except BaseException as exc:
        if args.traceback and not isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return fail(exc, database=ctx.database_shown())


def entry() -> int:
    """The `reseller-worker` program: what it creates (database, reports, logs) is the worker's alone."""
    os.umask(PRIVATE_UMASK)
    return main()


if __name__ == "__main__":
    sys.exit(entry())
