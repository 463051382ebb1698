"""Reading one settings section from a TOML table and the environment, collecting every problem at once.

Each section module (`config/xero.py`, ...) builds its frozen dataclass through a `Reader`, so a bad
configuration fails at start with one message listing every problem and where it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass
class Problems:
    items: list[str] = field(default_factory=list)
    # Every RW_* variable some setting is read from, so a variable that is none of them can be pointed out.
    environment: set[str] = field(default_factory=set)
    # Settings that are tables (plans, prices): only the file can hold them; variable name -> "[section] key".
    tables: dict[str, str] = field(default_factory=dict)
    # Secrets this configuration requires (and found): a command run in another shell needs them set there too.
    required_secrets: set[str] = field(default_factory=set)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


class ConfigError(Exception):
    """The configuration is unusable; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"invalid configuration: {problems[0]}")
        else:
            super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


_MISSING = object()

# Reader's methods are named for the types they return, which shadows the builtins inside its class body.
Text = str
Whole = int
Flag = bool


class Reader:
    """Typed access to `[section]` of the TOML file and to `RW_*` environment variables.

    Secrets come only from `secret()`, which reads the environment and never the file: a secret found in
    the file is itself reported as a problem, so it cannot be committed by mistake.
    """

    def __init__(
        self, section: Text, table: Mapping[Text, Any], environ: Mapping[Text, Text], problems: Problems, file: Text
    ) -> None:
        self.section = section
        self.table = table
        self.environ = environ
        self.problems = problems
        self.file = file
        self.seen: set[str] = set()
        self.origins: dict[str, str] = {}

    def _where(self, key: Text) -> Text:
        return f"{self.file} [{self.section}] {key}"

    def where(self, key: Text) -> Text:
        """Where the value of `key` came from (the environment variable or the file's key), to blame the right one
        for a value that reads well but means nothing (an unknown time zone, a negative tolerance)."""
        return self.origins.get(key) or self._where(key)

    def env_name(self, key: Text) -> Text:
        # A sub-table such as [gateways.stripe] reads RW_GATEWAYS_STRIPE_<KEY>.
        return f"RW_{self.section.upper().replace('.', '_')}_{key.upper()}"

    def _raw(self, key: Text) -> tuple[Any, Text]:
        self.seen.add(key)
        env = self.env_name(key)
        self.problems.environment.add(env)
        if env in self.environ:
            self.origins[key] = f"environment {env}"
            return self.environ[env], self.origins[key]
        if key in self.table:
            self.origins[key] = self._where(key)
            return self.table[key], self.origins[key]
        return _MISSING, self._where(key)

    def str(self, key: Text, default: Text | None = None, *, choices: tuple[Text, ...] = ()) -> Text:
        value, where = self._raw(key)
        if value is _MISSING:
            if default is None:
                self.problems.add(where, "is required")
                return ""
            return default
        if not isinstance(value, str):
            self.problems.add(where, f"must be a string, not {type(value).__name__}")
            return default or ""
        if choices and value not in choices:
            self.problems.add(where, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def int(self, key: Text, default: Whole, *, minimum: Whole | None = None, maximum: Whole | None = None) -> Whole:
        value, where = self._raw(key)
        if value is _MISSING:
            return default
        if isinstance(value, bool | float):
            self.problems.add(where, f"must be a whole number, not {value!r}")
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.problems.add(where, f"must be a whole number, not {value!r}")
            return default
        if minimum is not None and number < minimum:
            self.problems.add(where, f"must be at least {minimum}, not {number}")
        if maximum is not None and number > maximum:
            self.problems.add(where, f"must be at most {maximum}, not {number}")
        return number

    def decimal(self, key: Text, default: Text) -> Decimal:
        value, where = self._raw(key)
        if value is _MISSING:
            return Decimal(default)
        if isinstance(value, float):
            # TOML floats lose cents; ask for a string.
            self.problems.add(where, f'write money and tolerances as strings ("{value}"), not floats')
            return Decimal(default)
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.problems.add(where, f"must be a decimal number, not {value!r}")
            return Decimal(default)
        if not number.is_finite():
            self.problems.add(where, f"must be a finite decimal number, not {value!r}")
            return Decimal(default)
        return number

    def bool(self, key: Text, default: Flag) -> Flag:
        value, where = self._raw(key)
        if value is _MISSING:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.lower() in {"1", "true", "yes", "on"}
        self.problems.add(where, f"must be true or false, not {value!r}")
        return default

    def list(self, key: Text, default: tuple[Text, ...] = ()) -> tuple[Text, ...]:
        value, where = self._raw(key)
        if value is _MISSING:
            return default
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.problems.add(where, "must be a list of strings")
        return default

    def mapping(self, key: Text, default: Mapping[Text, Any] | None = None) -> dict[Text, Any]:
        self.seen.add(key)
        self.problems.tables[self.env_name(key)] = f"[{self.section}] {key}"
        value = self.table.get(key, _MISSING)
        if value is _MISSING:
            return dict(default or {})
        if not isinstance(value, dict):
            self.problems.add(self._where(key), "must be a table")
            return dict(default or {})
        return dict(value)

    def amounts(
        self, key: Text, default: Mapping[Text, Any] | None = None, *, noun: Text = "amounts", allow_zero: Flag = False
    ) -> dict[Text, Decimal]:
        """A table of money (plan -> rate, TLD -> price), each a decimal string: a TOML float would lose cents."""
        found: dict[Text, Decimal] = {}
        for name, value in self.mapping(key, default).items():
            where = self._where(f"{key}.{name}")
            if isinstance(value, float):
                self.problems.add(where, f'write {noun} as strings ("{value}"), not floats')
                continue
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                self.problems.add(where, f"not a decimal amount: {value!r}")
                continue
            if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
                kind = "non-negative" if allow_zero else "positive"
                self.problems.add(where, f"must be a {kind} amount, not {value!r}")
                continue
            found[str(name)] = amount
        return found

    def secret(self, key: Text, *, required: Flag) -> Text:
        """A credential: environment only."""
        self.seen.add(key)
        env = self.env_name(key)
        self.problems.environment.add(env)
        if key in self.table:
            self.problems.add(self._where(key), f"secrets belong in the environment ({env}), not in the file")
        value = self.environ.get(env, "")
        if required and not value:
            self.problems.add(f"environment {env}", "is required")
        if required:
            self.problems.required_secrets.add(env)
        return value

    def finish(self) -> None:
        """Report keys in the file that no setting reads: a typo would otherwise be silently ignored."""
        for key in sorted(set(self.table) - self.seen):
            self.problems.add(self._where(key), "is not a known setting")
