"""The `reseller-worker` command line: the daemon, one-off cycles, replay, the report and a few fixes by hand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from config.sources import ConfigError
from integrations.errors import IntegrationError, NotConfigured
from worker.commands import core, daemon, inbox, orders, replay, xero
from worker.commands.context import CommandContext
from worker.logs import configure_logging

GROUPS = (core, replay, xero, inbox, orders, daemon)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reseller-worker",
        description=(
            "Finds customer payments (Xero, bank lines, card-payment e-mails), matches them to open invoices, "
            "registers or renews the paid domains once, records the payments in Xero, and reports what needs "
            "a person each morning."
        ),
    )
    parser.add_argument(
        "--config", metavar="FILE", help="settings file (TOML); default $RW_CONFIG, else built-in defaults"
    )
    parser.add_argument(
        "--log-format",
        choices=("auto", "json", "console"),
        default=None,
        help="log format; auto is JSON when stderr is not a terminal",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_format or "auto")
    ctx = CommandContext(args)
    try:
        return int(args.handler(ctx) or 0)
    except ConfigError as exc:
        print(f"reseller-worker: {exc}", file=sys.stderr)
        return 2
    except NotConfigured as exc:
        print(f"reseller-worker: not configured: {exc}", file=sys.stderr)
        return 2
    except IntegrationError as exc:
        # An outside system refused or failed before any job could record it; no traceback for the operator.
        print(f"reseller-worker: {exc.system or 'integration'} failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
