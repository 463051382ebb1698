"""Times `reseller-worker replay` against the corpus floor (reading the same inputs with the standard library
only) in one run, and prints `replay_vs_floor=<ratio>`. Target: at most 4, and flat as the corpus grows.

  python bench/replay.py [CORPUS_DIR ...] [--repeat N] [--profile] [--grow K]

Defaults to ../shared/corpus/scale5k. Each command runs in a fresh interpreter, floor and replay in turn, N times.
`replay_vs_floor` is the median of the N paired ratios: each pair ran back to back, so it compares the two on
the machine in the same state, and the median is not moved by one lucky or unlucky run. On a shared machine
whose speed drifts by a third within seconds, the best floor run and the best replay run often come from
different states; that ratio is printed as `best_vs_best` beside it.
`--grow K` also times a corpus K times the first one (every order, bank line, payment and message copied K
times under new ids, invoice numbers and domains), to show the ratio does not grow with the corpus; the CPU per
decision is printed too, the steadier sign of linear cost. Beside the times: the peak memory of the replay's
largest process (the deciding one; each reader is smaller) and of the floor, and the load average the runs saw.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and the workers it waited for
    maxrss_mb: float  # peak resident memory of its largest process (the deciding one, for a replay)


def timed(cmd: list[str]) -> Run:
    """One run of `cmd`, with its own resource use (wait4: this child and the workers it waited for, nothing else)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            sys.exit(f"failed ({child.returncode}): {' '.join(cmd)}\n{err.read()[-2000:].decode(errors='replace')}")
    return Run(wall=elapsed, cpu=usage.ru_utime + usage.ru_stime, maxrss_mb=usage.ru_maxrss / 1024)


def paired(floor_cmd: list[str], replay_cmd: list[str], repeat: int) -> tuple[list[Run], list[Run]]:
    """Floor and replay run in turn, `repeat` times each, so both see the machine in the same state (a shared
    machine's speed drifts over seconds). Returns the floor runs and the replay runs."""
    floors, replays = [], []
    for _ in range(repeat):
        floors.append(timed(floor_cmd))
        replays.append(timed(replay_cmd))
    return floors, replays


def grow(source: Path, target: Path, copies: int) -> Path:
    """A corpus `copies` times `source`: copy i renames ids, invoice numbers (INV-0586 -> INV-30586) and domains
    (x.co.nz -> c3x.co.nz), also inside bank references and notes, so the copies are other customers."""
    orders = json.loads((source / "orders.json").read_text())
    statements = json.loads((source / "bank" / "statements.json").read_text())
    payments = json.loads((source / "xero" / "payments.json").read_text())
    domains = sorted({o["domain"] for o in orders if o.get("domain")}, key=len, reverse=True)
    invoice = re.compile(r"(INV[- ]?)(\d+)", re.IGNORECASE)

    def text(value: str, i: int) -> str:
        value = invoice.sub(lambda m: f"{m.group(1)}{i}{m.group(2)}", value)
        for domain in domains:
            if domain in value.lower():
                value = re.sub(re.escape(domain), f"c{i}{domain}", value, flags=re.IGNORECASE)
        return value

    out_orders, lines, pays = [], [], []
    for i in range(copies):
        for o in orders:
            c = json.loads(json.dumps(o))
            if i:
                c["order_id"] += f"-c{i}"
                c["invoice_number"] = text(c["invoice_number"], i)
                c["invoice_id"] += f"-c{i}"
                c["contact"]["contact_id"] += f"-c{i}"
                c["domain"] = f"c{i}{c['domain']}" if c.get("domain") else c.get("domain")
                c["contact"]["email"] = text(c["contact"].get("email", ""), i)
            out_orders.append(c)
        for st in statements["statements"]:
            for line in st["statementLines"]:
                c = dict(line)
                if i:
                    c["statementLineId"] += f"-c{i}"
                    c["reference"], c["notes"] = text(c.get("reference") or "", i), text(c.get("notes") or "", i)
                lines.append(c)
        for pay in payments["Payments"]:
            c = json.loads(json.dumps(pay))
            if i:
                c["PaymentID"] += f"-c{i}"
                c["Invoice"]["InvoiceID"] += f"-c{i}"
                c["Invoice"]["InvoiceNumber"] = text(c["Invoice"].get("InvoiceNumber", ""), i)
            pays.append(c)
    (target / "bank").mkdir(parents=True)
    (target / "xero").mkdir()
    (target / "mail").mkdir()
    shutil.copy(source / "context.json", target / "context.json")
    (target / "orders.json").write_text(json.dumps(out_orders))
    statements["statements"] = [{**statements["statements"][0], "statementLines": lines}]
    (target / "bank" / "statements.json").write_text(json.dumps(statements))
    (target / "xero" / "payments.json").write_text(json.dumps({**payments, "Payments": pays}))
    # Messages are signed, so they are copied as they are: the copies are resent notices, read in full.
    for i in range(copies):
        for eml in (source / "mail").glob("*.eml"):
            shutil.copy(eml, target / "mail" / f"c{i}-{eml.name}")
    return target


