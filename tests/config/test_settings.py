"""Settings come from a TOML file plus RW_* environment variables; a bad configuration names every problem."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import load_settings
from config.sources import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "worker.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file_and_no_credentials(tmp_path: Path) -> None:
    """With no file the worker runs on embedded defaults: SQLite under ./var, the Xero sandbox, manual registrar."""
    s = load_settings(None, {}, base_dir=tmp_path)
    assert s.worker.database_url == f"sqlite:///{tmp_path / 'var' / 'reseller-worker.db'}"
    assert s.xero.mode == "sandbox"
    assert s.registrar.kind == "manual"
    assert s.worker.home_currency == "NZD"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    """RW_<SECTION>_<KEY> beats the file, so a deployment can change one value without editing it."""
    path = write(tmp_path, '[worker]\ntimezone = "Pacific/Auckland"\n')
    s = load_settings(path, {"RW_WORKER_TIMEZONE": "Australia/Sydney"})
    assert s.worker.timezone == "Australia/Sydney"


def test_every_problem_is_listed_with_where_it_came_from(tmp_path: Path) -> None:
    """One start-up error lists all problems, each with the file, section and key or the variable."""
    path = write(
        tmp_path,
        """
[worker]
timezone = "Mars/Olympus"
home_currency = "dollars"
colour = "blue"

[xero]
mode = "custom_connection"
client_secret = "in-the-file"

[registrar]
kind = "logicboxes"

[report]
send_at = "7am"

[typo_section]
x = 1
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {"RW_INBOX_PORT": "imap"})
    problems = "\n".join(caught.value.problems)
    assert f"{path} [worker] timezone: unknown time zone 'Mars/Olympus'" in problems
    assert "[worker] home_currency" in problems
    assert "[worker] colour: is not a known setting" in problems
    assert "environment RW_XERO_CLIENT_ID: is required" in problems
    assert "[xero] client_secret: secrets belong in the environment (RW_XERO_CLIENT_SECRET)" in problems
    assert "environment RW_REGISTRAR_API_KEY: is required" in problems
    assert "[registrar] reseller_id: is required" in problems
    assert "[report] send_at: must be HH:MM" in problems
    assert "unknown section [typo_section]" in problems
    assert "environment RW_INBOX_PORT: must be a whole number" in problems
    assert len(caught.value.problems) >= 10


