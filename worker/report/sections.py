"""The morning report's sections, each built from `ReportInputs` with the summary figures it contributes.

In the report's order: possible fraud, failed actions, needs your decision, to do at the registrar, part-paid
orders, domains expiring, what the worker did, health. Dates are the reseller's (the settings' time zone); money
is written as a reseller writes it; ids and internal words go to each item's details.
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from rules.model import DecisionKind, OrderKind
from rules.money import Money
from rules.reasons import reason_words, rule_words
from rules.services import service_name
from rules.words import day_words, domain_named, domain_words, joined, money_words, order_words, years_words
from worker.report.headlines import decision_headline, local_day
from worker.report.inputs import Built, ReportInputs, as_date, money_from, money_or_none, optional_table
from worker.report.model import (
    DoneLine,
    ExpiringDomain,
    Figure,
    Item,
    Row,
    Section,
    SourceHealth,
    Table,
    invoice_link,
    job_words,
)
from worker.review import CHORE_KINDS, FAILED_KINDS, REJECTED_KINDS
from worker.review_list import ReviewEntry, to_do_command
from worker.store.database import aware
from worker.store.orders import part_paid_sums
from worker.store.review_tables import part_payments
from worker.store.tables import decisions as decisions_table
from worker.store.tables import orders, outbox, receipts

# A payout's fee and transfer are told by the payouts section (worker.report.payouts), not as sales.
QUIET_ACTIONS = frozenset({"history_note", "payout_fee", "payout_transfer"})
REGISTRAR_ACTIONS = frozenset({"register_domain", "renew_domain"})


def totals_words(amounts: Iterable[Money]) -> str:
    """NZ$1,234.00, or NZ$1,234.00 and A$30.00 for several currencies; '' for none."""
    sums: dict[str, Money] = {}
    for m in amounts:
        sums[m.currency] = sums[m.currency] + m if m.currency in sums else m
    return joined([money_words(sums[c]) for c in sorted(sums)])


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def when_words(moment: datetime | None, inputs: ReportInputs) -> str:
    """'26 Nov 07:00' in the reseller's time zone; 'never' for none."""
    if moment is None:
        return "never"
    local = moment.astimezone(ZoneInfo(inputs.zone))
    return f"{day_words(local.date(), today=inputs.today)} {local:%H:%M}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def said(reason: str, inputs: ReportInputs) -> str:
    """A recorded reason on one line, in the reseller's words (rules.reasons)."""
    return reason_words(_one_line(reason), today=inputs.today)


def _entry_details(entry: ReviewEntry, inputs: ReportInputs) -> tuple[tuple[str, str], ...]:
    pairs = [("item", f"#{entry.id}, {entry.kind.replace('_', ' ')}")]
    receipt = entry.receipt
    if receipt is not None:
        pairs.append(("receipt", receipt.receipt_id))
        if receipt.gateway_txn_id:
            pairs.append((f"{service_name(receipt.gateway, unknown='')} transaction".lstrip(), receipt.gateway_txn_id))
    elif entry.subject:
        pairs.append(("subject", entry.subject))
    # Without a receipt the reason is the headline itself, but for a payout, whose headline is made from its facts.
    if entry.reason and (receipt is not None or entry.kind.startswith("payout_")):
        pairs.append(("why", said(entry.reason, inputs)))
    strategy = entry.detail.get("strategy")
    if strategy:
        pairs.append(("rule", rule_words(str(strategy))))
    return tuple(pairs)


# ---- possible fraud ---------------------------------------------------------------------------------------------


