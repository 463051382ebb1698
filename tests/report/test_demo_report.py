"""The report `make demo` prints, as a new reseller first reads it: every item with its action in at most 200
lines, and exactly the reviewed golden text (the demo's own directory written as <demo>)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from worker.demo.run import run_demo

GOLDEN = Path(__file__).parent / "golden" / "demo.txt"
MAX_LINES = 200


def demo_report_text(work: Path) -> str:
    out = io.StringIO()
    assert run_demo(out, work) == 0
    printed = out.getvalue()
    start = printed.index("reseller-worker morning report")
    end = printed.index("demo: HTML report written to")
    return printed[start:end].rstrip("\n").replace(str(work.resolve()), "<demo>") + "\n"


@pytest.fixture(scope="module")
def demo_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_report_text(tmp_path_factory.mktemp("demo") / "demo")


def test_every_item_with_its_action_in_at_most_200_lines(demo_text: str) -> None:
    """11 decisions, 6 possible frauds and 20 registrar to-dos, each with its command, within the bound."""
    lines = demo_text.splitlines()
    assert len(lines) <= MAX_LINES, len(lines)
    decisions = re.search(r"NEEDS YOUR DECISION \((\d+)\)", demo_text)
    todos = re.search(r"TO DO AT THE REGISTRAR \((\d+)\)", demo_text)
    fraud = re.search(r"POSSIBLE FRAUD \((\d+)\)", demo_text)
    assert decisions and todos and fraud
    items = int(decisions.group(1)) + int(todos.group(1)) + int(fraud.group(1))
    assert items == 37
    commands = [line for line in lines if line.lstrip().startswith("$ reseller-worker --config <demo>/demo.toml ")]
    assert len([c for c in commands if " orders done " in c]) == int(todos.group(1))
    assert len([c for c in commands if " review reject " in c]) == int(fraud.group(1))
    for number in re.findall(r"^  \* #(\d+):", demo_text, re.M):
        assert any(f" review approve {number} " in c or c.endswith(f" review ignore {number}") for c in commands)


def test_demo_report_matches_golden_file(demo_text: str) -> None:
    """UPDATE_GOLDEN=1 rewrites it (refused under CI)."""
    if os.environ.get("UPDATE_GOLDEN") == "1":
        if IN_CI:
            pytest.fail("UPDATE_GOLDEN is refused under CI: a golden file is rewritten by hand and its diff reviewed")
        GOLDEN.write_text(demo_text, encoding="utf-8")
    assert demo_text == GOLDEN.read_text(encoding="utf-8")
