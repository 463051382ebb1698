"""The page served for real: `reseller-worker serve` answers over HTTP and stops cleanly on SIGTERM; `run` with
`[web] enabled = true` serves it on a thread beside the jobs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import Engine

from worker.web.serving import start_in_background

from .conftest import Clock, add_user, url_of, web_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(
    url: str, timeout: float = 90, process: subprocess.Popen[str] | None = None
) -> tuple[int, dict[str, str], str]:
    # Generous: a fresh interpreter importing the app takes seconds on a loaded two-core machine. A server that
    # died fails at once instead of waiting out the deadline.
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.URLError:
            if process is not None and process.poll() is not None:
                raise AssertionError(f"serve exited with {process.returncode} before answering") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_answers_over_http_and_stops_on_sigterm(tmp_path: Path, engine: Engine) -> None:
    settings = web_settings(tmp_path, url_of(engine))
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "worker", "--config", str(settings.source), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        status, headers, body = _get(f"http://127.0.0.1:{port}/signin", process=process)
        assert status == 200 and 'name="password"' in body
        assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
        assert headers["Server"] == "reseller-worker"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert f"review page on http://127.0.0.1:{port}/" in out
    assert "nobody can sign in yet" in err


def test_run_serves_the_page_beside_its_jobs(tmp_path: Path, engine: Engine) -> None:
    port = _free_port()
    settings = web_settings(tmp_path, url_of(engine), enabled=True, port=port)
    add_user(settings)
    stop = start_in_background(settings, engine, Clock())
    try:
        status, _, body = _get(f"http://127.0.0.1:{port}/signin")
        assert status == 200 and "Sign in" in body
    finally:
        stop()