def fraud(inputs: ReportInputs) -> Built:
    items: list[Item] = []
    seen: set[str] = set()
    for entry in inputs.entries:
        if entry.kind not in REJECTED_KINDS:
            continue
        seen.add(entry.subject)
        day = day_words(local_day(entry.raised_at, inputs.zone), today=inputs.today)
        # The section says these failed authentication; a quarantined notice says why it is different.
        what = ", could not be read safely" if entry.kind == "quarantined" else ""
        items.append(
            Item(
                label="possible fraud",
                headline=f"Notice of {day}{what}: {said(entry.reason, inputs)}.",
                commands=entry.commands[:1],
                details=(("item", f"#{entry.id}"), ("message", entry.subject)),
                tone="alarm",
            )
        )
    # Notices the inbox rejected since the last report, and rejections decided without an item: listed once.
    messages = optional_table(inputs.conn, "inbox_messages")
    found: list[tuple[str, str, Any]] = []
    if messages is not None and {"message_id", "outcome", "reason", "created_at"} <= set(messages.c.keys()):
        rows = inputs.conn.execute(
            select(messages)
            .where(messages.c.outcome == "rejected", messages.c.created_at >= inputs.since)
            .order_by(messages.c.created_at)
        )
        found += [(r._mapping["message_id"], r._mapping["reason"], r._mapping["created_at"]) for r in rows]
    rows = inputs.conn.execute(
        select(decisions_table).where(
            decisions_table.c.kind == DecisionKind.REJECT.value, decisions_table.c.decided_at >= inputs.since
        )
    )
    found += [(r.receipt_id, r.reason, r.decided_at) for r in rows]
    for subject, reason, at in found:
        if subject in seen:
            continue
        seen.add(subject)
        day = day_words(local_day(aware(at) or inputs.now, inputs.zone), today=inputs.today)
        items.append(
            Item(
                label="possible fraud",
                headline=f"Notice of {day}, rejected: {said(reason, inputs)}.",
                lines=("Already filed as rejected; nothing to do unless it was genuine.",),
                details=(("message", subject),),
                tone="alarm",
            )
        )
    n = len(items)
    section = Section(
        key="fraud",
        title="Possible fraud",
        count=n,
        intro="Notices that failed authentication; nothing was paid or recorded on them. Confirm each with its "
        "command, or use 'review ignore' for one that was genuine."
        if n
        else "",
        items=tuple(items),
        empty="None.",
        tone="alarm" if n else "",
    )
    figure = Figure(
        label="Possible fraud",
        value=f"{plural(n, 'notice')} rejected, nothing paid on them" if n else "none",
        rank=50,
        tone="alarm" if n else "",
        section="fraud",
    )
    return section, (figure,)


# ---- failed actions ---------------------------------------------------------------------------------------------


def action_words(kind: str, p: Mapping[str, Any]) -> str:
    """An outbox action as the reseller would say it: "Registering example.nz"."""
    domain, invoice = p.get("domain") or "", p.get("invoice_number") or p.get("invoice_id") or ""
    amount = money_or_none(p.get("amount"), p.get("currency"))
    if kind == "record_payment":
        return f"Recording {money_words(amount) if amount else 'a payment'} on {invoice} in Xero"
    if kind == "register_domain":
        return f"Registering {domain}"
    if kind == "renew_domain":
        return f"Renewing {domain}"
    if kind == "start_hosting":
        return f"Starting the repeating invoice for {domain or 'a hosting service'}"
    if kind == "change_hosting":
        return "Changing a hosting plan's repeating invoice"
    if kind == "stop_hosting":
        return "Ending a hosting service's repeating invoice"
    if kind == "history_note":
        return f"Adding a History note to {invoice}"
    if kind in ("renewal_invoice", "order_invoice"):
        return f"Raising the invoice for {domain}"
    return kind.replace("_", " ").capitalize()


def failed(inputs: ReportInputs) -> Built:
    entries = {e.subject: e for e in inputs.entries if e.kind in FAILED_KINDS}
    items: list[Item] = []
    for row in inputs.conn.execute(select(outbox).where(outbox.c.status == "failed").order_by(outbox.c.updated_at)):
        entry = entries.pop(row.idempotency_key, None)
        payload = row.payload if isinstance(row.payload, Mapping) else {}
        day = day_words(local_day(aware(row.updated_at) or inputs.now, inputs.zone), today=inputs.today)
        error = _one_line(row.last_error or (entry.reason if entry else ""))
        commands = entry.commands if entry else (f"{inputs.prefix} orders retry {shlex.quote(row.idempotency_key)}",)
        items.append(
            Item(
                headline=f"{action_words(row.kind, payload)} failed after {plural(row.attempts, 'attempt')}, the "
                f"last on {day}: {error.rstrip('.')}.",
                lines=("Once the cause is fixed, retry it; if you did it by hand, say so.",) if entry else (),
                commands=commands,
                details=(("action", row.idempotency_key),) + ((("item", f"#{entry.id}"),) if entry else ()),
                tone="alarm",
            )
        )
    for entry in entries.values():  # items whose outbox row is gone or named differently still need a person
        items.append(
            Item(
                headline=f"{said(entry.reason, inputs).rstrip('.')}.",
                lines=(entry.suggested_action,) if entry.suggested_action else (),
                commands=entry.commands,
                details=(("action", entry.subject), ("item", f"#{entry.id}")),
                tone="alarm",
            )
        )
    n = len(items)
    section = Section(key="failed", title="Failed actions", count=n, items=tuple(items), tone="alarm" if n else "")
    figure = Figure(
        label="Failed actions",
        value=f"{plural(n, 'action')} gave up, see below" if n else "none",
        rank=40,
        tone="alarm" if n else "",
        section="failed",
    )
    return section, (figure,)


