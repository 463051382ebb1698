"""Replay of a small corpus copied from the dev sample: every kind of receipt decided as the labels say, in time
order, through the same code the daemon runs, and the command's output contract."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules.model import DecisionKind, NoticeReading
from worker.cli import main
from worker.replay import decide_items, load_corpus, policy_for, replay

FIXTURE = Path(__file__).parent / "fixtures" / "small"


@pytest.fixture(scope="module")
def decisions() -> dict[str, dict[str, object]]:
    return {
        d.receipt_id: {"decision": d.kind.value, "orders": list(d.orders), "reason": d.reason} for d in replay(FIXTURE)
    }


def expected() -> list[dict[str, object]]:
    return list(json.loads((FIXTURE / "expected.json").read_text()))


def test_every_receipt_is_decided(decisions: dict[str, dict[str, object]]) -> None:
    """Each bank line, Xero payment and message gets exactly one decision; none is lost."""
    assert set(decisions) == {str(x["receipt"]) for x in expected()}


@pytest.mark.parametrize("label", expected(), ids=lambda x: f"{x['category']}:{str(x['receipt'])[:8]}")
def test_decision_matches_the_label(decisions: dict[str, dict[str, object]], label: dict[str, object]) -> None:
    """Auto exactly for the true orders; review with the true orders among the first five; ignore; reject."""
    got = decisions[str(label["receipt"])]
    truth = set(label["orders"])  # type: ignore[call-overload]
    assert got["reason"], "every decision says why"
    if got["decision"] == "auto":
        assert truth == set(got["orders"]), "never an automatic action on the wrong order"  # type: ignore[call-overload]
        assert label["expect"] == "auto" or label.get("ambiguous")
        return
    assert got["decision"] == label["expect"]
    if label["expect"] == "review" and label.get("suggestable", True):
        assert truth <= set(list(got["orders"])[:5])  # type: ignore[call-overload]


def test_replay_reads_mail_through_the_notice_reader(decisions: dict[str, dict[str, object]]) -> None:
    """Forged and unconfirmed notices are rejected, with the reason."""
    rejected = [d for d in decisions.values() if d["decision"] == "reject"]
    assert len(rejected) == sum(1 for x in expected() if x["expect"] == "reject")
    assert all(d["reason"] for d in rejected)


def test_ties_go_to_xero_then_bank_then_mail() -> None:
    """On the same instant, Xero's payments are decided before bank lines, and bank lines before mail."""
    corpus = load_corpus(FIXTURE)
    first = min(corpus.items, key=lambda i: i.at)
    for item in corpus.items:
        item.at = first.at
    order = [d.receipt_id for d in decide_items(corpus.items, corpus.orders, policy_for(corpus.context))]
    ranks = [next(i.rank for i in corpus.items if i.key == rid) for rid in order]
    assert ranks == sorted(ranks)


def test_unreadable_inputs_become_reviews(tmp_path: Path) -> None:
    """A broken bank line or payment is reviewed with the reason; the rest of the corpus still replays."""
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus)
    body = json.loads((corpus / "bank" / "statements.json").read_text())
    body["statements"][0]["statementLines"][0]["amount"] = "lots"
    (corpus / "bank" / "statements.json").write_text(json.dumps(body))
    payments = json.loads((corpus / "xero" / "payments.json").read_text())
    payments["Payments"][0]["UpdatedDateUTC"] = "never"
    payments["Payments"][0]["Date"] = None
    (corpus / "xero" / "payments.json").write_text(json.dumps(payments))
    (corpus / "mail" / "garbage.eml").write_bytes(b"\x00\xff" * 1000)
    got = {d.receipt_id: d for d in replay(corpus)}
    broken_line = body["statements"][0]["statementLines"][0]["statementLineId"]
    assert got[broken_line].kind is DecisionKind.REVIEW and "could not be read" in got[broken_line].reason
    assert got[payments["Payments"][0]["PaymentID"]].kind is DecisionKind.REVIEW
    assert len(got) == len(expected()) + 1


def test_a_message_file_that_cannot_be_read_is_reviewed(tmp_path: Path) -> None:
    """A message file that vanished or cannot be read costs one review item naming it; the rest still replay."""
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus)
    (corpus / "mail" / "lost.eml").symlink_to(corpus / "mail" / "nowhere.eml")
    got = {d.receipt_id: d for d in replay(corpus)}
    assert got["lost.eml"].kind is DecisionKind.REVIEW and "lost.eml could not be read" in got["lost.eml"].reason
    assert len(got) == len(expected()) + 1


