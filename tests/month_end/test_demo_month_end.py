"""`make demo` holds the provider's October bill with one of each kind of difference, and month-end names exactly
those (the demo data says which)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from config.settings import load_settings
from rules.money import Money
from rules.month_end import DIFFERENCE_TITLES, DifferenceKind
from rules.provider_bill import Month
from worker.demo import payouts as demo_payouts
from worker.demo.run import demo_data, run_demo
from worker.month_end import month_end
from worker.store.database import make_engine


def test_the_demo_months_bill_shows_one_of_each_difference(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    out = io.StringIO()
    assert run_demo(out, work) == 0
    printed = out.getvalue()
    expected = json.loads((demo_data() / "provider" / "october.json").read_text(encoding="utf-8"))["expected"]
    assert set(expected) == {k.value for k in DifferenceKind} - {DifferenceKind.UNREADABLE.value}
    settings = load_settings(work / "demo.toml", demo_payouts.environment(""), base_dir=work)
    engine = make_engine(settings.worker.database_url)
    try:
        with engine.connect() as conn:
            result = month_end(conn, settings, Month.parse("2026-10"), now=datetime(2026, 11, 26, tzinfo=UTC))
    finally:
        engine.dispose()
    found: dict[str, list[str]] = {}
    for d in result.recon.differences:
        found.setdefault(d.kind.value, []).append(d.item)
    assert found == expected
    assert [b.reference for b in result.bills] == ["UWS-2026-10"]
    section = printed[printed.index("Month-end 2026-10") :]
    for kind in DifferenceKind:
        title = f"{DIFFERENCE_TITLES[kind]} (1)"
        assert (title in section) is (kind is not DifferenceKind.UNREADABLE), title
    assert result.margin.total.margin == sum((ln.margin for ln in result.margin.lines), Money.zero("NZD"))
    assert result.margin.negative_lines  # the auto-renewal and the second charge cost money nobody paid
