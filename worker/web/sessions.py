"""Signed-in sessions of the review page, kept in the database, and the limit on failed sign-ins.

The cookie carries a random token; the table keeps only its SHA-256, with the session's CSRF token, the user's
password stamp and when it was last used. A session ends when unused for the idle time, at its maximum age, on
sign-out, or when the user's password changes or the user is removed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, or_, select, update

from worker.store.web_tables import web_sessions, web_signin_failures

TOUCH_EVERY = timedelta(minutes=1)  # last use is written at most this often, not on every request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite hands back naive UTC


@dataclass(frozen=True, kw_only=True, slots=True)
class Session:
    token_hash: str
    username: str
    user_stamp: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Lifetime:
    idle: timedelta
    maximum: timedelta


def start(conn: Connection, *, username: str, user_stamp: str, address: str, now: datetime) -> str:
    """A new session; returns the cookie's token (the only copy)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        web_sessions.insert().values(
            token_hash=_digest(token),
            username=username,
            user_stamp=user_stamp,
            csrf_token=secrets.token_urlsafe(32),
            address=address[:64],
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


def find(conn: Connection, token: str, *, now: datetime, lifetime: Lifetime) -> Session | None:
    """The live session for a cookie's token, its last use brought up to date; None when unknown or expired."""
    if not token or len(token) > 128:
        return None
    row = conn.execute(select(web_sessions).where(web_sessions.c.token_hash == _digest(token))).first()
    if row is None:
        return None
    created, seen = _aware(row.created_at), _aware(row.last_seen_at)
    if now - seen > lifetime.idle or now - created > lifetime.maximum:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == row.token_hash))
        return None
    if now - seen >= TOUCH_EVERY:
        conn.execute(update(web_sessions).where(web_sessions.c.token_hash == row.token_hash).values(last_seen_at=now))
        seen = now
    return Session(
        token_hash=row.token_hash,
        username=row.username,
        user_stamp=row.user_stamp,
        csrf_token=row.csrf_token,
        created_at=created,
        last_seen_at=seen,
    )


def end(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))


def end_all(conn: Connection, username: str) -> int:
    return int(conn.execute(delete(web_sessions).where(web_sessions.c.username == username)).rowcount or 0)


def sweep(conn: Connection, *, now: datetime, lifetime: Lifetime, window: timedelta) -> None:
    """Forget expired sessions and failed sign-ins older than the window (run at each sign-in)."""
    conn.execute(
        delete(web_sessions).where(
            or_(web_sessions.c.last_seen_at < now - lifetime.idle, web_sessions.c.created_at < now - lifetime.maximum)
        )
    )
    conn.execute(delete(web_signin_failures).where(web_signin_failures.c.at < now - window))


@dataclass(frozen=True, kw_only=True, slots=True)
class SigninLimit:
    attempts: int
    window: timedelta


def blocked_for(
    conn: Connection, *, username: str, address: str, now: datetime, limit: SigninLimit
) -> timedelta | None:
    """How long until another attempt is allowed, when this name or this address has used up its failures."""
    since = now - limit.window
    waits = []
    for column, value in ((web_signin_failures.c.username, username), (web_signin_failures.c.address, address)):
        count, oldest = conn.execute(
            select(func.count(), func.min(web_signin_failures.c.at)).where(
                column == value, web_signin_failures.c.at > since
            )
        ).one()
        if count >= limit.attempts and oldest is not None:
            # Failures age out one by one; the next attempt is allowed when the oldest in the window leaves it.
            waits.append(_aware(oldest) + limit.window - now)
    return max(waits) if waits else None


def record_failure(conn: Connection, *, username: str, address: str, now: datetime) -> None:
    conn.execute(web_signin_failures.insert().values(username=username[:64], address=address[:64], at=now))


def clear_failures(conn: Connection, *, username: str) -> None:
    conn.execute(delete(web_signin_failures).where(web_signin_failures.c.username == username))
