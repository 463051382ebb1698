"""The month-end area's sections of the morning report: the provider's bill checked against what was done and
sold (in the first report after a bill arrives), sites waiting for a first payment, and the prepaid registrar
balance when it would not cover what is queued and due. Each is left out while it has nothing to say (no count,
no sentence: `gather_report` drops it)."""

from __future__ import annotations

from rules.money import Money
from rules.month_end import Difference, DifferenceKind
from rules.provider_bill import Month
from rules.words import money_words
from worker.balance import registrar_outlook
from worker.bills import unreported_months
from worker.month_end import month_end
from worker.report.inputs import Built, ReportInputs
from worker.report.model import Figure, Row, Section, Table
from worker.report.sections import plural
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
    if d.kind is DifferenceKind.LIVE_NOT_INVOICED:
        return f"{_money(d.expected)}/month not invoiced" if d.expected else ""
    if d.kind is DifferenceKind.STOPPED_SITE_INVOICED:
        return f"{_money(d.expected)} after the stop" if d.expected else ""
    if d.kind is DifferenceKind.NOT_CHARGED:
        return f"{_money(d.expected)} not charged" if d.expected else ""
    if d.charged is not None and d.expected is not None:
        return f"{_money(d.charged)}, not {_money(d.expected)}"
    return _money(d.charged)


def provider_bill(inputs: ReportInputs) -> Built:
    """The newest month with a bill no sent report has shown yet; older unshown months are named."""
    months = unreported_months(inputs.conn)
    if not months:
        return Section(key="month_end", title="Provider's bill", count=0, empty=""), ()
    month = months[-1]
    result = month_end(inputs.conn, inputs.settings, month, now=inputs.now)
    diffs = result.recon.differences
    rows = tuple(
        Row(
            cells=(SHORT[d.kind], d.item or "?", d.customer, _money_cell(d)),
            tone="attention",
        )
        for d in diffs
    )
    bills = ", ".join(b.reference for b in result.bills)
    m = result.margin
    loss = len(m.negative_lines)
    notes = [
        f"Margin for {month_words(month)}: {_money(m.total.sale)} sold, {_money(m.total.cost)} cost, "
        f"{_money(m.total.margin)}" + (f"; {plural(loss, 'line')} at a loss." if loss else "."),
        f"Every line, and the margin by action, customer, plan and domain ending: $ {inputs.prefix} month-end {month}",
    ]
    if len(months) > 1:
        notes.append("Bills also arrived for " + ", ".join(str(x) for x in months[:-1]) + ": `month-end` shows them.")
    section = Section(
        key="month_end",
        title=f"Provider's bill for {month_words(month)}",
        count=len(diffs),
        intro=f"{bills}: {plural(result.charges, 'line')} checked against what the worker did and sold.",
        table=Table(columns=("Difference", "Domain or site", "Customer", "Money"), rows=rows) if rows else None,
        notes=tuple(notes),
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
                w.domain,
                w.plan,
                f"{w.amount} {w.currency}".strip() if w.amount else "",
                w.start.isoformat(),
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
        Row(cells=(c.action, c.domain, "queued" if c.queued else f"due {c.due}", _money(c.cost)))
        for c in (*outlook.queued, *outlook.due)
    )
    section = Section(
        key="registrar_funds",
        title="Registrar funds",
        count=len(rows),
        intro=warning,
        table=Table(columns=("Action", "Domain", "When", "Price"), rows=rows, numeric=(3,)) if rows else None,
        notes=(f"Not counted, no price in the table: {', '.join(c.domain for c in outlook.unpriced)}.",)
        if outlook.unpriced
        else (),
        tone="alarm" if outlook.short else "attention",
    )
    return section, (figure,)
