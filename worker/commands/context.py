"""What a command handler gets: the parsed arguments, and settings and the app built on first use."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings, load_settings

if TYPE_CHECKING:
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
            self._settings = load_settings(self.config_path(), os.environ)
        return self._settings

    def app(self) -> App:
        if self._app is None:
            from worker.app import build_app

            self._app = build_app(self.settings())
        return self._app
