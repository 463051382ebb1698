"""Who may sign in: `web add-user` writes argon2 hashes (never a password, never a default user) to a 0600 file;
`web remove-user` takes access away; `[web]` settings are checked like every other section."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.settings import load_settings
from config.sources import ConfigError
from worker.cli import main
from worker.web.app import create_app
from worker.web.users import UsersFile

from .conftest import Clock, sign_in, url_of, web_settings


def _run(monkeypatch: pytest.MonkeyPatch, config: Path, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--config", str(config), *argv])


def test_add_user_stores_only_an_argon2_hash_in_a_private_file(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = web_settings(tmp_path, url_of(engine))
    config = Path(settings.source)
    assert _run(monkeypatch, config, "web", "add-user", "mere", "--password-stdin", stdin="a long enough secret\n") == 0
    assert "mere may now sign in" in capsys.readouterr().out
    text = settings.web.users_file.read_text()
    assert "a long enough secret" not in text and '"mere" = "$argon2id$' in text
    assert stat.S_IMODE(settings.web.users_file.stat().st_mode) == 0o600
    client = create_app(settings, engine, clock=Clock()).test_client()
    assert sign_in(client, "mere", "a long enough secret").status_code == 303

    assert _run(monkeypatch, config, "web", "users") == 0
    assert capsys.readouterr().out.split() == ["mere"]
    assert _run(monkeypatch, config, "web", "remove-user", "mere") == 0
    assert client.get("/").status_code == 303  # the session ended with the user
    assert _run(monkeypatch, config, "web", "remove-user", "mere") == 1


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("mere", "short", "at least 10 characters"),
        ("Mere Smith", "a long enough secret", "not a usable name"),
        ("mere", " padded password ", "must not start or end with spaces"),
    ],
)
def test_add_user_refuses_weak_or_odd_input(
    tmp_path: Path,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    password: str,
    message: str,
) -> None:
    settings = web_settings(tmp_path, url_of(engine))
    code = _run(monkeypatch, Path(settings.source), "web", "add-user", name, "--password-stdin", stdin=password + "\n")
    assert code == 1 and message in capsys.readouterr().err
    assert not settings.web.users_file.exists()


def test_add_user_without_a_terminal_asks_for_password_stdin(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = web_settings(tmp_path, url_of(engine))
    assert _run(monkeypatch, Path(settings.source), "web", "add-user", "mere") == 1
    assert "--password-stdin" in capsys.readouterr().err


def test_nobody_can_sign_in_before_a_user_is_added(tmp_path: Path, engine: Engine) -> None:
    settings = web_settings(tmp_path, url_of(engine))
    client = create_app(settings, engine, clock=Clock()).test_client()
    for name, password in (("admin", "admin"), ("admin", ""), ("", "")):
        assert sign_in(client, name, password).status_code == 401


def test_a_damaged_users_file_refuses_everyone(tmp_path: Path, engine: Engine) -> None:
    settings = web_settings(tmp_path, url_of(engine))
    settings.web.users_file.write_text('[users]\nmere = "plain text password"\n')
    client = create_app(settings, engine, clock=Clock()).test_client()
    assert sign_in(client, "mere", "plain text password").status_code == 500
    assert UsersFile(settings.web.users_file).path == settings.web.users_file


def test_web_settings_defaults_and_checks(tmp_path: Path) -> None:
    settings = load_settings(None, {"RW_WORKER_DATA_DIR": str(tmp_path / "var")}, base_dir=tmp_path)
    web = settings.web
    assert (web.enabled, web.host, web.port, web.proxy_hops) == (False, "127.0.0.1", 8377, 0)
    assert web.users_file == tmp_path / "var" / "web-users.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(None, {"RW_WEB_PORT": "0", "RW_WEB_BASE_URL": "worker.example.nz", "RW_WEB_ENABLED": "maybe"})
    text = str(caught.value)
    assert "RW_WEB_PORT: must be at least 1" in text
    assert "environment RW_WEB_BASE_URL: must be an http(s):// address" in text  # blamed on where it came from
    assert "RW_WEB_ENABLED: must be true or false" in text
