"""Who may sign in to the review page: a users file of `name = "argon2 hash"` lines, written by
`reseller-worker web add-user` (there is no default user and no default password).

The file is read again whenever it changes, so adding, removing or re-keying a user takes effect at once; a
session remembers a stamp of the hash it signed in with, so a new password ends the old sessions.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
HEADER = (
    "# reseller-worker review page users: name = argon2 hash. Written by `reseller-worker web add-user`;\n"
    "# remove a line (or `web remove-user NAME`) to take someone's access away.\n"
)
HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
# Verified when the name is unknown, so that an unknown name takes as long as a wrong password.
_DUMMY = HASHER.hash("not a password anyone has")


class UsersFileError(Exception):
    """The users file cannot be read or is not what `web add-user` writes."""


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ValueError(
            f"{name!r} is not a usable name: lower-case letters, digits and . _ @ -, starting with a letter or "
            "digit, at most 64 characters"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if password.strip() != password or "\n" in password:
        raise ValueError("the password must not start or end with spaces")
    return password


def stamp(password_hash: str) -> str:
    """A short fingerprint of a password hash, kept with each session."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True, slots=True)
class Users:
    hashes: dict[str, str]

    def verify(self, name: str, password: str, *, hasher: PasswordHasher = HASHER) -> str | None:
        """The user's stamp when the password is theirs, else None (in about the same time either way)."""
        known = self.hashes.get(name)
        try:
            hasher.verify(known or _DUMMY, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return stamp(known) if known else None

    def stamp_of(self, name: str) -> str | None:
        known = self.hashes.get(name)
        return stamp(known) if known else None


def _parse(path: Path) -> Users:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Users(hashes={})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsersFileError(f"{path}: cannot be read: {exc}") from None
    users = data.get("users", {})
    if not isinstance(users, dict) or not all(
        isinstance(k, str) and NAME.match(k) and isinstance(v, str) and v.startswith("$argon2")
        for k, v in users.items()
    ):
        raise UsersFileError(f"{path}: [users] must map names to argon2 hashes (as `web add-user` writes them)")
    return Users(hashes=dict(users))


class UsersFile:
    """The users file, re-read when it changes (every write is a new file renamed into place: a new inode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._users = Users(hashes={})

    def load(self) -> Users:
        try:
            st = self.path.stat()
            key: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        with self._lock:
            if key != self._seen or key is None:
                self._users = _parse(self.path) if key is not None else Users(hashes={})
                self._seen = key
            return self._users

    def _write(self, hashes: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = HEADER + "\n[users]\n" + "".join(f'"{name}" = "{h}"\n' for name, h in sorted(hashes.items()))
        # Written beside it and renamed: a reader never sees half a file; 0600, the hashes are nobody's business.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".web-users.")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def set_password(self, name: str, password: str, *, hasher: PasswordHasher = HASHER) -> bool:
        """Add the user or give them a new password; True when the user is new."""
        check_name(name)
        check_password(password)
        hashes = dict(_parse(self.path).hashes)
        new = name not in hashes
        hashes[name] = hasher.hash(password)
        self._write(hashes)
        return new

    def remove(self, name: str) -> bool:
        hashes = dict(_parse(self.path).hashes)
        if hashes.pop(name, None) is None:
            return False
        self._write(hashes)
        return True
