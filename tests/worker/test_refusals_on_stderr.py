"""Refusals go to stderr with a non-zero exit; stdout carries only a command's results. A script that reads stdout
(`orders new ... > queued.txt`, a cron job mailing the output) must never take a refusal for a result, and a person
must see the refusal even when stdout is redirected. Each case runs the real command in a child process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.worker.test_first_hour import Case, run_case, shop

NEW_ORDER = ("orders", "new", "--domain", "kiwi.nz", "--email", "kiri@kiwi.nz", "--name", "Kiri Tane")

REFUSALS: tuple[Case, ...] = (
    Case("hosting change to a plan that has no rate", ("hosting", "change", "--domain", "kiwi.nz", "--plan", "gold"),
         2, ("unknown plan 'gold'", "starter"), shop),
    Case("hosting change of a site with no hosting", ("hosting", "change", "--domain", "kiwi.nz", "--plan", "starter"),
         1, ("kiwi.nz has no active hosting service",), shop),
    Case("hosting stop of a site with no hosting", ("hosting", "stop", "--domain", "kiwi.nz"),
         1, ("kiwi.nz has no active hosting service",), shop),
    Case("orders new --email without --name", ("orders", "new", "--domain", "kiwi.nz", "--email", "kiri@kiwi.nz"),
         2, ("--email needs --name",), shop),
    Case("orders new for an ending with no price", ("orders", "new", "--domain", "kiwi.com.au", "--email",
         "kiri@kiwi.nz", "--name", "Kiri"), 2, ("kiwi.com.au",), shop),
    Case("orders done for an order that does not exist", ("orders", "done", "ORD-404", "--ref", "R-1"),
         1, ("ORD-404",), shop),
    Case("orders retry of a key that never failed", ("orders", "retry", "register:kiwi.nz:ORD-404"),
         1, ("register:kiwi.nz:ORD-404",), shop),
    Case("xero connect outside oauth2 mode", ("xero", "connect"), 2, ("xero.mode", "oauth2"), shop),
    Case("inbox connect with no provider", ("inbox", "connect"), 2, ("which provider?",), shop),
    Case("notices explain of a file that is not there", ("notices", "explain", "missing.eml"),
         1, ("missing.eml", "cannot be read"), shop),
)  # fmt: skip


def _said(err: str) -> list[str]:
    # Log lines are JSON off a terminal; the rest of stderr is the command's own.
    return [line for line in err.splitlines() if line.strip() and not line.startswith("{")]


@pytest.mark.parametrize("case", REFUSALS, ids=[c.name for c in REFUSALS])
def test_a_refusal_is_on_stderr_with_a_non_zero_exit(case: Case, tmp_path: Path) -> None:
    status, out, err = run_case(case, tmp_path)
    assert status == case.status, (status, out, err)
    assert out.strip() == "", f"a refusal was printed as a result: {out!r}"
    [line] = _said(err)
    assert line.startswith("reseller-worker: ")
    for words in case.says:
        assert words in line, (words, line)


def test_a_result_is_on_stdout_and_the_same_order_again_is_refused_on_stderr(tmp_path: Path) -> None:
    """The first `orders new` queues the invoice and says so on stdout; the same order again the same day is
    refused on stderr with exit 1, and its stdout stays empty."""
    first = Case("orders new", (*NEW_ORDER, "--price", "30.00"), 0, (), shop)
    status, out, err = run_case(first, tmp_path)
    assert (status, _said(err)) == (0, [])
    assert "invoice for kiwi.nz, 1 year(s) at 30.00 NZD, queued" in out
    again = Case(
        "orders new again", (*NEW_ORDER, "--price", "30.00"), 1, (), env={"RW_CONFIG": str(tmp_path / "worker.toml")}
    )
    status, out, err = run_case(again, tmp_path)
    assert status == 1 and out.strip() == ""
    assert "already has an invoice queued" in _said(err)[0]