# ---- needs your decision ----------------------------------------------------------------------------------------

DECISION_EXCLUDED = FAILED_KINDS | REJECTED_KINDS | frozenset({"to_do"})


def decisions_of(inputs: ReportInputs) -> list[ReviewEntry]:
    return [e for e in inputs.entries if e.kind not in DECISION_EXCLUDED]


def decisions(inputs: ReportInputs) -> Built:
    entries = decisions_of(inputs)
    items = []
    for entry in entries:
        links = tuple(invoice_link(o.invoice_number, o.invoice_id) for o in (*entry.candidates, *entry.gone))
        chore = entry.kind in CHORE_KINDS
        approvals = [c for c in entry.commands if " review approve " in c]
        others = [c for c in entry.commands if " review approve " not in c]
        items.append(
            Item(
                label=f"#{entry.id}",
                headline=decision_headline(entry, inputs.settings, today=inputs.today),
                lines=(entry.suggested_action,) if chore and entry.suggested_action else (),
                commands=(*approvals[:2], *others),  # `review list` shows every candidate's command
                details=_entry_details(entry, inputs),
                links=links,
                tone="attention",
            )
        )
    money = [e.money for e in entries if e.money is not None]
    n = len(items)
    section = Section(
        key="decisions",
        title="Needs your decision",
        count=n,
        intro="Each approval first prints exactly what it will record and do; add --dry-run to stop there."
        if n
        else "",
        items=tuple(items),
        empty="Nothing waits for you.",
    )
    value = f"{plural(n, 'decision')} about {totals_words(money)}" if money else plural(n, "decision")
    figure = Figure(
        label="Waiting for you",
        value=value if n else "nothing",
        rank=20,
        tone="attention" if n else "good",
        section="decisions",
    )
    return section, (figure,)


# ---- to do at the registrar -------------------------------------------------------------------------------------


def registrar_to_dos(inputs: ReportInputs) -> dict[str, Money | None]:
    """The orders waiting at the registrar by hand, with what each was sold for (read once: the registrar table
    shows their margin, and what the worker did lists them as one line instead of again)."""
    return dict(inputs.remembered("registrar_to_dos", lambda: _registrar_to_dos(inputs)))


def _registrar_to_dos(inputs: ReportInputs) -> dict[str, Money | None]:
    actions = optional_table(inputs.conn, "registrar_actions")
    if actions is None:
        return {}
    todo = [r.order_id for r in inputs.conn.execute(select(actions.c.order_id).where(actions.c.status == "to_do"))]
    sold = {
        r.order_id: money_or_none(r.amount_due, r.currency)
        for r in inputs.conn.execute(
            select(orders.c.order_id, orders.c.amount_due, orders.c.currency).where(orders.c.order_id.in_(todo))
        )
    }
    return {order_id: sold.get(order_id) for order_id in todo}


