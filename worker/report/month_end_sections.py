"""The month-end area's sections of the morning report: the provider's bill checked against what was done and
sold (in the first report after a bill arrives), sites waiting for a first payment, and the prepaid registrar
balance when it would not cover what is queued and due. Each is left out while it has nothing to say (no count,
no sentence: `gather_report` drops it)."""

from __future__ import annotations

from rules.money import Money
from rules.month_end import Difference, DifferenceKind
from rules.provider_bill import Month
from rules.words import day_words, domain_words, joined, money_words
from worker.balance import registrar_outlook
from worker.bills import unreported_months
from worker.month_end import month_end
from worker.report.inputs import Built, ReportInputs, money_or_none
from worker.report.model import Figure, Row, Section, Table
from worker.report.sections import plural, totals_words
from worker.store.first_payments import waiting_sites

# The differences as a table's first column reads them.
SHORT: dict[DifferenceKind, str] = {
    DifferenceKind.NOT_DONE: "charged, not done by the worker",
    DifferenceKind.NOT_CHARGED: "done, not charged",
    DifferenceKind.PRICE: "not the table's price",
    DifferenceKind.CHARGED_TWICE: "charged twice",
    DifferenceKind.STOPPED_SITE_CHARGED: "stopped site charged",
    DifferenceKind.LIVE_NOT_INVOICED: "live, not invoiced",
    DifferenceKind.STOPPED_SITE_INVOICED: "stopped, still invoiced",
    DifferenceKind.UNREADABLE: "line not readable",
}


def month_words(month: Month) -> str:
    return month.first.strftime("%B %Y")


def _money(value: Money | None) -> str:
    return "" if value is None else money_words(value)


def _money_cell(d: Difference) -> str:
    return _money_of_kind(d.kind, [d])


def _money_of_kind(kind: DifferenceKind, diffs: list[Difference]) -> str:
    """The money of one difference, or of several of one kind added up per currency."""
    expected = totals_words(d.expected for d in diffs if d.expected is not None)
    charged = totals_words(d.charged for d in diffs if d.charged is not None)
    if kind is DifferenceKind.LIVE_NOT_INVOICED:
        return f"{expected}/month not invoiced" if expected else ""
    if kind is DifferenceKind.STOPPED_SITE_INVOICED:
        return f"{expected} after the stop" if expected else ""
    if kind is DifferenceKind.NOT_CHARGED:
        return f"{expected} not charged" if expected else ""
    if charged and expected and all(d.charged is not None and d.expected is not None for d in diffs):
        return f"{charged}, not {expected}"
    return charged


# A kind with more differences than this is one row with its count and total; `month-end` lists each.
ROWS_OF_A_KIND = 3


def _difference_rows(diffs: tuple[Difference, ...]) -> tuple[Row, ...]:
    by_kind: dict[DifferenceKind, list[Difference]] = {}
    for d in diffs:
        by_kind.setdefault(d.kind, []).append(d)
    rows: list[Row] = []
    for kind, found in by_kind.items():
        if len(found) <= ROWS_OF_A_KIND:
            rows += [Row(cells=(SHORT[d.kind], _item(d), d.customer, _money_cell(d)), tone="attention") for d in found]
            continue
        items = [_item(d) for d in found]
        customers = {d.customer for d in found if d.customer}
        rows.append(
            Row(
                cells=(
                    f"{SHORT[kind]} ({len(found)})",
                    joined([*items[:2], f"{len(items) - 2} more"]),
                    next(iter(customers))
                    if len(customers) == 1
                    else plural(len(customers), "customer")
                    if customers
                    else "",
                    _money_of_kind(kind, found),
                ),
                tone="attention",
            )
        )
    return tuple(rows)


def _item(d: Difference) -> str:
    """The domain or site a difference is about, as people write it."""
    return domain_words(d.item) if d.item else "?"


