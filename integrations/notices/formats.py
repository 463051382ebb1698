"""Loading gateway notice formats: the built-in files in rules/notice_formats/ plus a reseller's own directory
(settings `matching.notice_formats_dir`), so a changed wording needs a file, not a release."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import rules
from rules.notice_text import FormatError, NoticeFormats, compile_format

BUILTIN_DIR = Path(rules.__file__).resolve().parent / "notice_formats"


def load_format_dir(directory: Path) -> NoticeFormats:
    """Every *.toml in `directory`, one gateway each; raises FormatError naming the file and key at fault."""
    formats = {}
    if not directory.is_dir():
        raise FormatError(f"{directory}: notice formats directory does not exist")
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise FormatError(f"{path}: {exc}") from exc
        fmt = compile_format(data, source=str(path))
        formats[fmt.gateway] = fmt
    return NoticeFormats(by_gateway=formats)


@functools.cache
def builtin_formats() -> NoticeFormats:
    """The built-in set (PayPal, Stripe, Windcave, Xero), read once per process on first use."""
    return load_format_dir(BUILTIN_DIR)


def load_formats(extra_dir: str | Path | None = None) -> NoticeFormats:
    """Built-in formats, with the files in `extra_dir` added (a gateway defined there replaces the built-in)."""
    formats = builtin_formats()
    if extra_dir:
        formats = formats.merged(load_format_dir(Path(extra_dir)))
    return formats
