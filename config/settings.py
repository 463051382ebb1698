"""All settings, loaded once at start from a TOML file plus `RW_*` environment variables.

`load_settings(path, environ)` is pure apart from reading the file; it returns a frozen `Settings` or raises
`ConfigError` listing every problem.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from config.gateways import GatewaysSettings, read_gateways
from config.hosting import HostingSettings, read_hosting
from config.inbox import InboxSettings, read_inbox
from config.matching import MatchingSettings, read_matching
from config.provider import ProviderSettings, read_provider
from config.registrar import RegistrarSettings, read_registrar
from config.report import ReportSettings, read_report
from config.sources import ConfigError, Problems, Reader
from config.web import WebSettings, read_web
from config.worker import WorkerSettings, read_worker
from config.xero import XeroSettings, read_xero

SECTIONS = ("worker", "xero", "inbox", "matching", "registrar", "report", "hosting", "gateways", "provider", "web")


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    source: str  # the file it came from, or "defaults"
    worker: WorkerSettings
    xero: XeroSettings
    inbox: InboxSettings
    matching: MatchingSettings
    registrar: RegistrarSettings
    report: ReportSettings
    hosting: HostingSettings
    provider: ProviderSettings
    gateways: GatewaysSettings = field(default_factory=GatewaysSettings)
    web: WebSettings
    # Not problems, but worth a word: an RW_* variable no setting reads (a typo would otherwise be ignored).
    warnings: tuple[str, ...] = ()
    required_secrets: tuple[str, ...] = ()  # RW_* secrets this configuration cannot load without


def load_settings(path: Path | None, environ: Mapping[str, str], *, base_dir: Path | None = None) -> Settings:
    """Read `path` (or only defaults and the environment when None) and validate everything at once."""
    problems = Problems()
    data: dict[str, Any] = {}
    file = str(path) if path is not None else "defaults"
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"{path}: no such file"]) from None
        except IsADirectoryError:
            raise ConfigError([f"{path}: is a directory; --config names the settings file (TOML)"]) from None
        except UnicodeDecodeError:
            raise ConfigError([f"{path}: not a text file (settings are UTF-8 TOML)"]) from None
        except OSError as exc:
            raise ConfigError([f"{path}: cannot be read: {exc.strerror or exc}"]) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    for key in sorted(set(data) - set(SECTIONS)):
        problems.add(file, f"unknown section [{key}]")
    base = base_dir or (path.parent.resolve() if path is not None else Path.cwd())

    def reader(section: str) -> Reader:
        table = data.get(section, {})
        if not isinstance(table, dict):
            problems.add(file, f"[{section}] must be a table")
            table = {}
        return Reader(section, table, environ, problems, file)

    # [gateways] holds one sub-table per payment service, each read by its own Reader.
    readers = {name: reader(name) for name in SECTIONS if name != "gateways"}
    worker = read_worker(readers["worker"], base)
    settings = Settings(
        source=file,
        worker=worker,
        xero=read_xero(readers["xero"]),
        inbox=read_inbox(readers["inbox"], base),
        matching=read_matching(readers["matching"]),
        registrar=read_registrar(readers["registrar"]),
        report=read_report(readers["report"]),
        hosting=read_hosting(readers["hosting"]),
        provider=read_provider(readers["provider"]),
        gateways=read_gateways(_table(data, "gateways", problems, file), environ, problems, file),
        web=read_web(readers["web"], worker.data_dir, base),
    )
    for r in readers.values():
        r.finish()
    for service in settings.gateways.services:
        if service.clearing_account == settings.xero.bank_account_code:
            problems.add(
                file,
                f"[gateways.{service.name}] clearing_account is the bank account ({service.clearing_account}): card "
                "payments wait on a clearing account of their own until the payout reaches the bank",
            )
    if problems.items:
        raise ConfigError(problems.items)
    return replace(
        settings,
        warnings=unknown_variables(environ, problems.environment, problems.tables),
        required_secrets=tuple(sorted(problems.required_secrets)),
    )


# RW_* variables that are not settings: the settings file itself, and the test suite's own.
NOT_SETTINGS = frozenset({"RW_CONFIG"})


def unknown_variables(environ: Mapping[str, str], known: set[str], tables: Mapping[str, str]) -> tuple[str, ...]:
    """One sentence per RW_* variable that no setting reads, naming the nearest one that does."""
    found = []
    for name in sorted(environ):
        if not name.startswith("RW_") or name in known or name in NOT_SETTINGS or name.startswith("RW_TEST_"):
            continue
        if name in tables:
            found.append(f"environment {name} is ignored: {tables[name]} is a table, set in the settings file")
            continue
        nearest = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {nearest[0]}?" if nearest else " (see config/example.env)"
        found.append(f"environment {name} is not a setting and is ignored{hint}")
    return tuple(found)


def _table(data: dict[str, Any], section: str, problems: Problems, file: str) -> dict[str, Any]:
    table = data.get(section, {})
    if not isinstance(table, dict):
        problems.add(file, f"[{section}] must be a table")
        return {}
    return table
