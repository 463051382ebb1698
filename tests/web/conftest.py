"""The review page under test: the Flask app over a real database (SQLite, then PostgreSQL), a users file with
one user, and helpers that sign in and read forms the way a browser does."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from config.settings import Settings, load_settings
from tests.conftest import POSTGRES_URL, require_service
from worker.store.database import make_engine, upgrade
from worker.web.app import create_app
from worker.web.users import UsersFile

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # 07:00 on 26 November in Auckland
NAME, PASSWORD = "aroha", "kia ora koutou 2026"
# Cheap to compute in tests; verification reads the cost from the hash itself, as in production.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def web_settings(tmp_path: Path, database_url: str, **web: Any) -> Settings:
    lines = ["[worker]", f'data_dir = "{tmp_path / "var"}"', f'database_url = "{database_url}"', "[web]"]
    lines += [f'users_file = "{tmp_path / "users.toml"}"']
    lines += [f"{k} = {_toml(v)}" for k, v in web.items()]
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "worker.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(path, {})


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _postgres(schema: str) -> tuple[str, Engine, Engine]:
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # The schema rides in the URL, so a command run with this URL (as the CLI would) sees the same tables.
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    return url, make_engine(url), admin


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated database and the URL a command would be given for it."""
    yield from _database(request.param, tmp_path, "web")


def _database(kind: str, tmp_path: Path, name: str) -> Iterator[tuple[str, Engine]]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        engine = make_engine(url)
        upgrade(engine)
        yield url, engine
        engine.dispose()
        return
    require_service(bool(POSTGRES_URL), "PostgreSQL not configured (set RW_TEST_POSTGRES_URL)")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    url, engine, admin = _postgres(schema)
    try:
        upgrade(engine)
        yield url, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def twin_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[tuple[str, Engine], ...]]:
    """Two databases of the same kind: one for the command line, one for the page, to compare what each did."""
    first = _database(request.param, tmp_path, "cli")
    second = _database(request.param, tmp_path, "web")
    try:
        yield next(first), next(second)
    finally:
        first.close()
        second.close()


@pytest.fixture
def engine(database: tuple[str, Engine]) -> Engine:
    return database[1]


@pytest.fixture
def settings(tmp_path: Path, database: tuple[str, Engine]) -> Settings:
    return web_settings(tmp_path, database[0])


def add_user(settings: Settings, name: str = NAME, password: str = PASSWORD) -> None:
    UsersFile(settings.web.users_file).set_password(name, password, hasher=FAST)


@pytest.fixture
def web_app(settings: Settings, engine: Engine, clock: Clock) -> Flask:
    add_user(settings)
    app = create_app(settings, engine, clock=clock)
    app.testing = True
    return app


@pytest.fixture
def client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


@pytest.fixture
def signed_in(client: FlaskClient) -> FlaskClient:
    response = sign_in(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def sign_in(client: FlaskClient, name: str = NAME, password: str = PASSWORD, *, next_path: str = "") -> Any:
    form = client.get("/signin")
    token = hidden(form.get_data(as_text=True), "token")
    data = {"token": token, "name": name, "password": password}
    if next_path:
        data["next"] = next_path
    return client.post("/signin", data=data)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name!r} in the page"
    return html.unescape(found.group(1))


def hidden_fields(page: str) -> list[tuple[str, str]]:
    """Every hidden field of the page's POST form, as a browser would send them."""
    form = re.search(r'<form method="post" class="confirm">(.*?)</form>', page, re.S)
    assert form, "no confirm form in the page"
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1))
    return [(name, html.unescape(value)) for name, value in pairs]


def confirm(client: FlaskClient, path: str) -> Any:
    """Open an action's page (GET: the plan), then press Confirm (POST its form)."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    fields = hidden_fields(page.get_data(as_text=True))
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return client.post(path.split("?")[0], data=data)


def shown(page: str | Any) -> str:
    """A page's HTML without the marks that keep references on one line (`worker.web.typesetting`), for tests that
    look for a sentence as the reader sees it; a response is read first."""
    if not isinstance(page, str):
        page = page.get_data(as_text=True)
    return re.sub(r'<span class="nw">([^<]*)</span>', r"\1", page).replace("<wbr>", "")
