"""Month-end as a reseller reads it (text), as a script reads it (JSON), and the margin lines as a spreadsheet
(CSV) for the accountant."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rules.margin import MarginGroup, MarginLine
from rules.money import Money
from rules.month_end import DIFFERENCE_TITLES, Difference, DifferenceKind, HostingRule
from rules.words import domain_words, money_words
from worker.month_end import MonthEnd
from worker.report.month_end_sections import month_words


def _amount(value: Money | None) -> str:
    return "" if value is None else f"{value.cents():,}"


def bills_line(result: MonthEnd) -> str:
    if not result.bills:
        return f"No bill from the provider for {month_words(result.month)} yet: costs below are the price table's."
    parts = [
        f"{b.reference} ({'Xero bill' if b.source == 'xero' else 'CSV statement'}, {b.lines} lines, "
        f"{money_words(b.total)})"
        for b in result.bills
    ]
    return f"Provider's bill for {month_words(result.month)}: " + "; ".join(parts) + "."


def by_kind(differences: Sequence[Difference]) -> list[tuple[DifferenceKind, list[Difference]]]:
    grouped: dict[DifferenceKind, list[Difference]] = {}
    for d in differences:
        grouped.setdefault(d.kind, []).append(d)
    return [(k, grouped[k]) for k in DifferenceKind if k in grouped]


def _money_bits(d: Difference) -> str:
    words = d.money_words
    return f" ({words})" if words else ""


def _table(groups: Sequence[MarginGroup], title: str) -> list[str]:
    if not groups:
        return []
    width = max(12, *(len(g.key) for g in groups))
    out = [f"  {title}", f"    {'':<{width}} {'lines':>5} {'sale':>12} {'cost':>12} {'margin':>12}"]
    for g in groups:
        flag = "  NEGATIVE" if g.negative else ""
        out.append(
            f"    {g.key:<{width}} {g.lines:>5} {_amount(g.sale):>12} {_amount(g.cost):>12} "
            f"{_amount(g.margin):>12}{flag}"
        )
    return out


def render_month_end_text(result: MonthEnd, *, line_limit: int | None = None) -> str:
    """The whole month-end: bills, differences by kind, then the margin tables and the negative lines."""
    out = [f"Month-end {result.month}", bills_line(result)]
    rule = "in whole months" if result.hosting_rule is HostingRule.WHOLE_MONTHS else "per day"
    out.append(
        f"{result.charges} bill line(s) checked, {len(result.recon.matched)} paired with what the worker did; "
        f"hosting is charged {rule}."
    )
    out.append("")
    diffs = result.recon.differences
    out.append(f"Differences ({len(diffs)})" if diffs else "Differences: none; every charge is what was done and sold.")
    for kind, items in by_kind(diffs):
        out.append(f"  {DIFFERENCE_TITLES[kind]} ({len(items)})")
        shown = items if line_limit is None else items[:line_limit]
        for d in shown:
            who = f" ({d.customer})" if d.customer else ""
            out.append(f"    {domain_words(d.item) if d.item else '?'}{who}: {d.detail}{_money_bits(d)}")
            out.append(f"      {d.where}. {d.suggestion}")
        if len(shown) < len(items):
            out.append(f"    ... and {len(items) - len(shown)} more (`reseller-worker month-end {result.month}`)")
    m = result.margin
    out.append("")
    out.append(
        f"Margin {result.month} ({m.currency}): sale {_amount(m.total.sale)}, cost {_amount(m.total.cost)}, "
        f"margin {_amount(m.total.margin)}" + ("  NEGATIVE" if m.total.negative else "")
    )
    out.extend(_table(m.by_action, "By action"))
    out.extend(_table(m.by_customer, "By customer"))
    out.extend(_table(m.by_plan, "By plan"))
    out.extend(_table(m.by_ending, "By domain ending"))
    negative = m.negative_lines
    if negative:
        out.append(f"  Negative margins ({len(negative)})")
        shown_lines = negative if line_limit is None else negative[:line_limit]
        for ln in shown_lines:
            out.append(
                f"    ! {ln.action} {domain_words(ln.item) if ln.item else '?'}"
                + (f" ({ln.customer})" if ln.customer else "")
                + f": sale {_amount(ln.sale)}, cost {_amount(ln.cost)} ({ln.cost_from.value}), "
                f"margin {_amount(ln.margin)}"
            )
        if len(shown_lines) < len(negative):
            out.append(f"    ... and {len(negative) - len(shown_lines)} more")
    if m.other_currency:
        out.append(
            f"  {len(m.other_currency)} line(s) sold and bought in different currencies are left out of the margin "
            "(no exchange rate)."
        )
    return "\n".join(out) + "\n"


def _money_json(value: Money | None) -> dict[str, str] | None:
    return None if value is None else {"amount": str(value.cents()), "currency": value.currency}


def _line_json(ln: MarginLine) -> dict[str, Any]:
    return {
        "action": ln.action,
        "item": ln.item,
        "customer": ln.customer,
        "plan": ln.plan,
        "ending": ln.ending,
        "sale": _money_json(ln.sale),
        "cost": _money_json(ln.cost),
        "cost_from": ln.cost_from.value,
        "margin": _money_json(ln.margin),
        "negative": ln.negative,
    }


def _group_json(g: MarginGroup) -> dict[str, Any]:
    return {
        "key": g.key,
        "lines": g.lines,
        "sale": _money_json(g.sale),
        "cost": _money_json(g.cost),
        "margin": _money_json(g.margin),
        "negative": g.negative,
    }


def month_end_json(result: MonthEnd) -> dict[str, Any]:
    m = result.margin
    return {
        "month": str(result.month),
        "generated_at": result.generated_at.isoformat(),
        "hosting_rule": result.hosting_rule.value,
        "bills": [
            {
                "bill": b.bill_id,
                "source": b.source,
                "reference": b.reference,
                "issued": b.issued.isoformat(),
                "lines": b.lines,
                "total": _money_json(b.total),
            }
            for b in result.bills
        ],
        "charges_checked": result.charges,
        "paired": len(result.recon.matched),
        "differences": [
            {
                "kind": d.kind.value,
                "title": DIFFERENCE_TITLES[d.kind],
                "item": d.item,
                "action": d.action,
                "customer": d.customer,
                "where": d.where,
                "detail": d.detail,
                "suggestion": d.suggestion,
                "charged": _money_json(d.charged),
                "expected": _money_json(d.expected),
            }
            for d in result.recon.differences
        ],
        "margin": {
            "currency": m.currency,
            "total": _group_json(m.total),
            "by_action": [_group_json(g) for g in m.by_action],
            "by_customer": [_group_json(g) for g in m.by_customer],
            "by_plan": [_group_json(g) for g in m.by_plan],
            "by_ending": [_group_json(g) for g in m.by_ending],
            "lines": [_line_json(ln) for ln in m.lines],
            "other_currency": [_line_json(ln) for ln in m.other_currency],
        },
    }


def render_month_end_json(result: MonthEnd) -> str:
    return json.dumps(month_end_json(result), indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = ("action", "item", "customer", "plan", "ending", "sale", "cost", "cost_from", "margin", "currency")


def render_month_end_csv(result: MonthEnd) -> str:
    """One row per margin line, then the total; amounts plain (no thousands separators) for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for ln in result.margin.lines:
        writer.writerow(
            (
                ln.action,
                ln.item,
                ln.customer,
                ln.plan,
                ln.ending,
                ln.sale.cents(),
                ln.cost.cents(),
                ln.cost_from.value,
                ln.margin.cents(),
                result.margin.currency,
            )
        )
    t = result.margin.total
    writer.writerow(
        ("total", "", "", "", "", t.sale.cents(), t.cost.cents(), "", t.margin.cents(), result.margin.currency)
    )
    return buffer.getvalue()
