"""The provider's bill in the morning report stays short whatever the bill holds: several differences of a kind are one
row with their count and totals per currency; `month-end` lists each."""

from __future__ import annotations


def test_many_differences_of_a_kind_are_one_row_with_their_totals() -> None:
    """A bill with a dozen auto-renewals done in the provider's panel is one row (count, the first two, the total per
    currency), not a dozen: `month-end` lists each. Three or fewer of a kind are each a row."""
    from rules.money import Money
    from rules.month_end import Difference, DifferenceKind
    from worker.report.month_end_sections import ROWS_OF_A_KIND, _difference_rows

    def diff(kind: DifferenceKind, item: str, charged: str, currency: str = "NZD", customer: str = "") -> Difference:
        return Difference(kind=kind, item=item, action="renew", customer=customer, where="line", detail="d",
                          suggestion="s", charged=Money.of(charged, currency))  # fmt: skip

    panel = [diff(DifferenceKind.NOT_DONE, f"site{i}.nz", "21.50") for i in range(11)]
    panel.append(diff(DifferenceKind.NOT_DONE, "sydney.com.au", "19.00", "AUD"))
    twice = [diff(DifferenceKind.CHARGED_TWICE, f"twice{i}.nz", "21.50", customer="Kiwi") for i in range(3)]
    rows = _difference_rows((*panel, *twice))
    assert ROWS_OF_A_KIND == 3 and len(rows) == 1 + 3
    assert rows[0].cells == (
        "charged, not done by the worker (12)",
        "site0.nz, site1.nz and 10 more",
        "",
        "A$19.00 and NZ$236.50",
    )
    assert [r.cells[1] for r in rows[1:]] == ["twice0.nz", "twice1.nz", "twice2.nz"]
