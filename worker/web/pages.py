"""The review page's pages and actions.

Reading pages are GETs that change nothing. Each action is two steps on one address: GET shows exactly what will
be recorded and done (the command's own function, rehearsed in a transaction that is rolled back) with a Confirm
button; POST runs that function for real, only if the same things would still happen, and records who did it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Flask, Response, abort, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from rules.settlement import Terms
from worker import audit
from worker.acting import Acted, Run, act, rehearse
from worker.approval import ApprovalRequest, approve, parse_home_amount
from worker.chores import parse_cost, record_done, retry_action
from worker.review import dismiss, link
from worker.web import queries
from worker.web.context import context

Params = MultiDict[str, str]


def register_pages(app: Flask) -> None:
    app.add_url_rule("/", "summary", summary)
    app.add_url_rule("/decisions", "decisions", decisions)
    app.add_url_rule("/decisions/<int:review_id>", "item", item_page)
    app.add_url_rule(
        "/decisions/<int:review_id>/<any(approve, ignore, reject, link):verb>",
        "decide",
        decide,
        methods=["GET", "POST"],
    )
    app.add_url_rule("/todos", "todos", todos_page)
    app.add_url_rule("/todos/<order_id>/done", "todo_done", todo_done, methods=["GET", "POST"])
    app.add_url_rule("/failed", "failed", failed_page)
    app.add_url_rule("/failed/retry", "retry", retry, methods=["GET", "POST"])
    app.add_url_rule("/outbox", "outbox", outbox_page)
    app.add_url_rule("/history", "history", history_page)
    app.add_url_rule("/history/<int:entry_id>", "entry", entry_page)
    app.add_url_rule("/health", "health", health_page)
    app.add_url_rule("/payouts", "payouts", payouts_page)
    app.add_url_rule("/payouts/accept", "payout_accept", payout_accept, methods=["GET", "POST"])
    app.add_url_rule("/month-end", "month_end", month_end_page)
    app.add_url_rule("/month-end.csv", "month_end_csv", month_end_csv)
    app.context_processor(_navigation)


def _navigation() -> dict[str, Any]:
    if getattr(g, "user", None) is None:
        return {}
    with context().engine.connect() as conn:
        return {"counts": queries.counts(conn), "user": g.user, "csrf": g.csrf}


# ---- reading ---------------------------------------------------------------------------------------------------


def _totals(items: list[queries.ItemView]) -> list[tuple[Decimal, str]]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for i in items:
        if i.receipt is not None and not i.possible_fraud:
            sums[i.receipt.money.currency] += i.receipt.money.amount
    return sorted(((amount, currency) for currency, amount in sums.items()), key=lambda t: t[1])


def summary() -> str:
    from worker.report.sending import build_report

    ctx = context()
    report = build_report(ctx.settings, ctx.engine, ctx.clock())
    with ctx.engine.connect() as conn:
        recent = audit.latest(conn, limit=5)
    return render_template("summary.html", report=report, recent=recent)


def decisions() -> str:
    with context().engine.connect() as conn:
        items = queries.open_decisions(conn)
    return render_template("decisions.html", items=items, totals=_totals(items))


def item_page(review_id: int) -> str:
    search = request.args.get("customer", "")
    with context().engine.connect() as conn:
        found = queries.item(conn, review_id)
        if found is None:
            abort(404, f"There is no review item #{review_id}.")
        history = audit.history(conn, review_id=review_id, subjects=[found.subject, *found.candidate_ids])
        customers = queries.find_customers(conn, search) if search else []
    return render_template(
        "item.html",
        item=found,
        history=history,
        search=search,
        customers=customers,
        home_currency=context().settings.worker.home_currency,
    )


def todos_page() -> str:
    with context().engine.connect() as conn:
        rows = queries.todos(conn)
    return render_template("todos.html", todos=rows, today=context().clock().astimezone(context().settings.worker.zone))


def failed_page() -> str:
    with context().engine.connect() as conn:
        rows = queries.failed_actions(conn)
    return render_template("failed.html", rows=rows)


def outbox_page() -> str:
    search = request.args.get("q", "")
    with context().engine.connect() as conn:
        rows = queries.outbox_rows(conn, search=search)
    return render_template("outbox.html", rows=rows, search=search)


def history_page() -> str:
    with context().engine.connect() as conn:
        entries = audit.latest(conn, limit=200)
    return render_template("history.html", entries=entries)


def entry_page(entry_id: int) -> str:
    with context().engine.connect() as conn:
        found = audit.entry(conn, entry_id)
        if found is None:
            abort(404, f"There is no history entry #{entry_id}.")
        keys = [str(k) for k in found.detail.get("queued", [])]
        rows = queries.outbox_rows(conn, keys=keys) if keys else []
    return render_template("entry.html", entry=found, rows=rows)


def health_page() -> str:
    from worker.report.sending import build_report
    from worker.single_instance import current_holder

    ctx = context()
    report = build_report(ctx.settings, ctx.engine, ctx.clock())
    holder = current_holder(ctx.engine, ctx.settings.worker.data_dir)
    with ctx.engine.connect() as conn:
        counts = queries.counts(conn)
    return render_template("health.html", report=report, holder=holder, outbox_counts=counts)


def payouts_page() -> str:
    """What `payouts list` shows: each payout with gross, fees, net, its bank line, its state and its payments,
    then card payments never paid out; a payout that does not add up can be settled here."""
    from worker.payouts import list_payouts, never_paid

    ctx = context()
    state = request.args.get("state", "")
    with ctx.engine.connect() as conn:
        views = list_payouts(conn, limit=100, state=state if state in ("settled", "waiting", "mismatch") else "")
        late = never_paid(conn, ctx.settings, ctx.clock().date())
        waiting = {v.key: queries.payout_candidates(conn, v.key) for v in views if v.state != "settled"}
    return render_template(
        "payouts.html", views=views, late=late, waiting=waiting, services=ctx.settings.gateways.services, state=state
    )


def payout_accept() -> Any:
    from worker.chores import settle_payout
    from worker.payouts import AcceptRefused, parse_amount

    params = _params()
    settings = context().settings
    key = params.get("key", "").strip()[:128]
    chosen = [p.strip() for p in params.getlist("payments") if p.strip()]
    error = "" if key else "Choose the payout to settle."
    by_hand = Decimal(0)
    try:
        by_hand = parse_amount(params.get("recorded_by_hand", "").strip() or "0")
    except AcceptRefused as exc:
        error = f"What you recorded by hand must be an amount like -20.00: {exc}."
    return _run(
        Proposal(
            title=f"Settle payout {key}",
            action="payout",
            button="Confirm: settle the payout",
            back=url_for("payouts"),
            subject=key,
            fields=_fields(params, "key", "payments", "recorded_by_hand"),
            run=None
            if error
            else (
                lambda conn, now: settle_payout(
                    conn, settings, key, payments=chosen or None, recorded_by_hand=by_hand, now=now
                )
            ),
            error=error,
        )
    )


def _month(text: str | None) -> Any:
    """The month asked for (YYYY-MM), else last month in the reseller's time zone; None when unreadable."""
    from rules.provider_bill import Month

    if text:
        try:
            return Month.parse(text)
        except ValueError:
            return None
    ctx = context()
    return Month.of(ctx.clock().astimezone(ctx.settings.worker.zone).date()).previous()