def grow_apart(source: Path, target: Path, copies: int) -> Path:
    """`grow` in a process of its own, so this one stays small: Linux counts in a started command's peak memory that
    of the process it was started from, which after growing a corpus in memory would be larger than the replay's."""
    child = multiprocessing.get_context("spawn").Process(target=grow, args=(source, target, copies))
    child.start()
    child.join()
    if child.exitcode != 0:
        sys.exit(f"growing {source} failed ({child.exitcode})")
    return target


def _load() -> str:
    """The machine's 1-minute load average: on a shared machine, what the figures were measured under."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"


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


def compile_sources() -> None:
    """Compile the project's modules to bytecode first, as installing the package does (pip compiles on install;
    the Docker image is built that way). A development checkout installed in editable mode, on a machine that
    sets PYTHONDONTWRITEBYTECODE, would otherwise compile every module from source on every run, in the main
    process and again in each reader: start-up work a deployed worker never does. The floor's standard library
    is compiled already."""
    done = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "rules", "integrations", "worker", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"compileall failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="*", type=Path, default=[SHARED / "scale5k"])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="also profile the replay in process")
    ap.add_argument("--grow", type=int, default=0, metavar="K", help="also time a corpus K times the first")
    args = ap.parse_args()
    compile_sources()
    corpora = list(args.corpora)
    scratch = tempfile.TemporaryDirectory()
    if args.grow > 1:
        corpora.append(grow_apart(corpora[0], Path(scratch.name) / f"{corpora[0].name}x{args.grow}", args.grow))
    for corpus in corpora:
        floor_script = corpus.parent / "floor.py"
        if not floor_script.exists():  # a grown corpus sits in a scratch directory: the first corpus's floor
            floor_script = args.corpora[0].resolve().parent / "floor.py"
        if not floor_script.exists():
            floor_script = SHARED / "floor.py"
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "decisions.jsonl"
            floor_runs, replay_runs = paired(
                [sys.executable, str(floor_script), str(corpus)],
                [sys.executable, "-m", "worker.cli", "--log-format", "json", "replay", str(corpus), "--out", str(out)],
                args.repeat,
            )
            lines = sum(1 for _ in out.open())
        floors, replays = [r.wall for r in floor_runs], [r.wall for r in replay_runs]
        cpu = min(r.cpu for r in replay_runs)
        pairs = sorted(r / f for f, r in zip(floors, replays, strict=True))
        print(
            f"corpus={corpus.name} decisions={lines} floor_s={min(floors):.2f} replay_s={min(replays):.2f} "
            f"replay_cpu_s={cpu:.2f} replay_cpu_ms_per_decision={cpu / max(lines, 1) * 1000:.3f} "
            f"replay_maxrss_mb={max(r.maxrss_mb for r in replay_runs):.0f} "
            f"floor_maxrss_mb={max(r.maxrss_mb for r in floor_runs):.0f} "
            f"paired_ratios={','.join(f'{r:.2f}' for r in pairs)} load_average={_load()}"
        )
        print(f"best_vs_best={min(replays) / min(floors):.2f}")
        print(f"replay_vs_floor={statistics.median(pairs):.2f}")
        if args.profile:
            profile(corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
