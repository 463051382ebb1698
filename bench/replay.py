"""Times `reseller-worker replay` against the corpus floor (reading the same inputs with the standard library
only) in one run, and prints `replay_vs_floor=<ratio>`. Target: at most 4, and flat as the corpus grows.

  python bench/replay.py [CORPUS_DIR ...] [--repeat N] [--profile]

Defaults to ../shared/corpus/scale5k. Each command runs in a fresh interpreter; the best of N runs counts.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"


def best_of(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system of the child) over `repeat` runs: CPU time is the steadier
    figure on a busy machine."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, elapsed), min(best_cpu, cpu)
    return best_wall, best_cpu


def profile(corpus: Path) -> None:
    """Where the replay's time goes, in process: reading versus deciding, then the top functions."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    from worker.replay import decide_items, load_corpus, policy_for

    t0 = time.perf_counter()
    loaded = load_corpus(corpus)
    t1 = time.perf_counter()
    decide_items(loaded.items, loaded.orders, policy_for(loaded.context))
    t2 = time.perf_counter()
    print(f"in process: reading inputs {t1 - t0:.2f}s, deciding {t2 - t1:.2f}s")
    prof = cProfile.Profile()
    prof.enable()
    loaded = load_corpus(corpus)
    decide_items(loaded.items, loaded.orders, policy_for(loaded.context))
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="*", type=Path, default=[SHARED / "scale5k"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="also profile the replay in process")
    args = ap.parse_args()
    for corpus in args.corpora:
        floor_script = corpus.parent / "floor.py"
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "decisions.jsonl"
            floor, floor_cpu = best_of([sys.executable, str(floor_script), str(corpus)], args.repeat)
            replay, replay_cpu = best_of(
                [sys.executable, "-m", "worker.cli", "--log-format", "json", "replay", str(corpus), "--out", str(out)],
                args.repeat,
            )
            lines = sum(1 for _ in out.open())
        ratio = replay / floor
        print(
            f"corpus={corpus.name} decisions={lines} floor_s={floor:.2f} replay_s={replay:.2f} "
            f"floor_cpu_s={floor_cpu:.2f} replay_cpu_s={replay_cpu:.2f} "
            f"replay_vs_floor_cpu={replay_cpu / floor_cpu:.2f}"
        )
        print(f"replay_vs_floor={ratio:.2f}")
        if args.profile:
            profile(corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
