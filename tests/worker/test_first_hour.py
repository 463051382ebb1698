"""A new user's first hour and the server's worst day, walked as a user would: each case runs the real command in
a child process on real files and must end with one clear line, a non-zero exit where it failed, and no traceback.

`python -m pytest tests/worker/test_first_hour.py -v` lists every case by name.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from worker.store.opening import open_database

ROOT = Path(__file__).resolve().parents[2]

Setup = Callable[[Path], dict[str, str]]


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    status: int  # the exit status the user must see
    says: tuple[str, ...]  # words the last line must hold
    setup: Setup | None = None
    close_stdout: bool = False  # the reader went away (`status | head -3`)
    env: dict[str, str] = field(default_factory=dict)


# ---- setups: the files a user would have ---------------------------------------------------------------------


def database(tmp: Path) -> Path:
    return tmp / "var" / "reseller-worker.db"


def used_database(tmp: Path) -> dict[str, str]:
    """A data directory whose database has been created and used."""
    open_database(f"sqlite:///{database(tmp)}", tmp / "var", create=True).dispose()
    return {}


def emptied_database(tmp: Path) -> dict[str, str]:
    used_database(tmp)
    database(tmp).write_bytes(b"")
    return {}


def zero_byte_never_used(tmp: Path) -> dict[str, str]:
    (tmp / "var").mkdir()
    database(tmp).write_bytes(b"")
    return {}


def deleted_database(tmp: Path) -> dict[str, str]:
    used_database(tmp)
    database(tmp).unlink()
    return {}


def truncated_database(tmp: Path) -> dict[str, str]:
    used_database(tmp)
    with database(tmp).open("r+b") as f:
        f.truncate(database(tmp).stat().st_size // 3)
    return {}


def garbage_header(tmp: Path) -> dict[str, str]:
    used_database(tmp)
    with database(tmp).open("r+b") as f:
        f.write(b"this is not a database header, it is garbage")
    return {}


def garbage_pages(tmp: Path) -> dict[str, str]:
    """Intact header, damaged pages: found only when a page is read."""
    used_database(tmp)
    with database(tmp).open("r+b") as f:
        f.seek(4096)
        f.write(bytes(range(256)) * 64 * 8)
    return {}


def unreachable_postgres(tmp: Path) -> dict[str, str]:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return {"RW_WORKER_DATABASE_URL": f"postgresql://worker:hunter2@127.0.0.1:{port}/books"}


def config_directory(tmp: Path) -> dict[str, str]:
    (tmp / "conf.d").mkdir()
    return {}


SHOP = """\
[hosting]
account_code = "200"
[hosting.plans]
starter = "25.00"
[hosting.domain_rates]
"nz" = "30.00"
"co.nz" = "30.00"
"de" = "25.00"
"com" = "20.00"
"""

_sandbox: list[Any] = []


def sandbox_url() -> str:
    """One Xero sandbox for the cases that look a contact up (stopped when the tests end)."""
    if not _sandbox:
        from integrations.xero.sandbox import XeroSandbox

        sandbox = XeroSandbox().start()
        atexit.register(sandbox.stop)
        _sandbox.append(sandbox)
    return str(_sandbox[0].base_url)


def shop(tmp: Path) -> dict[str, str]:
    """A reseller's settings (prices, a plan) and a database in use; Xero is not reachable."""
    used_database(tmp)
    (tmp / "worker.toml").write_text(SHOP, encoding="utf-8")
    return {"RW_CONFIG": str(tmp / "worker.toml")}


def shop_with_xero(tmp: Path) -> dict[str, str]:
    """The same, connected to a Xero (the sandbox) that holds no contact with the id typed."""
    return {**shop(tmp), "RW_XERO_MODE": "sandbox", "RW_XERO_BASE_URL": sandbox_url()}