def registrar(inputs: ReportInputs) -> Built:
    actions = optional_table(inputs.conn, "registrar_actions")
    rows: list[Row] = []
    costs: list[Money] = []
    if actions is not None:
        customers = {
            r.order_id: (r.contact or {}).get("name", "") if isinstance(r.contact, Mapping) else ""
            for r in inputs.conn.execute(select(orders.c.order_id, orders.c.contact))
        }
        sold = registrar_to_dos(inputs)
        todo = inputs.conn.execute(
            select(actions).where(actions.c.status == "to_do").order_by(actions.c.created_at, actions.c.domain)
        )
        for r in todo:
            m = r._mapping
            # The expiry the renewal starts from, as `orders done` reads it: without it, --expires is needed.
            current = as_date(m.get("pre_expiry"))
            cost = money_or_none(m.get("cost"), m.get("cost_currency"))
            if cost is not None:
                costs.append(cost)
            sale = sold.get(str(m["order_id"]))
            margin = sale - cost if sale is not None and cost is not None and sale.currency == cost.currency else None
            renew = m["action"] == "renew"
            rows.append(
                Row(
                    cells=(
                        domain_named(str(m["domain"])),
                        str(customers.get(m["order_id"], "")),
                        "renew" if renew else "register",
                        years_words(int(m["years"] or 1)),
                        day_words(current, today=inputs.today) if current else ("unknown" if renew else "new"),
                        money_words(cost) if cost else "not configured",
                        money_words(margin) if margin is not None else "",
                    ),
                    command=to_do_command(inputs.prefix, str(m["order_id"]), needs_expiry=renew and current is None),
                )
            )
    n = len(rows)
    section = Section(
        key="registrar",
        title="To do at the registrar",
        count=n,
        intro="Paid for. Do each at the registrar, then record it with the command under it." if n else "",
        table=Table(
            columns=("Domain", "Customer", "Action", "Term", "Expires now", "Upstream", "Margin"),
            rows=tuple(rows),
            numeric=(5, 6),
        )
        if rows
        else None,
        empty="Nothing to do by hand.",
    )
    cost_words = f", {totals_words(costs)} upstream" if costs else ""
    figure = Figure(
        label="At the registrar",
        value=f"{plural(n, 'domain')} to do by hand{cost_words}" if n else "nothing to do by hand",
        rank=30,
        tone="attention" if n else "",
        section="registrar",
    )
    return section, (figure,)


# ---- part-paid orders -------------------------------------------------------------------------------------------


def part_paid(inputs: ReportInputs) -> Built:
    rows = inputs.conn.execute(select(orders).where(orders.c.status == "part_paid").order_by(orders.c.due)).all()
    paid = part_paid_sums(inputs.conn, [r.order_id for r in rows])
    first: dict[str, Any] = {}
    if rows:
        for p in inputs.conn.execute(
            select(part_payments.c.order_id, part_payments.c.created_at).order_by(part_payments.c.created_at)
        ):
            first.setdefault(p.order_id, p.created_at)
    table_rows: list[Row] = []
    owing: list[Money] = []
    for r in rows:
        amount = Money.of(r.amount_due, r.currency)
        so_far = paid.get(r.order_id, Money.zero(r.currency))
        left = amount - so_far
        owing.append(left)
        contact = r.contact if isinstance(r.contact, Mapping) else {}
        since = aware(first.get(r.order_id))
        table_rows.append(
            Row(
                cells=(
                    r.invoice_number,
                    str(contact.get("name", "")),
                    order_words(OrderKind(r.kind), r.domain or "", r.plan or "", int(r.term_years or 1)),
                    money_words(so_far),
                    money_words(left),
                    day_words(local_day(since, inputs.zone), today=inputs.today) if since else "",
                ),
                links=(invoice_link(r.invoice_number, r.invoice_id),),
            )
        )
    n = len(table_rows)
    section = Section(
        key="part_paid",
        title="Part-paid orders",
        count=n,
        intro="Paid in part. Each registration, renewal or hosting start waits until the rest is paid; a payment "
        "of the rest, matched or approved, completes it."
        if n
        else "",
        table=Table(
            columns=("Invoice", "Customer", "For", "Paid", "Still owed", "Since"),
            rows=tuple(table_rows),
            numeric=(3, 4),
        )
        if table_rows
        else None,
        empty="None.",
    )
    figures = (
        (
            Figure(
                label="Part-paid",
                value=f"{plural(n, 'order')}, {totals_words(owing)} still owed",
                rank=55,
                tone="attention",
                section="part_paid",
            ),
        )
        if n
        else ()
    )
    return section, figures


