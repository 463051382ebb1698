"""The example configuration's placeholders (`example.nz` names, `CHANGE-ME` secrets): a deployment that still
holds them would read someone else's inbox name, write to the example's accounts and mail a report nowhere, so
the worker refuses to act on them and names each one."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

# What config/example.toml and config/example.env write where your own values go.
PLACEHOLDER = re.compile(r"(?:^|[@./])example\.nz(?:$|[/:])|^CHANGE-ME$", re.IGNORECASE)
SECRETS = re.compile(r"password|secret|api_key|token", re.IGNORECASE)


def placeholders(settings: Any) -> list[str]:
    """Each setting that still holds one of the example's placeholders, as "[section] key = value"."""
    found = []
    for where, value in _values(settings, ""):
        if PLACEHOLDER.search(value):
            shown = "(the example's CHANGE-ME)" if SECRETS.search(where) else repr(value)
            found.append(f"{where} = {shown}")
    return found


def refuse_placeholders(settings: Any) -> None:
    """ConfigError naming every placeholder left, for the commands that act (run, cycle, inbox poll, ...)."""
    from config.sources import ConfigError

    found = placeholders(settings)
    if found:
        raise ConfigError(
            [f"{p} is the example's placeholder" for p in found]
            + [
                f"set your own values before the worker acts ({settings.source} and the environment): copy "
                "config/example.toml and config/example.env and "
                "edit every one (in Docker, mount your worker.toml over /etc/reseller-worker/worker.toml); check "
                "[xero] bank_account_code too, whose 090 is Xero's demo company's"
            ]
        )


def _values(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            name = field.name
            child = getattr(node, name)
            inner = f"[{name}]" if not where else f"{where} {name}" if where.startswith("[") else name
            yield from _values(child, inner)
    elif isinstance(node, str):
        yield where, node
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _values(item, where)
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _values(item, f"{where}.{key}")
