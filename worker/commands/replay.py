"""Commands of the replay area (registered by `worker.cli`): `replay CORPUS_DIR --out DECISIONS.jsonl`."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from worker.commands.context import CommandContext


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this area's subcommands."""
    p = sub.add_parser(
        "replay",
        help="decide every receipt of a corpus on disk, without network or side effects",
        description="Read CORPUS_DIR (context.json, orders.json, bank/statements.json, xero/payments.json, "
        "mail/*.eml), take the receipts in time order through the same parsing, authentication, matching and "
        "policy code the daemon runs, and write one JSON decision per receipt to --out.",
    )
    p.add_argument("corpus", metavar="CORPUS_DIR", type=Path)
    p.add_argument("--out", metavar="DECISIONS.jsonl", type=Path, required=True)
    p.set_defaults(handler=run_replay)


def run_replay(ctx: CommandContext) -> int:
    from worker.replay import replay, write_decisions

    corpus: Path = ctx.args.corpus
    if not (corpus / "orders.json").is_file() or not (corpus / "context.json").is_file():
        print(f"reseller-worker: {corpus} is no corpus (needs context.json and orders.json)", file=sys.stderr)
        return 2
    out: Path = ctx.args.out
    if not out.parent.is_dir() or out.is_dir():
        # Checked before the work, which takes a while on a big corpus.
        where = f"{out} is a directory" if out.is_dir() else f"no folder {out.parent} to write {out.name} in"
        print(f"reseller-worker: replay --out: {where}", file=sys.stderr)
        return 2
    policy = None
    if ctx.config_path() is not None:
        from worker.jobs.match import match_policy

        policy = match_policy(ctx.settings())
    try:
        decisions = replay(corpus, policy=policy)
    except (ValueError, OSError) as exc:  # unreadable JSON or files: say which, no traceback
        print(f"reseller-worker: cannot replay {corpus}: {exc}", file=sys.stderr)
        return 2
    n = write_decisions(decisions, ctx.args.out)
    counts = Counter(d.kind.value for d in decisions)
    print(
        f"replay: {n} decisions -> {ctx.args.out} ({', '.join(f'{k}={v}' for k, v in sorted(counts.items()))})",
        file=sys.stderr,
    )
    return 0
