"""The month's margin: what customers were invoiced against what the provider charged, line by line, then per
action, customer, plan and domain ending, with totals. Every total is the sum of its lines; negatives are flagged.

The sale is the customer's invoice line; the cost is the bill's line, or the price table's while no bill line
charges it yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rules.money import Money
from rules.month_end import CustomerBilling, HostingSpan, Reconciliation
from rules.provider_bill import Month, Period


class CostFrom(StrEnum):
    BILL = "bill"
    PRICE_TABLE = "price table"
    NONE = "none"  # no bill line and no price


@dataclass(frozen=True, kw_only=True, slots=True)
class Sale:
    """A sale with no provider cost of its own (a setup fee)."""

    action: str
    item: str
    customer: str
    amount: Money
    on: date
    plan: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class SaleAndCost:
    sale: Money
    cost: Money

    @property
    def margin(self) -> Money:
        return self.sale - self.cost

    @property
    def negative(self) -> bool:
        return self.margin.amount < 0


@dataclass(frozen=True, kw_only=True, slots=True)
class MarginLine(SaleAndCost):
    action: str  # register, renew, transfer, hosting, setup, unreadable
    item: str  # domain or site
    customer: str
    plan: str  # hosting and setup
    ending: str  # the domain ending: co.nz, com, ...
    cost_from: CostFrom


@dataclass(frozen=True, kw_only=True, slots=True)
class MarginGroup(SaleAndCost):
    key: str
    lines: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Margin:
    month: Month
    currency: str
    lines: tuple[MarginLine, ...]
    by_action: tuple[MarginGroup, ...]
    by_customer: tuple[MarginGroup, ...]
    by_plan: tuple[MarginGroup, ...]  # hosting and setup lines only
    by_ending: tuple[MarginGroup, ...]
    total: MarginGroup
    other_currency: tuple[MarginLine, ...]  # a sale and a cost in different currencies: no margin without a rate

    @property
    def negative_lines(self) -> tuple[MarginLine, ...]:
        return tuple(line for line in self.lines if line.negative)


Ending = Callable[[str], str]


def _zero(currency: str) -> Money:
    return Money.zero(currency)


def margin_for(
    recon: Reconciliation,
    *,
    currency: str,
    spans: Sequence[HostingSpan],
    billing: Sequence[CustomerBilling],
    sales: Iterable[Sale] = (),
    ending: Ending,
) -> Margin:
    """The month's margin lines from a reconciliation (domain work done in the month; hosting site by site; every
    charge paired with nothing), plus `sales` that carry no cost, grouped with totals."""
    month = recon.month
    period = Period.of_month(month)
    zero = _zero(currency)
    lines: list[MarginLine] = []

    def inside(day: date) -> bool:
        return period.start <= day <= period.end

    for pair in recon.matched:
        work = pair.domain_work
        if work is None or not inside(work.on):
            continue
        lines.append(
            MarginLine(
                action=work.action.value,
                item=work.domain,
                customer=work.customer,
                plan="",
                ending=ending(work.domain),
                sale=work.sale or zero,
                cost=pair.charge.amount,
                cost_from=CostFrom.BILL,
            )
        )
    for work in recon.unbilled_work:
        lines.append(
            MarginLine(
                action=work.action.value,
                item=work.domain,
                customer=work.customer,
                plan="",
                ending=ending(work.domain),
                sale=work.sale or zero,
                cost=work.table_cost if work.table_cost is not None else _zero((work.sale or zero).currency),
                cost_from=CostFrom.PRICE_TABLE if work.table_cost is not None else CostFrom.NONE,
            )
        )
    lines.extend(_hosting_lines(recon, spans, billing, zero, ending))
    customer_of = {d.item: d.customer for d in recon.differences if d.customer}
    for charge in recon.extra_charges:
        action = charge.action.value if charge.action is not None else "unreadable"
        plan = charge.plan if action == "hosting" else ""
        lines.append(
            MarginLine(
                action=action,
                item=charge.item,
                customer=customer_of.get(charge.item, ""),
                plan=plan,
                ending=ending(charge.item) if charge.item else "",
                sale=_zero(charge.amount.currency),
                cost=charge.amount,
                cost_from=CostFrom.BILL,
            )
        )
    for sale in sales:
        if not inside(sale.on):
            continue
        lines.append(
            MarginLine(
                action=sale.action,
                item=sale.item,
                customer=sale.customer,
                plan=sale.plan,
                ending=ending(sale.item),
                sale=sale.amount,
                cost=_zero(sale.amount.currency),
                cost_from=CostFrom.NONE,
            )
        )
    same: list[MarginLine] = []
    other: list[MarginLine] = []
    for ln in lines:
        (same if ln.sale.currency == currency and ln.cost.currency == currency else other).append(ln)
    same.sort(key=lambda ln: (ln.action, ln.item, ln.customer))
    return Margin(
        month=month,
        currency=currency,
        lines=tuple(same),
        by_action=_groups(same, lambda ln: ln.action, zero),
        by_customer=_groups(same, lambda ln: ln.customer or "(unknown customer)", zero),
        by_plan=_groups([ln for ln in same if ln.plan], lambda ln: ln.plan, zero),
        by_ending=_groups([ln for ln in same if ln.ending], lambda ln: ln.ending, zero),
        total=_group("total", same, zero),
        other_currency=tuple(other),
    )


def _hosting_lines(
    recon: Reconciliation,
    spans: Sequence[HostingSpan],
    billing: Sequence[CustomerBilling],
    zero: Money,
    ending: Ending,
) -> list[MarginLine]:
    """One line per site live (or invoiced) in the month: the customer's repeating-invoice invoices against the
    provider's charges for it (the price table's by the provider's rule where no bill line charges it)."""
    period = Period.of_month(recon.month)
    spans_by_site: dict[str, list[HostingSpan]] = defaultdict(list)
    for s in spans:
        spans_by_site[s.site].append(s)
    billing_by_site: dict[str, list[CustomerBilling]] = defaultdict(list)
    for b in billing:
        billing_by_site[b.site].append(b)
    billed: dict[str, list[Money]] = defaultdict(list)
    for pair in recon.matched:
        if pair.hosting is not None:
            billed[pair.hosting.site].append(pair.charge.amount)
    estimated: dict[str, list[Money]] = defaultdict(list)
    for e in recon.unbilled_hosting:
        if e.cost is not None:
            estimated[e.site].append(e.cost)
    out: list[MarginLine] = []
    for site in sorted(set(spans_by_site) | set(billed)):
        site_spans = sorted(spans_by_site.get(site, []), key=lambda s: s.start)
        live = [s for s in site_spans if s.within(period) is not None]
        invoiced = [day for run in billing_by_site.get(site, []) for day in run.invoice_days(period)]
        if not live and not invoiced and site not in billed:
            continue
        sale = zero
        for day in invoiced:
            rate = _rate_on(site_spans, day)
            if rate is not None:
                sale = sale + rate
        costs = billed.get(site, []) + estimated.get(site, [])
        cost = zero
        for c in costs:
            cost = cost + c if c.currency == cost.currency else cost
        source = CostFrom.BILL if site in billed else (CostFrom.PRICE_TABLE if costs else CostFrom.NONE)
        last = (live or site_spans)[-1] if (live or site_spans) else None
        out.append(
            MarginLine(
                action="hosting",
                item=site,
                customer=last.customer if last is not None else "",
                plan=last.plan if last is not None else "",
                ending=ending(site),
                sale=sale,
                cost=cost,
                cost_from=source,
            )
        )
    return out