# ---- domains expiring -------------------------------------------------------------------------------------------


def expiring_domains(inputs: ReportInputs) -> tuple[ExpiringDomain, ...]:
    return tuple(inputs.remembered("expiring", lambda: _expiring_domains(inputs)))


def _expiring_domains(inputs: ReportInputs) -> list[ExpiringDomain]:
    conn, today, within = inputs.conn, inputs.today, inputs.expiring_within_days
    domains = optional_table(conn, "domains")
    if domains is None or not {"domain", "expires"} <= set(domains.c.keys()):
        return []
    horizon = today + timedelta(days=within)
    names: dict[str, str] = {}
    for row in conn.execute(select(orders.c.contact_id, orders.c.contact)):
        contact = row.contact if isinstance(row.contact, Mapping) else {}
        names[row.contact_id] = str(contact.get("name", "")) or row.contact_id
    recent = inputs.now - timedelta(days=within + 30)
    paid = {
        row.domain
        for row in conn.execute(
            select(orders.c.domain, orders.c.status, orders.c.updated_at).where(orders.c.kind == "domain_renewal")
        )
        if row.status == "paid" or (row.status == "done" and (aware(row.updated_at) or inputs.now) >= recent)
    }
    found = []
    for row in conn.execute(select(domains)):
        mapping = row._mapping
        expires = as_date(mapping["expires"])
        if expires is None or not (today <= expires <= horizon) or mapping["domain"] in paid:
            continue
        if str(mapping.get("status", "active") or "active") != "active":
            continue
        contact_id = str(mapping.get("contact_id", "") or "")
        found.append(
            ExpiringDomain(
                domain=mapping["domain"],
                expires=expires,
                days_left=(expires - today).days,
                customer=names.get(contact_id, contact_id),
            )
        )
    return sorted(found, key=lambda d: (d.expires, d.domain))


def expiring(inputs: ReportInputs) -> Built:
    found = expiring_domains(inputs)
    within = inputs.expiring_within_days
    rows = tuple(
        Row(
            cells=(
                domain_words(e.domain),
                e.customer,
                day_words(e.expires, today=inputs.today),
                plural(e.days_left, "day"),
            )
        )
        for e in found
    )
    n = len(rows)
    section = Section(
        key="expiring",
        title="Domains expiring",
        count=n,
        intro=f"Within {within} days and no renewal paid yet." if n else "",
        table=Table(columns=("Domain", "Customer", "Expires", "Left"), rows=rows, numeric=(3,)) if rows else None,
        empty=f"None within {within} days without a paid renewal.",
    )
    figure = Figure(
        label="Domains expiring",
        value=f"{plural(n, 'domain')} within {within} days, no renewal paid" if n else f"none within {within} days",
        rank=60,
        tone="attention" if n else "",
        section="expiring",
    )
    return section, (figure,)


# ---- what the worker did ----------------------------------------------------------------------------------------


def done_lines(inputs: ReportInputs) -> tuple[DoneLine, ...]:
    return tuple(inputs.remembered("done", lambda: _done_lines(inputs)))