def provider_bill(inputs: ReportInputs) -> Built:
    """The newest month with a bill no sent report has shown yet: its totals and the differences to act on, several
    of a kind as one row; every line and the margin by action, customer, plan and domain ending are behind the
    `month-end` command (and the review page's month-end page). Older unshown months are named."""
    months = unreported_months(inputs.conn)
    if not months:
        return Section(key="month_end", title="Provider's bill", count=0, empty=""), ()
    month = months[-1]
    result = month_end(inputs.conn, inputs.settings, month, now=inputs.now)
    diffs = result.recon.differences
    bills = ", ".join(b.reference for b in result.bills)
    m = result.margin
    loss = len(m.negative_lines)
    margin = (
        f"margin {_money(m.total.margin)} ({_money(m.total.sale)} sold, {_money(m.total.cost)} cost)"
        + (f", {plural(loss, 'line')} at a loss" if loss else "")
        + (
            f"; {plural(len(m.other_currency), 'line')} sold and bought in different currencies left out of it"
            if m.other_currency
            else ""
        )
    )
    notes = [f"Every line, and the margin by action, customer, plan and domain ending, in {month_words(month)}:"]
    if len(months) > 1:
        notes.insert(
            0, "Bills also arrived for " + ", ".join(str(x) for x in months[:-1]) + ": 'month-end' shows them."
        )
    rows = _difference_rows(diffs)
    section = Section(
        key="month_end",
        title=f"Provider's bill for {month_words(month)}",
        count=len(diffs),
        intro=f"{bills}: {plural(result.charges, 'line')} checked against what the worker did and sold; {margin}.",
        table=Table(columns=("Difference", "Domain or site", "Customer", "Money"), rows=rows) if rows else None,
        notes=tuple(notes),
        commands=(f"{inputs.prefix} month-end {month}",),
        empty="Every charge is what was done and sold.",
    )
    figure = Figure(
        label="Provider's bill",
        value=f"{month_words(month)}: {plural(len(diffs), 'difference')}, margin {_money(m.total.margin)}",
        rank=75,
        tone="attention" if diffs or m.total.negative else "",
        section="month_end",
    )
    return section, (figure,)


def first_payments(inputs: ReportInputs) -> Built:
    """Sites whose start is held until their customer pays the setup invoice."""
    waiting = waiting_sites(inputs.conn)
    if not waiting:
        return Section(key="first_payment", title="Waiting for a first payment", count=0, empty=""), ()
    rows = tuple(
        Row(
            cells=(
                domain_words(w.domain),
                w.plan,
                _money(money_or_none(w.amount, w.currency)) or (f"{w.amount} {w.currency}" if w.amount else ""),
                day_words(w.start, today=inputs.today),
            ),
            command=f"{inputs.prefix} hosting start --domain {w.domain} --plan {w.plan} --contact {w.contact_id} "
            "--without-first-payment --reason '...'",
        )
        for w in waiting
    )
    section = Section(
        key="first_payment",
        title="Waiting for a first payment",
        count=len(rows),
        intro="These sites go live when their setup invoice is paid; the command under each starts one now anyway.",
        table=Table(columns=("Site", "Plan", "Setup fee", "Live from"), rows=rows),
    )
    figure = Figure(
        label="Waiting to go live",
        value=f"{plural(len(rows), 'site')} until their first payment",
        rank=45,
        tone="attention",
        section="first_payment",
    )
    return section, (figure,)


def registrar_funds(inputs: ReportInputs) -> Built:
    """The prepaid registrar balance: a warning when it would not cover what is queued and due."""
    outlook = registrar_outlook(inputs.conn, inputs.settings, now=inputs.now)
    if outlook is None:
        return Section(key="registrar_funds", title="Registrar funds", count=0, empty=""), ()
    warning = outlook.warning
    figure = Figure(
        label="Registrar funds",
        value=(
            f"{_money(outlook.available)}, short by {_money(-outlook.left)}"
            if outlook.short and outlook.left is not None
            else f"{_money(outlook.available)}" + (", cannot be compared with the prices" if warning else "")
        ),
        rank=35,
        tone="alarm" if outlook.short else ("attention" if warning else "good"),
        section="registrar_funds" if warning else "",
    )
    if not warning:
        return Section(key="registrar_funds", title="Registrar funds", count=0, empty=""), (figure,)
    rows = tuple(
        Row(
            cells=(
                c.action,
                domain_words(c.domain),
                "queued" if c.queued or c.due is None else f"due {day_words(c.due, today=inputs.today)}",
                _money(c.cost),
            )
        )
        for c in (*outlook.queued, *outlook.due)
    )
    section = Section(
        key="registrar_funds",
        title="Registrar funds",
        count=len(rows),
        intro=warning,
        table=Table(columns=("Action", "Domain", "When", "Price"), rows=rows, numeric=(3,)) if rows else None,
        notes=(f"Not counted, no price in the table: {', '.join(domain_words(c.domain) for c in outlook.unpriced)}.",)
        if outlook.unpriced
        else (),
        tone="alarm" if outlook.short else "attention",
    )
    return section, (figure,)