def month_end_page() -> Any:
    """What `reseller-worker month-end YYYY-MM` shows: the provider's bill checked against what was done and sold,
    and the margin, from the same function."""
    from worker.month_end import month_end
    from worker.month_end_output import bills_line, by_kind

    ctx = context()
    month = _month(request.args.get("month"))
    if month is None:
        abort(400, f"A month is written YYYY-MM, like 2026-10; not {request.args.get('month')!r}.")
    with ctx.engine.connect() as conn:
        result = month_end(conn, ctx.settings, month, now=ctx.clock())
    from rules.month_end import DIFFERENCE_TITLES

    return render_template(
        "month_end.html",
        result=result,
        bills=bills_line(result),
        groups=[(DIFFERENCE_TITLES[kind], items) for kind, items in by_kind(result.recon.differences)],
    )


def month_end_csv() -> Response:
    """The margin lines as the command's --csv writes them, for the accountant's spreadsheet."""
    from worker.month_end import month_end
    from worker.month_end_output import render_month_end_csv

    ctx = context()
    month = _month(request.args.get("month"))
    if month is None:
        abort(400, "A month is written YYYY-MM, like 2026-10.")
    with ctx.engine.connect() as conn:
        result = month_end(conn, ctx.settings, month, now=ctx.clock())
    return Response(
        render_month_end_csv(result),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="margin-{month}.csv"'},
    )


# ---- acting: propose (GET), confirm (POST) ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """One action as the person asked for it: what runs, and the fields that ask for it again on Confirm."""

    title: str
    action: str  # the audit log's word
    button: str
    back: str  # where Cancel goes
    run: Run | None = None
    error: str = ""  # the request itself is unusable (a bad date, no reference): nothing to rehearse
    review_id: int | None = None
    subject: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)


def _fields(params: Params, *names: str) -> dict[str, list[str]]:
    return {n: [v for v in params.getlist(n) if v != ""] for n in names if any(v != "" for v in params.getlist(n))}


def _run(proposal: Proposal) -> Any:
    ctx = context()
    if request.method == "GET" or proposal.run is None:
        if proposal.run is None:
            return _confirm_page(proposal, None, status=422)
        rehearsal = rehearse(ctx.engine, proposal.run, now=ctx.clock())
        return _confirm_page(proposal, rehearsal, status=200 if rehearsal.ok else 409)
    acted = act(
        ctx.engine,
        proposal.run,
        now=ctx.clock(),
        actor=g.user,
        via="web",
        action=proposal.action,
        review_id=proposal.review_id,
        subject=proposal.subject,
        request={k: v if len(v) != 1 else v[0] for k, v in proposal.fields.items()},
        confirmed=request.form.get("fingerprint", ""),
    )
    if acted.stale:
        return _confirm_page(proposal, acted, status=409)
    return redirect(url_for("entry", entry_id=acted.audit_id), code=303)