def _done_lines(inputs: ReportInputs) -> list[DoneLine]:
    conn, since = inputs.conn, inputs.since
    actions = optional_table(conn, "registrar_actions")
    by_order: dict[str, list[tuple[datetime, str]]] = defaultdict(list)  # order -> (when, what happened)
    upstream: dict[str, Money] = {}
    notes: dict[str, str] = {}  # order -> what the reseller should know about what was done for it
    standalone: list[DoneLine] = []
    rows = conn.execute(
        select(outbox).where(outbox.c.status == "done", outbox.c.updated_at >= since).order_by(outbox.c.updated_at)
    )
    for row in rows:
        if row.kind in QUIET_ACTIONS:
            continue
        payload = row.payload if isinstance(row.payload, Mapping) else {}
        when = aware(row.updated_at) or row.updated_at
        order_ids = [str(o) for o in payload.get("order_ids") or [payload.get("order_id")] if o]
        result = row.result if isinstance(row.result, Mapping) else {}
        note = _contact_note(result, str(payload.get("contact_name", "")))
        for order_id in order_ids:
            if note:
                notes[order_id] = note
        if row.kind in REGISTRAR_ACTIONS and actions is not None:
            continue  # told from registrar_actions below: a manual one is a to-do until done by hand
        if not order_ids:
            standalone.append(
                DoneLine(
                    when=when,
                    customer=str(payload.get("contact_name", "")),
                    what=_done_words(row.kind, payload, result),
                    outcome="done",
                    amount=money_or_none(payload.get("amount"), payload.get("currency"))
                    or money_or_none(result.get("rate") or result.get("amount"), result.get("currency")),
                    upstream=money_from(result.get("cost")),
                    note=note,
                )
            )
            continue
        event = {
            "record_payment": "",
            "start_hosting": "hosting started",
            "register_domain": "registered",
            "renew_domain": "renewed",
        }.get(row.kind, row.kind.replace("_", " "))
        for order_id in order_ids:
            by_order[order_id].append((when, event))
    if actions is not None and {"status", "action", "order_id"} <= set(actions.c.keys()):
        for r in conn.execute(select(actions)):
            m = r._mapping
            cost = money_or_none(m.get("cost"), m.get("cost_currency"))
            if cost is not None:
                upstream[m["order_id"]] = cost
            verb = "registered" if m["action"] == "register" else "renewed"
            completed, updated = aware(m.get("completed_at")), aware(m.get("updated_at"))
            if m["status"] == "done" and completed is not None and completed >= since:
                by_order[m["order_id"]].append((completed, f"{verb} by hand" if m.get("reference") else verb))
            elif m["status"] == "to_do" and updated is not None and updated >= since:
                by_order[m["order_id"]].append((updated, "to do"))
            elif m["status"] in ("in_flight", "waiting") and updated is not None and updated >= since:
                by_order[m["order_id"]].append((updated, "at the registrar"))
    lines = list(standalone)
    if by_order:
        found = {r.order_id: r for r in conn.execute(select(orders).where(orders.c.order_id.in_(list(by_order))))}
        for order_id, events in by_order.items():
            order_row = found.get(order_id)
            events.sort()
            outcome = ", ".join(dict.fromkeys(e for _, e in events if e))
            if order_row is None:
                lines.append(DoneLine(when=events[-1][0], customer="", what=order_id, outcome=outcome, amount=None,
                                      upstream=upstream.get(order_id), order_id=order_id,
                                      note=notes.get(order_id, "")))  # fmt: skip
                continue
            contact = order_row.contact if isinstance(order_row.contact, Mapping) else {}
            lines.append(
                DoneLine(
                    when=events[-1][0],
                    customer=str(contact.get("name", "")),
                    what=f"{order_row.invoice_number} "
                    + order_words(
                        OrderKind(order_row.kind),
                        order_row.domain or "",
                        order_row.plan or "",
                        int(order_row.term_years or 1),
                    ),
                    outcome=outcome,
                    amount=money_or_none(order_row.amount_due, order_row.currency),
                    upstream=upstream.get(order_id),
                    links=(invoice_link(order_row.invoice_number, order_row.invoice_id),),
                    order_id=order_id,
                    note=notes.get(order_id, ""),
                )
            )
    return sorted(lines, key=lambda line: (line.when, line.customer, line.what))


def _contact_note(result: Mapping[str, Any], customer: str) -> str:
    """What an effect said about the customer's Xero contact (issue 15: a name another contact holds is extended,
    an archived contact restored), as a sentence for the reseller."""
    note = _one_line(str(result.get("contact_note") or "")).rstrip(".")
    if not note:
        return ""
    return f"Xero contact for {customer}: {note}." if customer else f"Xero contact: {note}."


