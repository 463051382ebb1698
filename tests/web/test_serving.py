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
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.settings import Settings, load_settings
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


def test_the_run_command_serves_the_page_when_enabled_and_stops_it_with_the_jobs(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`reseller-worker run` with `[web] enabled = true`: the page answers while the jobs run and is gone when they
    stop. With `enabled = false` nothing listens. (The scheduler is replaced; the rest is the command itself.)"""
    from integrations.xero.sandbox import XeroSandbox
    from worker.cli import main

    seen: list[int] = []

    def jobs_running(settings: Settings, engine_: Engine, make_app: Callable[[], object], jobs: object) -> int:
        make_app()
        if settings.web.enabled:
            seen.append(_get(f"http://127.0.0.1:{settings.web.port}/signin", timeout=30)[0])
        else:
            with socket.socket() as s:
                seen.append(0 if s.connect_ex(("127.0.0.1", settings.web.port)) else 1)
        return 0

    monkeypatch.setattr("worker.scheduler.run_exclusive", jobs_running)
    with XeroSandbox() as sandbox:
        monkeypatch.setenv("RW_XERO_BASE_URL", str(sandbox.base_url))
        for enabled in (True, False):
            port = _free_port()
            settings = web_settings(tmp_path / str(enabled), url_of(engine), enabled=enabled, port=port)
            add_user(settings)
            assert main(["--config", str(settings.source), "run"]) == 0
            with socket.socket() as s:
                assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing listens once `run` has returned
    assert seen == [200, 0]


def test_the_image_and_compose_expose_the_page_for_a_tls_proxy() -> None:
    """The Docker image serves the page on its default port; compose publishes it on the host's loopback only and
    tells the page one proxy is in front; the README's Caddy and nginx snippets forward to that port."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    port = load_settings(None, {}).web.port
    dockerfile = (root / "Dockerfile").read_text()
    assert f"EXPOSE {port}" in dockerfile and "RW_WEB_ENABLED=true" in dockerfile
    worker = yaml.safe_load((root / "deploy" / "docker-compose.yml").read_text())["services"]["worker"]
    assert worker["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert worker["environment"]["RW_WEB_ENABLED"] == "true" and worker["environment"]["RW_WEB_PROXY_HOPS"] == "1"
    readme = (root / "README.md").read_text()
    assert f"reverse_proxy 127.0.0.1:{port}" in readme and f"proxy_pass http://127.0.0.1:{port};" in readme
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in readme
