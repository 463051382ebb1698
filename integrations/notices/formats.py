"""Loading payment services' notice formats: the built-in files in rules/notice_formats/ plus a reseller's own
directory (settings `matching.notice_formats_dir`), so a changed wording needs a file, not a release.

One file per service (`paypal.toml`) and one per language it writes in (`paypal.de.toml`, with `language = "de"`):
a language file adds its wording, labels and not-payment kinds to the service's format. A service file in the
reseller's directory replaces the built-in one; a language file there adds to it.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import rules
from rules.notice_text import FormatError, NoticeFormats, compile_format

BUILTIN_DIR = Path(rules.__file__).resolve().parent / "notice_formats"
_BUILTIN = str(BUILTIN_DIR)  # the built-in files are compiled whole by the test suite; their languages lazily

Table = tuple[str, Mapping[str, Any]]  # (file, loaded TOML)


def _tables(directory: Path) -> list[Table]:
    if not directory.is_dir():
        raise FormatError(f"{directory}: notice formats directory does not exist")
    tables: list[Table] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise FormatError(f"{path}: {exc}") from exc
        if not isinstance(data.get("gateway"), str):
            raise FormatError(f"{path}: gateway must be a short lower-case name")
        tables.append((str(path), data))
    return tables


def _compiled(tables: Iterable[Table], *, lazy: bool = False) -> NoticeFormats:
    """Each service's base table, then its language tables, merged and compiled; a language file with no service
    file is an error that names it."""
    bases: dict[str, Table] = {}
    languages: dict[str, list[Table]] = {}
    for path, data in tables:
        if "language" in data:
            languages.setdefault(str(data["gateway"]), []).append((path, data))
        else:
            bases[str(data["gateway"])] = (path, data)
    for gateway, extra in languages.items():
        if gateway not in bases:
            raise FormatError(f"{extra[0][0]}: a language file for {gateway!r}, which has no service file")
    formats = {}
    for gateway, (path, data) in bases.items():
        formats[gateway] = compile_format(
            data,
            source=path,
            languages=languages.get(gateway, []),
            lazy_languages=(lambda file: file.startswith(_BUILTIN)) if lazy else None,
        )
    return NoticeFormats(by_gateway=formats)


def load_format_dir(directory: Path) -> NoticeFormats:
    """Every service in `directory` with its languages; raises FormatError naming the file and key at fault."""
    return _compiled(_tables(directory))


@functools.cache
def _builtin_tables() -> tuple[Table, ...]:
    return tuple(_tables(BUILTIN_DIR))


@functools.cache
def builtin_formats() -> NoticeFormats:
    """The built-in set (PayPal, Stripe, Windcave, Xero, ...), read once per process on first use."""
    return _compiled(_builtin_tables(), lazy=True)


def load_formats(extra_dir: str | Path | None = None) -> NoticeFormats:
    """Built-in formats with the files in `extra_dir`: a service file there replaces the built-in one, a language
    file there adds to the service's format."""
    if not extra_dir:
        return builtin_formats()
    extra = _tables(Path(extra_dir))
    replaced = {str(data["gateway"]) for _, data in extra if "language" not in data}
    kept = [(p, d) for p, d in _builtin_tables() if "language" in d or str(d["gateway"]) not in replaced]
    return _compiled([*kept, *extra], lazy=True)
