"""Builds issue 11's held-out corpus (tests/heldout/corpus.py) at a chosen size and seed, replays it through the
daemon's decision path, and scores it with the shared corpus's rules. Prints one `score:` line per seed.

  python bench/heldout.py [--seeds 1,2,3] [--customers 400] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.heldout.corpus import build, score, summary  # noqa: E402
from worker.replay import decision_line, replay  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--keep", type=Path, help="write the corpora and decisions here instead of a temporary dir")
    parser.add_argument("--show", type=int, default=3, help="failures of each kind to print")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        for seed in (int(s) for s in args.seeds.split(",")):
            directory = base / f"heldout-{seed}"
            counts = build(directory, seed=seed, customers=args.customers)
            decisions = [json.loads(decision_line(d)) for d in replay(directory)]
            (directory / "decisions.jsonl").write_text("".join(json.dumps(d) + "\n" for d in decisions))
            result = score(json.loads((directory / "labels.json").read_text()), decisions)
            for kind, items in result["fails"].items():
                for item in items[: args.show]:
                    print(f"  {kind}: {item}")
            print(f"seed={seed} receipts={sum(counts.values())} {summary(result)}")
            failed |= summary(result).endswith("FAIL")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