def _confirm_page(proposal: Proposal, acted: Acted | None, *, status: int) -> Response:
    body = render_template("confirm.html", proposal=proposal, acted=acted)
    return Response(body, status=status)


def _params() -> Params:
    return request.form if request.method == "POST" else request.args


def _order_ids(params: Params) -> list[str]:
    chosen = [o.strip() for o in params.getlist("orders") if o.strip()]
    chosen += [o.strip() for o in params.get("other", "").replace(" ", ",").split(",") if o.strip()]
    return list(dict.fromkeys(chosen))


def decide(review_id: int, verb: str) -> Any:
    params = _params()
    back = url_for("item", review_id=review_id)
    if verb == "approve":
        chosen = _order_ids(params)
        names = ", ".join(chosen) or "its only candidate"
        error = ""
        try:
            home_amount = parse_home_amount(params.get("home_amount") or None)
        except ValueError:
            home_amount, error = None, f"What arrived must be an amount like 33.50, not {params.get('home_amount')!r}."
        asked = ApprovalRequest(
            review_id=review_id,
            orders=tuple(chosen),
            terms=Terms(
                part=params.get("part") == "1", overpaid=params.get("overpaid") == "1", home_amount=home_amount
            ),
            link_payer=params.get("link_payer") == "1",
        )
        settings = context().settings
        proposal = Proposal(
            title=f"Approve item #{review_id}: the receipt pays {names}",
            action="approve",
            button="Confirm: approve",
            back=back,
            review_id=review_id,
            fields=_fields(params, "orders", "other", "link_payer", "part", "overpaid", "home_amount"),
            run=None if error else (lambda conn, now: approve(conn, asked, settings=settings, now=now)),
            error=error,
        )
    elif verb in ("ignore", "reject"):
        note = params.get("note", "").strip()[:500]
        status = "ignored" if verb == "ignore" else "rejected"
        proposal = Proposal(
            title=f"{verb.capitalize()} item #{review_id}"
            + (": not a customer payment" if verb == "ignore" else ": not genuine"),
            action=verb,
            button=f"Confirm: {verb}",
            back=back,
            review_id=review_id,
            fields=_fields(params, "note"),
            run=lambda conn, now: dismiss(conn, review_id, status=status, now=now, note=note),
        )
    else:
        contact = params.get("contact", "").strip()[:64]
        proposal = Proposal(
            title=f"Remember the payer of item #{review_id} as customer {contact}",
            action="link",
            button="Confirm: link the payer",
            back=back,
            review_id=review_id,
            subject=contact,
            fields=_fields(params, "contact"),
            run=(lambda conn, now: link(conn, review_id, contact_id=contact, now=now)) if contact else None,
            error="" if contact else "Choose the customer to link the payer to.",
        )
    return _run(proposal)


def _date(text: str) -> date | None:
    return date.fromisoformat(text.strip()) if text.strip() else None


def todo_done(order_id: str) -> Any:
    params = _params()
    ctx = context()
    reference = params.get("ref", "").strip()[:200]
    problems = []
    if not reference:
        problems.append("Give the registrar's reference (its order id or receipt number).")
    try:
        expires = _date(params.get("expires", ""))
    except ValueError:
        expires = None
        problems.append(f"The new expiry must be a date (YYYY-MM-DD), not {params.get('expires')!r}.")
    cost = None
    if params.get("cost", "").strip():
        try:
            cost = parse_cost(params.get("cost", ""), ctx.settings.registrar.price_currency)
        except ValueError as exc:
            problems.append(str(exc).capitalize() + ".")
    run: Callable[..., Any] | None = None
    if not problems:

        def run(conn: Any, now: Any) -> Any:
            return record_done(conn, order_id=order_id, reference=reference, now=now, expires=expires, cost=cost)

    return _run(
        Proposal(
            title=f"Record {order_id} as done at the registrar",
            action="done",
            button="Confirm: done at the registrar",
            back=url_for("todos"),
            subject=order_id,
            fields=_fields(params, "ref", "expires", "cost"),
            run=run,
            error=" ".join(problems),
        )
    )


def retry() -> Any:
    params = _params()
    key = params.get("key", "").strip()[:128]
    return _run(
        Proposal(
            title=f"Retry {key}",
            action="retry",
            button="Confirm: retry",
            back=url_for("failed"),
            subject=key,
            fields=_fields(params, "key"),
            run=(lambda conn, now: retry_action(conn, key, now=now)) if key else None,
            error="" if key else "Choose the failed action to retry.",
        )
    )
