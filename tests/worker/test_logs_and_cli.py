"""Logging is configured once with secrets redacted, jobs log one summary line, and every command has --help."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine, select

from config.settings import Settings
from worker.app import App
from worker.cli import build_parser, main
from worker.jobs.runner import run_job
from worker.logs import configure_logging
from worker.store.tables import job_runs


def test_json_logs_off_a_terminal_redact_secrets() -> None:
    """Off a terminal the log is JSON, and a key that looks like a credential is blanked."""
    out = io.StringIO()
    configure_logging("auto", stream=out)
    structlog.get_logger("t").info("token_refreshed", access_token="eyJhbGciOi", tenant="acme")
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["event"] == "token_refreshed"
    assert line["access_token"] == "[redacted]"
    assert line["tenant"] == "acme"
    assert "eyJhbGciOi" not in out.getvalue()


def _app(engine: Engine, settings: Settings) -> App:
    clock = lambda: datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # noqa: E731
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        accounting=None,
        registrar=None,  # type: ignore[arg-type]
        mailer=None,
        open_mailbox=None,
    )


def test_a_job_logs_one_summary_line_and_records_its_run(engine: Engine, settings: Settings) -> None:
    """run_job emits exactly one job_finished line with the counts and stores the last success."""
    app = _app(engine, settings)
    with structlog.testing.capture_logs() as logs:
        run_job(app, "count_things", lambda _app: {"seen": 3})
    assert [e["event"] for e in logs] == ["job_finished"]
    assert logs[0]["seen"] == 3
    with engine.connect() as conn:
        row = conn.execute(select(job_runs).where(job_runs.c.job == "count_things")).one()
    assert row.last_success_at is not None
    assert row.last_summary["seen"] == 3


def test_a_failing_job_is_logged_recorded_and_swallowed(engine: Engine, settings: Settings) -> None:
    """A job that raises leaves a job_failed line with its traceback and the error on record; the caller goes on."""
    app = _app(engine, settings)

    def broken(_app: App) -> dict[str, Any]:
        raise RuntimeError("xero said no")

    with structlog.testing.capture_logs() as logs:
        assert run_job(app, "broken", broken) is None
    assert logs[0]["event"] == "job_failed"
    assert logs[0]["exc_info"] is True
    with engine.connect() as conn:
        row = conn.execute(select(job_runs).where(job_runs.c.job == "broken")).one()
    assert row.last_error == "RuntimeError: xero said no"
    assert row.last_success_at is None


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _commands(sub, (*prefix, name))


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` works on every command and subcommand and says something about it."""
    commands = list(_commands(build_parser()))
    assert {("db", "upgrade"), ("check",), ("cycle",)} <= set(commands)
    for command in commands:
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--help"])
        assert exit_.value.code == 0
        assert "usage: reseller-worker" in capsys.readouterr().out


def test_bad_configuration_exits_2_with_every_problem(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken settings file stops the CLI with exit code 2 and the list of problems, no traceback."""
    bad = tmp_path / "w.toml"
    bad.write_text('[worker]\ntimezone = "Nowhere/City"\n[xero]\nmode = "oauth2"\n')
    assert main(["--config", str(bad), "check"]) == 2
    err = capsys.readouterr().err
    assert "unknown time zone 'Nowhere/City'" in err
    assert "RW_XERO_CLIENT_ID" in err
    assert "Traceback" not in err


def test_defaults_without_xero_say_so_instead_of_a_traceback(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no Xero connection configured, `cycle` exits 2 naming what to set and `check` fails the Xero line."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RW_CONFIG", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["cycle"]) == 2
    err = capsys.readouterr().err
    assert "not configured" in err and "reseller-worker demo" in err and "Traceback" not in err
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "PASS  database" in out
    assert "FAIL  xero       NotConfigured: no Xero connection" in out
