"""The morning report's payouts: a summary line (payouts settled since the last report, and what is late or does not
add up) and a section for a person: payouts that do not add up, and card payments notified but never paid out."""

from __future__ import annotations

from sqlalchemy import select

from rules.services import service_name
from rules.words import day_words, joined, money_words
from worker.payouts import list_payouts, never_paid
from worker.report.inputs import Built, ReportInputs
from worker.report.model import Figure, Item, Section
from worker.report.sections import plural, totals_words
from worker.store.payout_tables import payouts as payouts_table
from worker.store.tables import review_items


def payouts(inputs: ReportInputs) -> Built:
    """What is late or does not add up; the settled ones only as a sentence and in the summary."""
    if not inputs.settings.gateways.services:
        return Section(key="payouts", title="Payouts", count=0, empty=""), ()  # left out of the report
    conn = inputs.conn
    views = list_payouts(conn, limit=500)
    late = never_paid(conn, inputs.settings, inputs.today)
    fresh = {
        r.key
        for r in conn.execute(
            select(payouts_table.c.key).where(
                payouts_table.c.state == "settled", payouts_table.c.updated_at >= inputs.since
            )
        )
    }
    settled = [v for v in views if v.key in fresh]
    mismatched = [v for v in views if v.state == "mismatch"]
    items: list[Item] = []
    # A payout that does not add up is a review item: it is shown once, under the decisions, with its command.
    asked = {
        r.subject: r.id
        for r in conn.execute(
            select(review_items.c.subject, review_items.c.id).where(
                review_items.c.kind.like("payout%"), review_items.c.status == "open"
            )
        )
    }
    for card, due in late:
        service = service_name(card.gateway)
        invoices = joined(list(card.invoices)) or "no invoice"
        items.append(
            Item(
                # Late: look for a refund, a dispute or a held payout at the service before counting on it.
                headline=f"{service}: {money_words(card.money)} for {invoices} on "
                f"{day_words(card.paid_on, today=inputs.today)}, not paid out by {day_words(due, today=inputs.today)}.",
                commands=(f"{inputs.prefix} payouts list",),
                tone="attention",
                label="never paid out",
            )
        )
    # Settled payouts are told in the summary line; a payout that does not add up is one of the decisions, with its
    # command, and named here only by its number.
    notes = tuple(
        f"Not adding up: {v.service}, {money_words(v.net)} on {day_words(v.paid_on, today=inputs.today)} (its review "
        "item was closed; 'payouts list' shows it)."
        for v in mismatched
        if v.key not in asked
    )
    n = len(items) + len(notes)
    section = Section(
        key="payouts",
        title="Payouts",
        count=n,
        items=tuple(items),
        notes=notes,
        empty="Every card payment was paid out in time, and every payout added up.",
        tone="attention" if n else "",
    )
    parts: list[str] = []
    if settled:
        fees = totals_words(v.fees for v in settled if v.fees is not None) or "no"
        parts.append(f"{len(settled)} settled ({totals_words(v.net for v in settled)} to the bank, {fees} fees)")
    if mismatched:
        parts.append(f"{len(mismatched)} not adding up")
    if late:
        parts.append(f"{plural(len(late), 'card payment')} never paid out")
    figure = Figure(
        label="Payouts",
        value=", ".join(parts) if parts else "nothing new",
        rank=58,
        tone="attention" if (mismatched or late) else ("good" if settled else ""),
        section="payouts",
    )
    return section, (figure,)
