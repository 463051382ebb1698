"""`MaildirMailbox`: a local Maildir (the demo, and resellers whose server delivers to disk).

Maildir has no UIDs, so we keep our own list beside it (`.reseller-worker-uids`), like Dovecot's
`dovecot-uidlist`: deleting that file is a UIDVALIDITY reset. Folders are Maildir++ subfolders (`.Processed`).
"""

from __future__ import annotations

import mailbox
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import structlog

from integrations.errors import PermanentError, TransientError
from integrations.ports import MailMessage

log = structlog.get_logger(__name__)

UID_LIST = ".reseller-worker-uids"
FETCH_BYTES = 32 * 1024 * 1024  # per fetch_new, as for IMAP


class MaildirMailbox:
    def __init__(
        self,
        path: Path,
        *,
        poll_seconds: float = 0.5,
        max_message_bytes: int = 2 * 1024 * 1024,
        fetch_bytes: int = FETCH_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self._poll = poll_seconds
        self._max = max_message_bytes
        self._fetch_bytes = fetch_bytes
        self._sleep = sleep
        self._clock = clock
        try:
            self._md = mailbox.Maildir(str(self.path), factory=None, create=True)
        except OSError as exc:
            raise PermanentError(f"cannot open Maildir {self.path}: {exc}", system="maildir") from exc
        self._uidvalidity = 0
        self._next_uid = 1
        self._uids: dict[str, int] = {}  # maildir key -> uid
        self._load()

    # ---- our UID list -----------------------------------------------------------------------------------

    def _list_path(self) -> Path:
        return self.path / UID_LIST

    def _load(self) -> None:
        try:
            lines = self._list_path().read_text(encoding="ascii").splitlines()
        except FileNotFoundError:
            lines = []
        except OSError as exc:
            raise TransientError(f"cannot read {self._list_path()}: {exc}", system="maildir") from exc
        if not lines:
            # A new list is a new UID space: time-based like Dovecot's, and never reused.
            self._uidvalidity = max(int(time.time()), self._uidvalidity + 1)
            self._next_uid = 1
            self._uids = {}
            self._save()
            return
        head = lines[0].split()
        self._uidvalidity, self._next_uid = int(head[0]), int(head[1])
        self._uids = {}
        for line in lines[1:]:
            uid, _, key = line.partition(" ")
            if key:
                self._uids[key] = int(uid)

    def _save(self) -> None:
        body = f"{self._uidvalidity} {self._next_uid}\n" + "".join(
            f"{uid} {key}\n" for key, uid in sorted(self._uids.items(), key=lambda kv: kv[1])
        )
        tmp = self.path / (UID_LIST + ".tmp")
        tmp.write_text(body, encoding="ascii")
        os.replace(tmp, self._list_path())  # atomic: a crash leaves the old list or the new one

    def _paths(self) -> dict[str, Path]:
        """Maildir key -> file, from one scan of new/ and cur/ (the part after the colon is flags)."""
        found: dict[str, Path] = {}
        for sub in ("new", "cur"):
            directory = self.path / sub
            for name in os.listdir(directory):
                if not name.startswith("."):
                    found[name.split(self._md.colon, 1)[0]] = directory / name
        return found

    def _sync(self) -> dict[str, Path]:
        """Give every message in the Maildir a UID, oldest first; forget keys that are gone."""
        if not self._list_path().exists():
            self._load()
        paths = self._paths()
        changed = False
        for gone in set(self._uids) - set(paths):
            del self._uids[gone]
            changed = True
        new = [k for k in paths if k not in self._uids]
        if new:
            new.sort(key=lambda k: (_mtime(paths[k]), k))
            for key in new:
                self._uids[key] = self._next_uid
                self._next_uid += 1
            changed = True
        if changed:
            self._save()
        return paths

    # ---- the Mailbox port -------------------------------------------------------------------------------

    def fetch_new(self, *, after_uid: int, limit: int) -> Sequence[MailMessage]:
        try:
            paths = self._sync()
            wanted = sorted((uid, key) for key, uid in self._uids.items() if uid > after_uid)[:limit]
            out: list[MailMessage] = []
            budget = self._fetch_bytes
            for uid, key in wanted:
                path = paths.get(key)
                if path is None:
                    continue  # moved away meanwhile
                size = path.stat().st_size
                budget -= min(size, self._max)
                if out and budget < 0:
                    break  # a flood of big messages is read over several batches
                with path.open("rb") as fh:
                    raw = fh.read(self._max)
                out.append(MailMessage(uid=uid, raw=raw, mailbox_id=str(self._uidvalidity), size=size))
            return out
        except OSError as exc:
            raise TransientError(f"cannot read Maildir {self.path}: {exc}", system="maildir") from exc

    def move(self, uids: Iterable[int], folder: str) -> None:
        wanted = set(uids)
        try:
            if folder not in self._md.list_folders():
                self._md.add_folder(folder)
            target = self.path / f".{folder}"
            paths = self._paths()
            by_uid = {uid: key for key, uid in self._uids.items()}
            for uid in sorted(wanted):
                key = by_uid.get(uid)
                source = paths.get(key) if key else None
                if key is None or source is None:
                    continue  # already moved: a repeated move is a no-op, as with IMAP
                # rename is atomic on one filesystem: the message is in exactly one folder at any instant
                os.rename(source, target / source.parent.name / source.name)
                del self._uids[key]
            self._save()
        except OSError as exc:
            raise TransientError(f"cannot move in Maildir {self.path}: {exc}", system="maildir") from exc

    def uidvalidity(self) -> int:
        if not self._list_path().exists():
            self._load()
        return self._uidvalidity

    def wait_for_mail(self, timeout_seconds: float) -> bool:
        deadline = self._clock() + timeout_seconds
        known = set(self._uids)
        while True:
            try:
                if set(self._paths()) - known:
                    return True
            except OSError as exc:
                raise TransientError(f"cannot list Maildir {self.path}: {exc}", system="maildir") from exc
            remaining = deadline - self._clock()
            if remaining <= 0:
                return False
            self._sleep(min(self._poll, remaining))

    def close(self) -> None:
        """Nothing to release: every change is on disk already."""


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
