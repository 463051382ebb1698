"""Finding 5 of issue 11: every input of a replay ends as a decision, a review item or a quarantine entry. A Date
at the edge of the calendar and a mail file whose name is not UTF-8 (here a dangling link) cost one review each,
never the replay; the output is always written."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from integrations.notices import read_notice, trust_from_context
from rules.model import DecisionKind, NoticeReading
from worker.cli import main
from worker.replay import replay

FIXTURE = Path(__file__).parent / "fixtures" / "small"
EDGE_DATES = (
    "31 Dec 9999 23:59:59 -0100",  # later than any UTC instant Python can hold
    "31 Dec 9999 23:59:59 +0100",  # representable, but a day later is not
    "1 Jan 0001 00:00:00 +0100",  # read as 2001 (RFC 5322 4.3 two-digit years), signature then broken
    "Fri, 31 Dec 9999 23:59:59 +0000",
)


def corpus_with_edge_mail(tmp_path: Path) -> tuple[Path, list[str]]:
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus)
    template = (FIXTURE / "mail" / "00010.eml").read_bytes()
    ids = []
    for n, when in enumerate(EDGE_DATES):
        raw = re.sub(rb"(?m)^Date:.*$", f"Date: {when}".encode(), template, count=1)
        raw = raw.replace(b"Message-ID: <", f"Message-ID: <edge{n}-".encode(), 1)
        (corpus / "mail" / f"edge-{n}.eml").write_bytes(raw)
        ids.append(re.search(rb"Message-ID: <([^>]+)>", raw).group(1).decode())  # type: ignore[union-attr]
    os.symlink(b"/nonexistent/target", os.fsencode(corpus / "mail") + b"/lost-\xff\xfe.eml")
    return corpus, ids


def count_inputs(corpus: Path) -> int:
    bank = json.loads((corpus / "bank" / "statements.json").read_text())
    payments = json.loads((corpus / "xero" / "payments.json").read_text())
    lines = sum(len(s["statementLines"]) for s in bank["statements"])
    return lines + len(payments["Payments"]) + len(os.listdir(os.fsencode(corpus / "mail")))


@pytest.mark.parametrize("batch", [True, False], ids=["forked readers", "one at a time"])
def test_edge_dates_and_a_non_utf8_dangling_file_are_each_decided(tmp_path: Path, batch: bool) -> None:
    corpus, ids = corpus_with_edge_mail(tmp_path)
    trust = trust_from_context(json.loads((corpus / "context.json").read_text()))

    def one(raw: bytes) -> NoticeReading:
        return read_notice(raw, trust)

    got = replay(corpus, read=None if batch else one)
    assert len(got) == count_inputs(corpus)
    by_id = {d.receipt_id: d for d in got}
    for message_id, when in zip(ids, EDGE_DATES, strict=True):
        decision = by_id[message_id]
        assert decision.reason
        # The edit broke the signature: rejected as altered, whether or not the date has a UTC instant (broken
        # headers are weighed after authentication).
        assert decision.kind is DecisionKind.REJECT, (when, decision.reason)
    lost = by_id["lost-\\xff\\xfe.eml"]
    assert lost.kind is DecisionKind.REVIEW and "could not be read" in lost.reason


def test_the_command_writes_every_decision_as_json(tmp_path: Path) -> None:
    corpus, _ = corpus_with_edge_mail(tmp_path)
    out = tmp_path / "decisions.jsonl"
    assert main(["--log-format", "json", "replay", str(corpus), "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == count_inputs(corpus)
    assert any(line["receipt"] == "lost-\\xff\\xfe.eml" for line in lines)
