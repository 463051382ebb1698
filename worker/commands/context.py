"""What a command handler gets: the parsed arguments, and settings and the app built on first use."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from worker.app import App

DEFAULT_CONFIG_ENV = "RW_CONFIG"


@dataclass
class CommandContext:
    args: argparse.Namespace
    _settings: Settings | None = field(default=None, init=False)
    _app: App | None = field(default=None, init=False)

    def config_path(self) -> Path | None:
        given = self.args.config or os.environ.get(DEFAULT_CONFIG_ENV)
        return Path(given) if given else None

    def settings(self) -> Settings:
        if self._settings is None:
            environ = dict(os.environ)
            data_dir = getattr(self.args, "data_dir", None)
            if data_dir:
                # The same as RW_WORKER_DATA_DIR, which the flag overrides.
                environ["RW_WORKER_DATA_DIR"] = str(Path(data_dir).resolve())
            self._settings = load_settings(self.config_path(), environ)
            from worker.data_dir import tighten

            tighten(self._settings.worker.data_dir)
            if not self.args.log_format and self._settings.worker.log_format != "auto":
                # [worker] log_format (RW_WORKER_LOG_FORMAT) applies unless --log-format was given.
                from worker.logs import configure_logging

                configure_logging(self._settings.worker.log_format)
            if self._settings.warnings:
                import structlog

                log = structlog.get_logger("worker.settings")
                for warning in self._settings.warnings:
                    log.warning("settings_warning", problem=warning)
        return self._settings

    def database_shown(self) -> str:
        """Where the database is, for an error message; empty before the settings have loaded."""
        if self._settings is None:
            return ""
        from worker.store.opening import place_of

        try:
            return place_of(self._settings.worker.database_url).shown
        except Exception:  # only for a message
            return ""

    def engine(self, *, migrate: bool = True) -> Engine:
        """The database, checked (and migrated unless `migrate=False`); see `worker.store.opening`."""
        from worker.store.opening import open_database

        settings = self.settings()
        return open_database(settings.worker.database_url, settings.worker.data_dir, migrate=migrate)

    def app(self) -> App:
        if self._app is None:
            from config.placeholders import refuse_placeholders
            from worker.app import build_app

            # Acting on the example's values would read, write and mail to placeholders.
            refuse_placeholders(self.settings())
            self._app = build_app(self.settings())
        return self._app
