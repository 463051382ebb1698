"""Settings for the review page (`reseller-worker serve`, or `run` with `enabled = true`): where it listens, who may
sign in (a users file written by `reseller-worker web add-user`), how long a session lasts, how sign-in is limited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class WebSettings:
    enabled: bool  # `run` also serves the page
    host: str
    port: int
    users_file: Path  # name = argon2 hash, written by `web add-user`; read again on every sign-in and request
    base_url: str  # where the reseller opens the page (https://worker.example.nz); the e-mailed report links there
    session_idle_minutes: int  # a session unused this long ends
    session_hours: int  # and every session ends this long after sign-in
    signin_attempts: int  # failed sign-ins allowed per user name, and per address, within the window
    signin_window_minutes: int
    proxy_hops: int  # reverse proxies in front whose X-Forwarded-For/-Proto/-Host are believed (0: none)


def read_web(r: Reader, data_dir: Path, base_dir: Path) -> WebSettings:
    users_file = Path(r.str("users_file", str(data_dir / "web-users.toml")))
    if not users_file.is_absolute():
        users_file = base_dir / users_file
    base_url = r.str("base_url", "").rstrip("/")
    if base_url and not base_url.startswith(("https://", "http://")):
        r.problems.add(r.where("base_url"), f"must be an http(s):// address, not {base_url!r}")
    return WebSettings(
        enabled=r.bool("enabled", False),
        host=r.str("host", "127.0.0.1"),
        port=r.int("port", 8377, minimum=1, maximum=65535),
        users_file=users_file,
        base_url=base_url,
        session_idle_minutes=r.int("session_idle_minutes", 60, minimum=1, maximum=7 * 24 * 60),
        session_hours=r.int("session_hours", 12, minimum=1, maximum=30 * 24),
        signin_attempts=r.int("signin_attempts", 5, minimum=1, maximum=1000),
        signin_window_minutes=r.int("signin_window_minutes", 15, minimum=1, maximum=24 * 60),
        proxy_hops=r.int("proxy_hops", 0, minimum=0, maximum=5),
    )
