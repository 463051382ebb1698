"""`month-end import FILE.csv`: the statement is stored whole or not at all, once, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from rules.money import Money
from rules.provider_bill import ChargeAction, Month, Period, StatementError
from worker.bills import charges_for, import_statement
from worker.cli import main
from worker.store.month_end_tables import provider_bill_lines, provider_bills

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config" / "example-statement.csv"
NOW = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)


def count(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(provider_bills)).scalar_one(),
            conn.execute(select(func.count()).select_from(provider_bill_lines)).scalar_one(),
        )


def test_the_sample_statement_imports_as_the_months_bill(engine: Engine) -> None:
    done = import_statement(engine, SAMPLE, currency="NZD", now=NOW)
    assert done.outcome == "new" and done.header.month == Month(year=2026, month=10)
    assert count(engine) == (1, 5)
    with engine.connect() as conn:
        charges = charges_for(conn, Month(year=2026, month=10), boundary_days=3)
    assert [c.action for c in charges] == [
        ChargeAction.REGISTER,
        ChargeAction.RENEW,
        ChargeAction.TRANSFER,
        ChargeAction.HOSTING,
        ChargeAction.HOSTING,
    ]
    renew = charges[1]
    assert (renew.item, renew.years, renew.amount, renew.reference) == (
        "aroha.nz",
        2,
        Money.of("43.00", "NZD"),
        "LB-880342",
    )
    assert renew.source == "example-statement.csv line 3"
    assert charges[3].period == Period(start=date(2026, 10, 1), end=date(2026, 10, 31))
    with engine.connect() as conn:
        assert charges_for(conn, Month(year=2026, month=9), boundary_days=2) == []
        # a domain line of 3 October is within reach of September's edge only with a wider boundary
        assert len(charges_for(conn, Month(year=2026, month=9), boundary_days=3)) == 1


def test_the_same_file_imported_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    copy.write_bytes(SAMPLE.read_bytes().replace(b"\n", b"\r\n"))
    assert import_statement(engine, SAMPLE, currency="NZD", now=NOW).outcome == "new"
    assert import_statement(engine, copy, currency="NZD", now=NOW).outcome == "same"
    assert count(engine) == (1, 5)


def test_a_statement_with_a_bad_line_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("18.00", "eighteen")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StatementError) as caught:
        import_statement(engine, bad, currency="NZD", now=NOW)
    assert caught.value.problems == ["bad.csv line 4: amount 'eighteen' is not an amount like 18.50"]
    assert count(engine) == (0, 0)


def test_a_file_that_is_not_utf8_is_refused(engine: Engine, tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("date,action,domain,amount\n2026-10-01,renew,caf\xe9.nz,1\n".encode("latin-1"))
    with pytest.raises(StatementError, match="not UTF-8"):
        import_statement(engine, latin, currency="NZD", now=NOW)
    assert count(engine) == (0, 0)


def config_file(tmp_path: Path) -> Path:
    """A configuration whose database `db upgrade` has created."""
    config = tmp_path / "worker.toml"
    config.write_text(f'[worker]\ndata_dir = "{tmp_path / "var"}"\n', encoding="utf-8")
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    return config


def test_cli_import_lists_every_bad_line_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "oct.csv"
    bad.write_text(
        "date,action,domain,amount\n2026-10-01,renew,a.nz,21.50\n2026-10-02,rebuy,b.nz,21.50\n2026-10-0x,renew,c.nz,1\n",
        encoding="utf-8",
    )
    code = main(["--config", str(config_file(tmp_path)), "month-end", "import", str(bad)])
    err = capsys.readouterr().err
    assert code == 1
    assert "nothing imported; 2 problem(s)" in err
    assert "oct.csv line 3: action 'rebuy'" in err and "oct.csv line 4: date '2026-10-0x'" in err


def test_cli_import_then_month_end_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(config_file(tmp_path))
    assert main(["--config", config, "month-end", "import", str(SAMPLE)]) == 0
    assert "5 charge(s) imported as the provider's bill for 2026-10" in capsys.readouterr().out
    assert main(["--config", config, "month-end", "import", str(SAMPLE)]) == 0
    assert "imported before" in capsys.readouterr().out
    sheet = tmp_path / "out" / "margin.csv"
    assert main(["--config", config, "month-end", "2026-10", "--json", "--csv", str(sheet)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["month"] == "2026-10" and body["bills"][0]["lines"] == 5
    assert {d["kind"] for d in body["differences"]} == {"charged_not_done"}
    assert len(body["differences"]) == 5
    rows = sheet.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("action,item,customer") and rows[-1].startswith("total,")
    assert len(rows) == 2 + len(body["margin"]["lines"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["month-end", "import"], "needs the statement"),
        (["month-end", "2026-13"], "YYYY-MM"),
        (["month-end", "2026-10", "x.csv"], "belong to `month-end import`"),
        (["month-end", "import", "x.csv", "--month", "Oct"], "--month"),
        (["month-end", "import", "x.csv", "--json"], "not for import"),
    ],
)
def test_cli_refuses_mixed_up_forms(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_file(tmp_path)), *argv]) == 2
    assert message in capsys.readouterr().err
