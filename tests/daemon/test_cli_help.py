"""Every daemon-area command explains itself with --help."""

from __future__ import annotations

import pytest

from worker.cli import main


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run"], "SIGTERM"),
        (["health"], "HEALTHCHECK"),
        (["status"], "outbox backlog"),
        (["report"], "--send"),
        (["review"], "outbox"),
        (["review", "list"], "open review items"),
        (["review", "approve"], "--orders"),
        (["review", "ignore"], "not a customer payment"),
        (["review", "reject"], "forged"),
        (["review", "done"], "by hand"),
        (["review", "link"], "--contact"),
    ],
)
def test_help(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` exits 0 and says what the command does."""
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert words in out