def example_settings(tmp: Path) -> dict[str, str]:
    """A deployment still on config/example.toml and config/example.env, as the image ships them."""
    used_database(tmp)
    env = {"RW_CONFIG": str(ROOT / "config" / "example.toml")}
    for line in (ROOT / "config" / "example.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    env.pop("RW_WORKER_DATA_DIR", None)
    return {**env, "RW_CONFIG": str(ROOT / "config" / "example.toml")}


UNKNOWN_CONTACT = "0d7f3a0c-7a55-4d83-9d8c-3f1c2b0e9a11"
ORDER = ("orders", "new", "--price", "30.00")


CASES: tuple[Case, ...] = (
    # A new data directory: nothing is created behind the user's back, and they are told what to run.
    Case("status on a new data directory", ("status",), 2, ("no database", "db upgrade")),
    Case("review list on a new data directory", ("review", "list"), 2, ("no database", "db upgrade")),
    Case("cycle on a new data directory", ("cycle",), 2, ("no database", "db upgrade")),
    Case("health on a new data directory", ("health",), 1, ("UNHEALTHY", "no database")),
    Case("run on a new data directory", ("run",), 2, ("no database", "db upgrade")),
    # Bad paths.
    Case(
        "--config names a directory",
        ("--config", "conf.d", "status"),
        2,
        ("conf.d", "is a directory"),
        config_directory,
    ),
    Case(
        "replay --out into a folder that does not exist",
        ("replay", str(ROOT / "tests/replay/fixtures/small"), "--out", "nowhere/decisions.jsonl"),
        2,
        ("--out", "no folder", "nowhere"),
    ),
    Case(
        "report --html naming a directory",
        ("report", "--html", "var"),
        1,
        ("cannot use var", "directory"),
        used_database,
    ),
    Case("report --html onto a full disk", ("report", "--html", "/dev/full"), 1, ("No space left",), used_database),
    # Bad numbers and dates.
    Case(
        "review reject with a huge id", ("review", "reject", "999999999999999999999"), 2, ("argument ID", "not an id")
    ),
    Case("review approve with a word for an id", ("review", "approve", "seven"), 2, ("argument ID", "not a number")),
    Case("orders list --limit 0", ("orders", "list", "--limit", "0"), 2, ("--limit", "out of range")),
    Case(
        "serve --port 99999 (once wrapped round to another port)",
        ("serve", "--port", "99999"),
        2,
        ("--port", "out of range"),
    ),
    Case("inbox connect --wait -5", ("inbox", "connect", "--wait", "-5"), 2, ("--wait", "out of range")),
    Case(
        "orders done --expires with a bad date",
        ("orders", "done", "ORD-1", "--ref", "R", "--expires", "2026-13-01"),
        2,
        ("--expires", "not a date", "YYYY-MM-DD"),
    ),
    Case(
        "hosting start --start with a bad date",
        ("hosting", "start", "--domain", "a.nz", "--plan", "p", "--contact", UNKNOWN_CONTACT, "--start", "31/12/2026"),
        2,
        ("--start", "not a date"),
    ),
    # A closed pipe.
    Case("status | head (reader gone)", ("status",), 141, ("broken pipe",), used_database, close_stdout=True),
    # Damaged, emptied or missing databases.
    Case("status on a zero-byte database", ("status",), 2, ("empty (0 bytes)", "backup"), emptied_database),
    Case("cycle on a zero-byte database", ("cycle",), 2, ("empty (0 bytes)", "backup"), emptied_database),
    Case("review list on a zero-byte database", ("review", "list"), 2, ("empty (0 bytes)",), emptied_database),
    Case("db upgrade on a zero-byte database", ("db", "upgrade"), 2, ("empty (0 bytes)", "--new"), emptied_database),
    Case("run on a zero-byte database", ("run",), 2, ("empty (0 bytes)", "backup"), emptied_database),
    Case("db upgrade on a zero-byte file never used", ("db", "upgrade"), 2, ("empty (0 bytes)",), zero_byte_never_used),
    Case("status on a deleted database", ("status",), 2, ("is gone", "used it since", "backup"), deleted_database),
    Case("db upgrade on a deleted database", ("db", "upgrade"), 2, ("is gone", "backup"), deleted_database),
    Case("status on a truncated database", ("status",), 2, ("damaged", "truncated"), truncated_database),
    Case("cycle on a truncated database", ("cycle",), 2, ("damaged", "truncated"), truncated_database),
    Case("review list on a garbage header", ("review", "list"), 2, ("damaged", "header"), garbage_header),
    Case("status on damaged pages", ("status",), 2, ("damaged", "malformed", "backup"), garbage_pages),
    Case("review list on damaged pages", ("review", "list"), 2, ("damaged", "malformed"), garbage_pages),
    Case("health on damaged pages", ("health",), 1, ("UNHEALTHY", "damaged"), garbage_pages),
    Case("status on unreachable PostgreSQL", ("status",), 1, ("cannot reach", "127.0.0.1"), unreachable_postgres),
    Case("cycle on unreachable PostgreSQL", ("cycle",), 1, ("cannot reach",), unreachable_postgres),
    Case("run on unreachable PostgreSQL", ("run",), 1, ("cannot reach",), unreachable_postgres),
    Case("review list on unreachable PostgreSQL", ("review", "list"), 1, ("cannot reach",), unreachable_postgres),
    Case("db upgrade on unreachable PostgreSQL", ("db", "upgrade"), 1, ("cannot reach",), unreachable_postgres),
    # Settings: the value is blamed on where it came from; an unknown variable is pointed out.
    Case(
        "RW_WORKER_TIMEZONE=Mars/Olympus",
        ("status",),
        2,
        ("environment RW_WORKER_TIMEZONE", "unknown time zone 'Mars/Olympus'"),
        used_database,
        env={"RW_WORKER_TIMEZONE": "Mars/Olympus"},
    ),
    Case(
        "RW_MATCHING_FEE_TOLERANCE=-0.50",
        ("status",),
        2,
        ("environment RW_MATCHING_FEE_TOLERANCE", "must not be negative"),
        used_database,
        env={"RW_MATCHING_FEE_TOLERANCE": "-0.50"},
    ),
    Case(
        "RW_MATCHING_FEE_TOLERANCE=NaN",
        ("status",),
        2,
        ("environment RW_MATCHING_FEE_TOLERANCE", "finite"),
        used_database,
        env={"RW_MATCHING_FEE_TOLERANCE": "NaN"},
    ),
    Case(
        "a misspelt RW_XERO_CLIENTID (status runs, and says so)",
        ("status", "--log-format", "console"),
        0,
        ("RW_XERO_CLIENTID is not a setting", "did you mean RW_XERO_CLIENT_ID?"),
        used_database,
        env={"RW_XERO_CLIENTID": "abc"},
    ),
    Case(
        "run on the example's placeholder settings (as the image ships them)",
        ("run",),
        2,
        ("set your own values", "090"),
        example_settings,
    ),
    Case(
        "cycle on the example's placeholder settings",
        ("cycle",),
        2,
        ("set your own values",),
        example_settings,
    ),
    # Input taken at the command: checked before anything is queued.
    Case(
        "orders new with a 296-character name",
        (*ORDER, "--domain", "kiwi.nz", "--email", "a@kiwi.nz", "--name", "N" * 296),
        2,
        ("--name", "296 characters", "at most 255"),
        shop,
    ),
    Case(
        "orders new with a 64-character label",
        (*ORDER, "--domain", "a" * 64 + ".nz", "--email", "a@kiwi.nz", "--name", "Kiwi"),
        2,
        ("--domain", "longer than 63"),
        shop,
    ),
    Case(
        "orders new --domain -bad-.com",
        (*ORDER, "--domain=-bad-.com", "--email", "a@kiwi.nz", "--name", "Kiwi"),
        2,
        ("--domain", "hyphen"),
        shop,
    ),
    Case(
        "orders new --domain münchen.de (shown in Unicode, stored as IDNA)",
        (*ORDER, "--domain", "München.de", "--email", "max@münchen.de", "--name", "Max"),
        0,
        ("münchen.de (xn--mnchen-3ya.de)", "queued"),
        shop,
    ),
    Case(
        "orders new for an ending nobody sells (.zz)",
        (*ORDER, "--domain", "kiwi.zz", "--email", "a@kiwi.nz", "--name", "Kiwi"),
        2,
        (".zz domains are not sold here", "domain_rates"),
        shop,
    ),
    Case(
        "orders new --email notanemail",
        (*ORDER, "--domain", "kiwi.nz", "--email", "notanemail", "--name", "Kiwi"),
        2,
        ("--email", "not an e-mail address"),
        shop,
    ),
    Case(
        "orders new --price 35.001",
        ("orders", "new", "--price", "35.001", "--domain", "kiwi.nz", "--email", "a@kiwi.nz", "--name", "Kiwi"),
        2,
        ("--price", "more than two decimal places"),
        shop,
    ),
    Case(
        "orders new --contact nosuch",
        (*ORDER, "--domain", "kiwi.nz", "--contact", "nosuch"),
        2,
        ("--contact", "not a Xero ContactID"),
        shop,
    ),
    Case(
        "orders new --contact that Xero does not hold",
        (*ORDER, "--domain", "kiwi.nz", "--contact", UNKNOWN_CONTACT),
        2,
        ("Xero has no active contact",),
        shop_with_xero,
    ),
    Case(
        "orders new --contact while Xero is not configured",
        (*ORDER, "--domain", "kiwi.nz", "--contact", UNKNOWN_CONTACT),
        2,
        ("not configured", "[xero]"),
        shop,
    ),
    Case(
        "hosting start --domain 'bad domain'",
        ("hosting", "start", "--domain", "bad domain", "--plan", "starter", "--contact", UNKNOWN_CONTACT),
        2,
        ("--domain", "contains a space"),
        shop,
    ),
    Case(
        "hosting start --contact nosuch",
        ("hosting", "start", "--domain", "kiwi.nz", "--plan", "starter", "--contact", "nosuch"),
        2,
        ("--contact", "not a Xero ContactID"),
        shop,
    ),
    Case(
        "hosting start --contact that Xero does not hold",
        ("hosting", "start", "--domain", "kiwi.nz", "--plan", "starter", "--contact", UNKNOWN_CONTACT),
        2,
        ("Xero has no active contact",),
        shop_with_xero,
    ),
    Case(
        "review link --contact the worker has no invoice of",
        ("review", "link", "1", "--contact", "nosuch"),
        2,
        ("--contact 'nosuch'", "no invoice"),
        shop,
    ),
    Case(
        "orders done --cost 18.505",
        ("orders", "done", "ORD-1", "--ref", "R", "--cost", "18.505"),
        2,
        ("--cost", "an amount like 18.50", "18.505"),
        shop,
    ),
)


def run_case(case: Case, tmp: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RW_")}
    env.update({"RW_WORKER_DATA_DIR": str(tmp / "var"), "PYTHONPATH": str(ROOT)})
    if case.setup is not None:
        env.update(case.setup(tmp))
    env.update(case.env)
    argv = [sys.executable, "-m", "worker", *case.argv]
    if case.close_stdout:
        read_end, write_end = os.pipe()
        os.close(read_end)  # nobody will read: the first write meets a closed pipe
        with subprocess.Popen(argv, cwd=tmp, env=env, stdout=write_end, stderr=subprocess.PIPE, text=True) as proc:
            os.close(write_end)
            _, err = proc.communicate(timeout=60)
        return proc.returncode, "", err
    done = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def last_line(out: str, err: str) -> str:
    """What the user reads last: the error line on stderr, else the last line of output (`health`)."""
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("{")]
    if not lines:
        lines = [line for line in out.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_case_ends_with_one_clear_line(case: Case, tmp_path: Path) -> None:
    status, out, err = run_case(case, tmp_path)
    assert "Traceback" not in out + err, err
    # Log lines are JSON off a terminal; every other line on stderr is the command's own, and there is one (a
    # configuration with several problems lists them under it, one "  - " line each).
    said = [line for line in err.splitlines() if line.strip() and not line.startswith(("{", "  - "))]
    assert len(said) <= 1, said
    line = last_line(out, err)
    assert status == case.status, (status, line)
    for word in case.says:
        assert word in line, (word, line)
    assert "hunter2" not in out + err  # a database password never reaches the screen


def test_the_walk_leaves_the_data_where_it_was(tmp_path: Path) -> None:
    """A refused command leaves a damaged or emptied database exactly as it found it, for the restore."""
    truncated_database(tmp_path)
    before = database(tmp_path).read_bytes()
    for argv in (("status",), ("cycle",), ("db", "upgrade"), ("review", "list")):
        status, _, _ = run_case(Case("again", argv, 2, ()), tmp_path)
        assert status == 2
    assert database(tmp_path).read_bytes() == before
