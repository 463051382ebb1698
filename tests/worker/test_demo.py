"""`reseller-worker demo`: a quiet terminal (the report, not log lines), and a setup a new user can carry on with:
`demo --serve` keeps the Xero sandbox and the Maildir in use, and every command it suggests works against them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RW_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def demo_env(demo: Path) -> dict[str, str]:
    """What `set -a; . DIR/demo.env; set +a` puts in a shell: RW_CONFIG and the demo's Stripe key."""
    lines = (demo / "demo.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip())


def test_the_demo_prints_the_report_not_log_lines(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "worker", "demo", "--dir", str(tmp_path / "demo")],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    assert not [line for line in done.stdout.splitlines() if line.startswith("{") or "[info" in line]
    assert "morning report" in done.stdout
    assert f". {tmp_path / 'demo' / 'demo.env'}" in done.stdout
    assert "job_finished" in (tmp_path / "demo" / "demo.log").read_text()
    # Without the sandbox, what needs only the database and the Maildir still works.
    config = demo_env(tmp_path / "demo")
    assert config["RW_CONFIG"] == str(tmp_path / "demo" / "demo.toml")
    for argv in (["review", "list"], ["inbox", "status"], ["status"], ["report"], ["orders", "list"]):
        ran = subprocess.run(
            [sys.executable, "-m", "worker", *argv], cwd=tmp_path, env=_env(**config), capture_output=True, text=True
        )
        assert ran.returncode == 0, (argv, ran.stderr[-1000:])
        assert "no inbox configured" not in ran.stdout


def test_demo_serve_keeps_a_setup_every_suggested_command_works_with(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "worker", "demo", "--dir", str(tmp_path / "demo"), "--serve"],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        assert demo.stdout is not None
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "reseller-worker run" in line:
                break
        said = "".join(lines)
        assert "serving the Xero sandbox" in said, said[-2000:]
        assert f". {tmp_path / 'demo' / 'demo.env'}" in said
        config = demo_env(tmp_path / "demo")
        for argv in (["check"], ["cycle"], ["review", "list"], ["inbox", "status"], ["status"]):
            ran = subprocess.run(
                [sys.executable, "-m", "worker", *argv],
                cwd=tmp_path,
                env=_env(**config),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert ran.returncode == 0, (argv, ran.stdout[-1500:], ran.stderr[-1500:])
            assert "FAIL" not in ran.stdout and "Traceback" not in ran.stderr
    finally:
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=30)
    assert demo.returncode == 0, err[-2000:]
    assert "sandbox stopped" in out