def _done_words(kind: str, payload: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """A standalone action once done: an invoice raised by its number, others as `action_words` says them."""
    number = str(result.get("invoice_number") or "")
    if kind in ("renewal_invoice", "order_invoice") and number:
        return f"{number} raised for {payload.get('domain') or 'a domain'}"
    return action_words(kind, payload)


def _received(inputs: ReportInputs) -> Figure:
    """Money received since the last report: every receipt decided to pay orders, automatically or by hand."""
    rows = inputs.conn.execute(
        select(decisions_table.c.strategy, receipts.c.amount, receipts.c.currency)
        .join(receipts, receipts.c.receipt_id == decisions_table.c.receipt_id)
        .where(decisions_table.c.kind == DecisionKind.AUTO.value, decisions_table.c.decided_at >= inputs.since)
    ).all()
    money = [m for r in rows if (m := money_or_none(r.amount, r.currency)) is not None]
    by_hand = sum(1 for r in rows if r.strategy == "reviewer_approval")
    n = len(rows)
    if not n:
        return Figure(label="Received", value="nothing since the last report", rank=10, section="done")
    how = f"{n - by_hand} matched automatically, {by_hand} approved by hand"
    return Figure(label="Received", value=f"{plural(n, 'payment')}, {totals_words(money)} ({how})", rank=10,
                  tone="good", section="done")  # fmt: skip


def done(inputs: ReportInputs) -> Built:
    lines = done_lines(inputs)
    # A paid domain now to do at the registrar is a row of that section's table, with its customer, cost and margin;
    # here the to-dos are one line with their totals, not each a second time.
    to_dos = registrar_to_dos(inputs)
    waiting = [line for line in lines if line.outcome == "to do" and line.order_id in to_dos]
    rows = [
        Row(
            cells=(
                line.customer,
                line.what,
                line.outcome,
                money_words(line.amount) if line.amount else "",
                money_words(line.margin) if line.margin is not None else "",
            ),
            links=line.links,
        )
        for line in lines
        if line not in waiting
    ]
    margins = [m for line in lines if (m := line.margin) is not None]
    notes = tuple(line.note for line in lines if line.note)
    if waiting:
        sold = totals_words(line.amount for line in waiting if line.amount is not None)
        notes += (
            f"Also paid: {plural(len(waiting), 'domain')} to do at the registrar, listed there"
            + (f"; {sold} invoiced." if sold else "."),
        )
    if margins:
        notes += (f"Margin over upstream prices: {totals_words(margins)} on {plural(len(margins), 'domain')}.",)
    n = len(lines)
    section = Section(
        key="done",
        title="What the worker did",
        count=n,
        intro="Every paid invoice has its payment in Xero, unreconciled, for the bank line to match." if rows else "",
        table=Table(columns=("Customer", "What", "Then", "Amount", "Margin"), rows=tuple(rows), numeric=(3, 4))
        if rows
        else None,
        notes=notes,
        empty="Nothing since the last report.",
    )
    margin = Figure(
        label="Margin earned",
        value=f"{totals_words(margins)} on {plural(len(margins), 'domain')}" if margins else "none known",
        rank=70,
        section="done",
    )
    return section, (_received(inputs), margin)


# ---- health -----------------------------------------------------------------------------------------------------


def sources(inputs: ReportInputs) -> tuple[SourceHealth, ...]:
    return tuple(
        SourceHealth(
            job=s.name,
            plan=s.plan,
            last_success_at=s.last_success_at,
            late=s.late,
            failing=s.failing,
            last_error=s.last_error,
        )
        for s in inputs.states
    )


def health(inputs: ReportInputs) -> Built:
    jobs = sources(inputs)
    unwell = [s for s in jobs if s.late or s.failing]
    last = max((s.last_success_at for s in jobs if s.last_success_at), default=None)
    if not jobs:
        intro = "No jobs are scheduled."
    elif not unwell:
        intro = f"All {plural(len(jobs), 'job')} ran on time; the latest at {when_words(last, inputs)}."
    else:
        intro = f"{plural(len(unwell), 'job')} of {len(jobs)} {'needs' if len(unwell) == 1 else 'need'} attention."
    rows = tuple(
        Row(
            cells=(
                "LATE" if s.late else ("FAILING" if s.failing else "ok"),
                job_words(s.job),
                when_words(s.last_success_at, inputs),
                s.plan,
                _one_line(s.last_error)[:300] if s.failing else "",
            ),
            tone="alarm" if s.late or s.failing else "",
        )
        for s in jobs
    )
    section = Section(
        key="health",
        title="Health",
        count=len(unwell),
        intro=intro,
        table=Table(columns=("State", "Job", "Last success", "Schedule", "Last error"), rows=rows) if unwell else None,
        empty="",
        tone="alarm" if unwell else "",
    )
    return section, ()
