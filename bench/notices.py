"""Times integrations.notices on a corpus's mail: CPU per message for read_notice (best of N), the stages it
spends it on, and the wall time of read_notices over forked workers. Prints `notice_ms_per_message=<ms>`.

  python bench/notices.py [CORPUS_DIR] [--repeat N]

Defaults to ../shared/corpus/scale5k.
"""

from __future__ import annotations

import argparse
import email
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.notices import builtin_formats, read_notice, read_notices, trust_from_context  # noqa: E402
from integrations.notices.authentication import verify_dkim  # noqa: E402
from integrations.notices.headers import read_headers, sender_of  # noqa: E402
from integrations.notices.reading import _body_of  # noqa: E402


def best_cpu(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "scale5k"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    trust = trust_from_context(json.loads((corpus / "context.json").read_text()))
    builtin_formats()
    raws = [path.read_bytes() for path in sorted((corpus / "mail").glob("*.eml"))]
    n = len(raws)
    headers = [read_headers(raw) for raw in raws]
    domains = [sender_of(h).domain for h in headers]

    def per_message(seconds: float) -> str:
        return f"{seconds / n * 1000:.3f}"

    floor = best_cpu(lambda: [email.message_from_bytes(raw) for raw in raws], args.repeat)
    dkim = best_cpu(
        lambda: [verify_dkim(r, h, d, d, trust.dns_txt) for r, h, d in zip(raws, headers, domains, strict=True)],
        args.repeat,
    )
    body = best_cpu(lambda: [_body_of(r, h) for r, h in zip(raws, headers, strict=True)], args.repeat)
    whole = best_cpu(lambda: [read_notice(raw, trust) for raw in raws], args.repeat)
    started = time.perf_counter()
    read_notices(raws, trust)
    pooled = time.perf_counter() - started
    print(f"corpus={corpus.name} messages={n}")
    print(f"stdlib_parse_ms={per_message(floor)} dkim_ms={per_message(dkim)} body_ms={per_message(body)}")
    print(f"read_notices_wall_s={pooled:.2f}")
    print(f"notice_ms_per_message={per_message(whole)}")


if __name__ == "__main__":
    main()
