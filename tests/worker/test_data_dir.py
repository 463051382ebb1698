"""The data directory holds customers' names and payments: 0700, and every file the worker writes in it 0600,
whatever the operator's umask; an older, looser one is tightened by the next command."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(tmp: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RW_")}
    env.update({"RW_WORKER_DATA_DIR": str(tmp / "var"), "PYTHONPATH": str(ROOT)})
    # A permissive shell, as a careless operator's would be.
    return subprocess.run(
        ["sh", "-c", 'umask 022 && exec "$@"', "sh", sys.executable, "-m", "worker", *argv],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_what_the_worker_writes_is_its_alone(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    assert run(tmp_path, "report").returncode == 0
    var = tmp_path / "var"
    assert mode(var) == 0o700
    written = [p for p in var.rglob("*")]
    assert any(p.name == "reseller-worker.db" for p in written)
    assert any(p.suffix == ".html" for p in written)
    loose = {str(p.relative_to(var)): oct(mode(p)) for p in written if mode(p) & 0o077}
    assert loose == {}


def test_a_loose_data_directory_is_tightened_by_the_next_command(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    var = tmp_path / "var"
    var.chmod(0o755)
    (var / "reseller-worker.db").chmod(0o644)
    (var / "reports").mkdir(mode=0o755)
    (var / "reports" / "old.html").write_text("<p>Aroha Ltd paid 35.00</p>")
    (var / "reports" / "old.html").chmod(0o644)
    assert run(tmp_path, "status").returncode == 0
    assert (mode(var), mode(var / "reseller-worker.db")) == (0o700, 0o600)
    assert (mode(var / "reports"), mode(var / "reports" / "old.html")) == (0o700, 0o600)
