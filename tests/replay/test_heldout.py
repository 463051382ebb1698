"""A held-out corpus built here (tests/heldout/corpus.py: languages, layouts, bank narratives, payer forms, several
invoices in one reference, transposed digits, payer notes that imitate the service, notices for other accounts),
replayed through the daemon's decision path and scored as the shared corpus is: issue 11's thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.heldout.corpus import THRESHOLDS, build, score, summary
from worker.replay import decision_line, replay


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    directory = tmp_path_factory.mktemp("heldout")
    build(directory, seed=20261126, customers=120)
    labels = json.loads((directory / "labels.json").read_text())
    decisions = [json.loads(decision_line(d)) for d in replay(directory)]
    result = score(labels, decisions)
    result["by_id"] = {d["receipt"]: d for d in decisions}
    result["labels"] = labels
    return result


def test_thresholds_are_met(scored: dict[str, object]) -> None:
    fails = scored["fails"]
    assert scored["wrong_auto"] == 0 and scored["missing"] == 0, (summary(scored), fails)
    assert scored["reject_recall"] >= THRESHOLDS["reject_recall"], fails
    assert scored["auto_recall"] >= THRESHOLDS["auto_recall"], (summary(scored), fails)
    assert scored["ignore_recall"] >= THRESHOLDS["ignore_recall"], fails
    assert scored["suggest"] >= THRESHOLDS["suggest"], fails


@pytest.mark.parametrize(
    ("category", "expect"),
    [
        ("bank:packed-columns", "auto"),
        ("bank:payment-from", "auto"),
        ("bank:direct-credit-narrative", "auto"),
        ("bank:payee-is-domain", "auto"),
        ("bank:several-invoices", "auto"),
        ("bank:transposed-digits", "review"),
        ("bank:payment-reference", "auto"),
        ("bank:payment-reference-slipped", "review"),
        ("mail:paypal-de", "auto"),
        ("mail:paypal-fr", "auto"),
        ("mail:paypal-es", "auto"),
        ("mail:paypal-de-not-a-payment", "ignore"),
        ("mail:paypal-fr-not-a-payment", "ignore"),
        ("mail:paypal-es-not-a-payment", "ignore"),
        ("mail:stripe-labels-on-own-lines", "auto"),
        ("mail:card-payer-at-customer-domain", "auto"),
        ("mail:payer-note-imitates-service", "review"),
        ("mail:spoof-other-recipient", "reject"),
    ],
)
def test_each_form_is_decided_as_labelled(scored: dict[str, object], category: str, expect: str) -> None:
    labels = [x for x in scored["labels"] if x["category"] == category]  # type: ignore[attr-defined]
    assert labels, f"the generator made no {category}"
    for label in labels:
        got = scored["by_id"][label["receipt"]]  # type: ignore[index]
        assert got["decision"] == expect, (label, got)
        if expect == "auto":
            assert set(got["orders"]) == set(label["orders"])
        if expect == "review" and label.get("suggestable", True):
            assert set(label["orders"]) <= set(got["orders"][:5]), (label, got)


def test_the_corpus_is_what_score_py_reads(tmp_path: Path) -> None:
    """The generator writes the shared corpus's files, so ../shared/corpus/score.py scores it as well."""
    counts = build(tmp_path, seed=1, customers=60)
    for name in ("context.json", "orders.json", "bank/statements.json", "xero/payments.json", "labels.json"):
        assert (tmp_path / name).is_file()
    assert sum(counts.values()) == len(json.loads((tmp_path / "labels.json").read_text()))
    assert len(list((tmp_path / "mail").glob("*.eml"))) == sum(v for k, v in counts.items() if k.startswith("mail:"))