def test_money_written_as_a_float_is_refused(tmp_path: Path) -> None:
    """A rate written as a TOML float would lose cents silently; it must be a string."""
    path = write(tmp_path, '[hosting.plans]\nstarter = 25.5\nbusiness = "45.00"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert any("plans.starter" in p and "strings" in p for p in caught.value.problems)


def test_valid_file_is_read_exactly(tmp_path: Path) -> None:
    """Values from the file arrive typed: paths resolved against the file, decimals exact."""
    path = write(
        tmp_path,
        '[worker]\ndata_dir = "data"\n[hosting.plans]\npro = "99.95"\n[report]\nto = ["me@example.nz"]\n',
    )
    s = load_settings(path, {})
    assert s.worker.data_dir == tmp_path.resolve() / "data"
    assert s.hosting.plans == {"pro": Decimal("99.95")}
    assert s.report.to == ("me@example.nz",)


def test_missing_or_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    """A missing file or broken TOML is reported with the path, not a traceback."""
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "nope.toml", {})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[worker\n"), {})


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


EXAMPLES = Path(__file__).resolve().parents[2] / "config"


def test_the_documented_examples_load_together() -> None:
    """config/example.toml with config/example.env is a complete, valid configuration: the docs stay true."""
    env = _env_file(EXAMPLES / "example.env")
    s = load_settings(EXAMPLES / "example.toml", env)
    assert s.warnings == ()  # example.env names no variable the worker would ignore
    assert s.xero.mode == "custom_connection" and s.xero.client_secret == "CHANGE-ME"
    assert s.inbox.kind == "imap" and s.inbox.password == "CHANGE-ME"
    assert s.report.smtp_password == "CHANGE-ME"
    assert s.hosting.plans["starter"] == Decimal("25.00")


def test_every_secret_in_the_code_is_documented_in_example_env() -> None:
    """Each secret the settings read has its variable in example.env, commented or not."""
    import re

    text = (EXAMPLES / "example.env").read_text(encoding="utf-8")
    documented = set(re.findall(r"RW_[A-Z_]+", text))
    # r.secret is called on the section's reader: the section is the module's name, or for [gateways] one
    # sub-table per payment service that has an API.
    from config.gateways import APIS

    def sections(stem: str) -> list[str]:
        return [f"{stem}_{service}" for service in APIS] if stem == "gateways" else [stem]

    secrets = {
        f"RW_{section.upper()}_{m.group(1).upper()}"
        for p in EXAMPLES.glob("*.py")
        for m in re.finditer(r'r\.secret\("(\w+)"', p.read_text(encoding="utf-8"))
        for section in sections(p.stem)
    }
    assert {"RW_XERO_CLIENT_SECRET", "RW_INBOX_PASSWORD", "RW_REPORT_SMTP_PASSWORD"} <= secrets
    assert secrets <= documented, secrets - documented


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("RW_WORKER_TIMEZONE", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("RW_WORKER_HOME_CURRENCY", "dollars", "ISO 4217"),
        ("RW_MATCHING_FEE_TOLERANCE", "-1", "must not be negative"),
        ("RW_MATCHING_FEE_TOLERANCE", "Infinity", "finite"),
        ("RW_REGISTRAR_PRICE_CURRENCY", "nz", "ISO 4217"),
        ("RW_REPORT_SEND_AT", "25:99", "HH:MM"),
    ],
)
def test_a_value_that_means_nothing_is_blamed_on_where_it_came_from(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    """From the environment, the variable is named; from the file, the file and key; never "defaults"."""
    with pytest.raises(ConfigError) as from_env:
        load_settings(None, {variable: value}, base_dir=tmp_path)
    assert f"environment {variable}: " in str(from_env.value) and said in str(from_env.value)
    assert "defaults" not in str(from_env.value)
    section, key = variable.removeprefix("RW_").lower().split("_", 1)
    config = tmp_path / "w.toml"
    config.write_text(f'[{section}]\n{key} = "{value}"\n')
    with pytest.raises(ConfigError) as from_file:
        load_settings(config, {}, base_dir=tmp_path)
    assert f"{config} [{section}] {key}: " in str(from_file.value) and said in str(from_file.value)


def test_an_rw_variable_no_setting_reads_is_pointed_out_with_the_nearest(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        {
            "RW_XERO_CLIENTID": "x",
            "RW_WORKER_TIMEZONE": "UTC",
            "RW_CONFIG": "w.toml",
            "RW_TEST_POSTGRES_URL": "p",
            "RW_ZZZ": "1",
            "RW_HOSTING_PLANS": "gold=5",
        },
        base_dir=tmp_path,
    )
    assert settings.warnings == (
        "environment RW_HOSTING_PLANS is ignored: [hosting] plans is a table, set in the settings file",
        "environment RW_XERO_CLIENTID is not a setting and is ignored; did you mean RW_XERO_CLIENT_ID?",
        "environment RW_ZZZ is not a setting and is ignored (see config/example.env)",
    )
    assert load_settings(None, {"RW_XERO_CLIENT_ID": "x"}, base_dir=tmp_path).warnings == ()


def test_no_secret_shows_in_a_repr() -> None:
    """A settings object printed by a traceback, a log line or a debugger shows no secret: every field read with
    r.secret is left out of repr, checked both on the loaded example and on every settings class's fields."""
    import dataclasses
    import typing

    import config.settings

    env = {name: f"secret-{i}-marker" for i, name in enumerate(sorted(_env_file(EXAMPLES / "example.env")))}
    env.pop("RW_CONFIG", None)
    s = load_settings(EXAMPLES / "example.toml", env)
    shown = repr(s)
    assert not [name for name, value in env.items() if value in shown]

    seen: set[type] = set()
    leaks: list[str] = []

    def walk(cls: type) -> None:
        if cls in seen or not dataclasses.is_dataclass(cls):
            return
        seen.add(cls)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            secret = hints[f.name] is str and any(
                word in f.name for word in ("password", "secret", "api_key", "token", "client_id")
            )
            if secret and f.repr and "file" not in f.name:  # a path to a token file is not itself a secret
                leaks.append(f"{cls.__name__}.{f.name}")
            for arg in (hints[f.name], *typing.get_args(hints[f.name])):
                if isinstance(arg, type):
                    walk(arg)
                for inner in typing.get_args(arg):
                    if isinstance(inner, type):
                        walk(inner)

    walk(config.settings.Settings)
    assert len(seen) > 5 and not leaks, leaks
