"""A Mailer that keeps what it was given: `.sent` in order. Set `.fail_with` to make the next sends raise."""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.ports import OutgoingMail


@dataclass
class FakeMailer:
    sent: list[OutgoingMail] = field(default_factory=list)
    fail_with: list[Exception] = field(default_factory=list)  # raised one per send, first first

    def send(self, mail: OutgoingMail) -> None:
        if not mail.to:
            raise ValueError("a mail needs at least one recipient")
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append(mail)