def test_command_writes_one_json_object_per_receipt(tmp_path: Path) -> None:
    """`reseller-worker replay CORPUS --out FILE` writes the contract's four keys per line."""
    out = tmp_path / "decisions.jsonl"
    assert main(["--log-format", "json", "replay", str(FIXTURE), "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == len(expected())
    assert all(set(line) == {"receipt", "decision", "orders", "reason"} for line in lines)
    assert {line["decision"] for line in lines} == {"auto", "review", "ignore", "reject"}


def test_command_refuses_a_directory_that_is_no_corpus(tmp_path: Path) -> None:
    """A wrong path is a clear error, not a traceback."""
    assert main(["replay", str(tmp_path), "--out", str(tmp_path / "x.jsonl")]) == 2


def test_a_failing_reader_costs_one_review_not_the_replay(tmp_path: Path) -> None:
    """Should reading one message raise, that message is reviewed and everything else is still decided."""
    from integrations.notices import read_notice, trust_from_context

    trust = trust_from_context(json.loads((FIXTURE / "context.json").read_text()))

    def reader(raw: bytes) -> NoticeReading:
        if b"RESEND" in raw:
            raise RuntimeError("boom")
        return read_notice(raw, trust)

    got = replay(FIXTURE, read=reader)
    problems = [d for d in got if d.strategy == "unreadable"]
    assert problems and all(d.kind is DecisionKind.REVIEW for d in problems)
    assert len(got) == len(expected())


def test_command_reports_unreadable_json(tmp_path: Path) -> None:
    """Broken JSON in a corpus is a clear error with exit status 2."""
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus)
    (corpus / "orders.json").write_text("[{")
    assert main(["replay", str(corpus), "--out", str(tmp_path / "x.jsonl")]) == 2


def test_a_broken_order_is_skipped_and_reported(tmp_path: Path) -> None:
    """One unreadable order does not stop the replay; it is listed among the corpus's problems."""
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus)
    orders = json.loads((corpus / "orders.json").read_text())
    orders[0]["amount_due"] = "lots"
    (corpus / "orders.json").write_text(json.dumps(orders))
    loaded = load_corpus(corpus)
    assert len(loaded.orders) == len(orders) - 1
    assert any(orders[0]["order_id"] in p for p in loaded.problems)


def test_a_failing_batch_falls_back_to_one_message_at_a_time() -> None:
    """If the batch stream breaks part-way or comes up short, the rest are read one at a time: every message is
    decided once, and only the one that cannot be read is reviewed."""
    from integrations.notices import read_notice, trust_from_context
    from worker.replay import mail_on_disk, streamed_mail_items

    trust = trust_from_context(json.loads((FIXTURE / "context.json").read_text()))
    mails = mail_on_disk(FIXTURE)

    def breaking() -> Iterator[NoticeReading]:
        for mail in mails:
            if b"RESEND" in mail.raw():
                raise RuntimeError("boom")
            yield read_notice(mail.raw(), trust)

    def one(raw: bytes) -> NoticeReading:
        if b"RESEND" in raw:
            raise RuntimeError("boom")
        return read_notice(raw, trust)

    items = list(streamed_mail_items(mails, breaking(), one))
    assert [i.at for i in items] == [m.at for m in mails]
    assert len({i.key for i in items}) == len(mails)
    bad = [i for i in items if i.problem]
    assert bad and len(bad) < len(items)

    short = list(streamed_mail_items(mails, (read_notice(m.raw(), trust) for m in mails[:3]), one))
    assert len(short) == len(mails)
    assert [i.key for i in short if not i.problem] == [i.key for i in items if not i.problem], (
        "the same readings, batch or one at a time"
    )


def test_streamed_replay_decides_as_the_whole_corpus_in_memory() -> None:
    """`replay` decides while the mail is still being read; it gives exactly what deciding the fully loaded corpus
    gives, in the same order."""
    corpus = load_corpus(FIXTURE)
    whole = decide_items(corpus.items, corpus.orders, policy_for(corpus.context))
    assert replay(FIXTURE) == whole


def test_mail_counts_from_its_date_header() -> None:
    """Messages are taken in the order of their Date header, the time a receipt read from them carries."""
    from worker.replay import mail_on_disk

    corpus = load_corpus(FIXTURE)
    mails = mail_on_disk(FIXTURE)
    assert [m.at for m in mails] == sorted(m.at for m in mails)
    readings = {i.key: i for i in corpus.items if i.reading is not None}
    for item in readings.values():
        assert item.reading is not None
        if item.reading.received_at is not None:
            assert item.at == item.reading.received_at