def _rate_on(spans: Sequence[HostingSpan], day: date) -> Money | None:
    """The customer's monthly rate on `day` (the plan live then; after a stop, the last plan's)."""
    for s in spans:
        if s.start <= day and (s.end is None or day <= s.end):
            return s.sale_rate
    before = [s for s in spans if s.start <= day]
    return before[-1].sale_rate if before else None


def _group(key: str, lines: Sequence[MarginLine], zero: Money) -> MarginGroup:
    """Sums of lines in `zero`'s currency (the caller keeps every other currency apart), added as Decimals."""
    sale = sum((ln.sale.amount for ln in lines), zero.amount)
    cost = sum((ln.cost.amount for ln in lines), zero.amount)
    return MarginGroup(
        key=key,
        lines=len(lines),
        sale=Money(amount=sale, currency=zero.currency),
        cost=Money(amount=cost, currency=zero.currency),
    )


def _groups(lines: Sequence[MarginLine], key: Callable[[MarginLine], str], zero: Money) -> tuple[MarginGroup, ...]:
    grouped: dict[str, list[MarginLine]] = defaultdict(list)
    for ln in lines:
        grouped[key(ln)].append(ln)
    return tuple(_group(k, grouped[k], zero) for k in sorted(grouped))


def endings(suffixes: Iterable[str]) -> Ending:
    """The domain ending of a domain: the longest of `suffixes` it ends with, else its last label."""
    known = {s.lower().lstrip(".") for s in suffixes}
    memo: dict[str, str] = {}

    def ending(domain: str) -> str:
        found = memo.get(domain)
        if found is None:
            labels = domain.lower().rstrip(".").split(".")
            found = next(
                (".".join(labels[i:]) for i in range(1, len(labels)) if ".".join(labels[i:]) in known),
                labels[-1] if len(labels) > 1 else "",
            )
            memo[domain] = found
        return found

    return ending
