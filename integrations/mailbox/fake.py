"""`FakeMailbox`: an in-memory mailbox with UIDs, folders, UIDVALIDITY resets and dropped connections.

Stateful, so tests drive the inbox job through the same `Mailbox` port as the real adapters.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from integrations.errors import TransientError
from integrations.ports import MailMessage


class FakeMailbox:
    """One watched folder plus any number of target folders; `deliver` plays the part of the mail server."""

    def __init__(
        self,
        *,
        folder: str = "INBOX",
        uidvalidity: int = 1,
        max_message_bytes: int = 2 * 1024 * 1024,
        fetch_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.folder = folder
        self.folders: dict[str, dict[int, bytes]] = {folder: {}}
        self._uidvalidity = uidvalidity
        self._next_uid = 1
        self._max = max_message_bytes
        self._fetch_bytes = fetch_bytes  # per fetch_new, as the real adapters bound it
        self._changed = threading.Condition()
        self._seen_next_uid = 1
        self.drop_next = 0  # the next N calls fail as if the connection dropped
        self.closes = 0  # the inbox job opens and closes per run; the fake outlives that, as a server does
        self.calls: list[str] = []

    # ---- server side -------------------------------------------------------------------------------------

    def deliver(self, raw: bytes) -> int:
        """Append a message to the watched folder, as the mail server would; returns its UID."""
        with self._changed:
            uid = self._next_uid
            self._next_uid += 1
            self.folders[self.folder][uid] = raw
            self._changed.notify_all()
            return uid

    def reset_uidvalidity(self) -> None:
        """Renumber the watched folder under a new UIDVALIDITY, as a rebuilt server index does."""
        with self._changed:
            messages = [self.folders[self.folder][uid] for uid in sorted(self.folders[self.folder])]
            self._uidvalidity += 1
            self.folders[self.folder] = {}
            self._next_uid = 1
            for raw in messages:
                self.folders[self.folder][self._next_uid] = raw
                self._next_uid += 1
            self._changed.notify_all()

    def messages_in(self, folder: str) -> list[bytes]:
        return [self.folders.get(folder, {})[uid] for uid in sorted(self.folders.get(folder, {}))]

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.drop_next > 0:
            self.drop_next -= 1
            raise TransientError("connection dropped (fake)", system="mailbox")

    # ---- the Mailbox port --------------------------------------------------------------------------------

    def fetch_new(self, *, after_uid: int, limit: int) -> Sequence[MailMessage]:
        self._call("fetch_new")
        with self._changed:
            self._seen_next_uid = self._next_uid
            box = self.folders[self.folder]
            out: list[MailMessage] = []
            budget = self._fetch_bytes
            for uid in sorted(uid for uid in box if uid > after_uid)[:limit]:
                budget -= min(len(box[uid]), self._max)
                if out and budget < 0:
                    break
                raw = box[uid][: self._max]
                out.append(MailMessage(uid=uid, raw=raw, mailbox_id=str(self._uidvalidity), size=len(box[uid])))
            return out

    def move(self, uids: Iterable[int], folder: str) -> None:
        self._call("move")
        with self._changed:
            box = self.folders[self.folder]
            target = self.folders.setdefault(folder, {})
            for uid in uids:
                if uid in box:  # already moved: nothing to do, as with IMAP UID MOVE
                    target[max(target, default=0) + 1] = box.pop(uid)

    def uidvalidity(self) -> int:
        self._call("uidvalidity")
        return self._uidvalidity

    def wait_for_mail(self, timeout_seconds: float) -> bool:
        self._call("wait_for_mail")
        with self._changed:
            return self._changed.wait_for(lambda: self._next_uid > self._seen_next_uid, timeout=timeout_seconds)

    def close(self) -> None:
        self.closes += 1
