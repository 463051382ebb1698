"""Month-end with the provider: what the bill should hold (from the worker's own records) and every charge on it
checked against that, each difference named.

Pure: the caller gathers the bill's charges, the registrations and renewals done, the hosting spans and the
repeating invoices to customers, and passes them in with the month and the provider's rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from rules.money import CENT, Money
from rules.provider_bill import Charge, ChargeAction, Month, Period
from rules.words import domain_words


class HostingRule(StrEnum):
    WHOLE_MONTHS = "whole_months"  # a month's fee for each month a site is live on any day, at its last plan
    PER_DAY = "per_day"  # the monthly fee by the days live on each plan, to the cent


class DifferenceKind(StrEnum):
    NOT_DONE = "charged_not_done"  # charged, but the worker did not do it (the provider's panel, auto-renew)
    NOT_CHARGED = "done_not_charged"  # the worker did it, the bill does not charge it
    PRICE = "price_differs"  # charged at a price other than the table's
    CHARGED_TWICE = "charged_twice"
    STOPPED_SITE_CHARGED = "stopped_site_charged"  # hosting charged for a site that was stopped
    LIVE_NOT_INVOICED = "live_site_not_invoiced"  # a live site with no repeating invoice to its customer
    STOPPED_SITE_INVOICED = "stopped_site_invoiced"  # a repeating invoice still runs for a stopped site
    UNREADABLE = "unreadable_line"  # a Xero bill line whose action, domain or plan could not be read


DIFFERENCE_TITLES: Mapping[DifferenceKind, str] = {
    DifferenceKind.NOT_DONE: "Charged, but not done by the worker",
    DifferenceKind.NOT_CHARGED: "Done, but not charged",
    DifferenceKind.PRICE: "Price other than the table's",
    DifferenceKind.CHARGED_TWICE: "Charged twice",
    DifferenceKind.STOPPED_SITE_CHARGED: "Hosting charged for a stopped site",
    DifferenceKind.LIVE_NOT_INVOICED: "Live site with no repeating invoice to its customer (revenue lost)",
    DifferenceKind.STOPPED_SITE_INVOICED: "Repeating invoice for a stopped site (customer over-billed)",
    DifferenceKind.UNREADABLE: "Bill line that could not be read",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ProviderTerms:
    """How the provider charges, from settings."""

    hosting_rule: HostingRule
    tolerance: Decimal = Decimal("0.00")  # a charge this close to the expected price is the same price
    boundary_days: int = 3  # actions this close to the month's edges may be billed in the neighbouring month


@dataclass(frozen=True, kw_only=True, slots=True)
class DomainWork:
    """A registration or renewal the worker did (through the registrar API or recorded with `orders done`)."""

    key: str  # the registrar action's key: unique
    action: ChargeAction  # register or renew
    domain: str
    years: int
    on: date  # the day it was done, in the reseller's time zone
    customer: str
    sale: Money | None  # the customer's invoice line
    table_cost: Money | None  # the upstream price table's price for this action and term
    by_hand: bool = False
    invoice: str = ""  # the customer's invoice number


@dataclass(frozen=True, kw_only=True, slots=True)
class HostingSpan:
    """Days a site was live on one plan (from `hosting start`, `change`, `stop`)."""

    site: str
    plan: str
    customer: str
    start: date
    end: date | None  # the last live day; None while still live
    sale_rate: Money | None  # the customer's monthly rate for this plan
    cost_rate: Money | None  # the provider's monthly price for this plan

    def within(self, period: Period) -> Period | None:
        end = self.end if self.end is not None else period.end
        if end < self.start:
            return None
        return Period(start=self.start, end=end).overlap(period)


@dataclass(frozen=True, kw_only=True, slots=True)
class CustomerBilling:
    """A repeating invoice to a site's customer: it raises an invoice on `start` and each month after, until it is
    ended (`end`, the day it was ended; None while it runs)."""

    site: str
    start: date
    end: date | None

    def invoice_days(self, period: Period) -> list[date]:
        days: list[date] = []
        # Start at the schedule's first month that can fall in the period, not at its first invoice.
        n = max(0, (period.start.year - self.start.year) * 12 + period.start.month - self.start.month - 1)
        while True:
            day = _add_months(self.start, n)
            if day > period.end or (self.end is not None and day > self.end):
                return days
            if day >= period.start:
                days.append(day)
            n += 1


@dataclass(frozen=True, kw_only=True, slots=True)
class HostingCharge:
    """What the provider should charge for a site in the month, by its rule."""

    site: str
    plan: str
    customer: str
    period: Period  # the days this charge is for
    cost: Money | None  # None: the plan has no provider price in settings


@dataclass(frozen=True, kw_only=True, slots=True)
class Difference:
    kind: DifferenceKind
    item: str  # domain or site
    action: str  # register, renew, transfer, hosting, or "" for an unreadable line
    customer: str
    where: str  # the bill line, or the worker's record it is about
    detail: str  # one sentence a reseller understands
    suggestion: str
    charged: Money | None = None
    expected: Money | None = None

    @property
    def money_words(self) -> str:
        """The money of this difference in words: what was charged or expected, lost or over-billed."""
        if self.kind is DifferenceKind.LIVE_NOT_INVOICED:
            return f"{_money_text(self.expected)} a month not invoiced" if self.expected else ""
        if self.kind is DifferenceKind.STOPPED_SITE_INVOICED:
            return f"{_money_text(self.expected)} invoiced after the stop" if self.expected else ""
        bits = []
        if self.charged is not None:
            bits.append(f"charged {self.charged}")
        if self.expected is not None:
            bits.append(f"expected {self.expected}")
        return ", ".join(bits)

    @property
    def at_stake(self) -> Money | None:
        """The money this difference is worth: over-charged or lost (positive), or in the reseller's favour."""
        if self.charged is not None and self.expected is not None and self.charged.currency == self.expected.currency:
            return self.charged - self.expected
        return self.charged if self.charged is not None else self.expected


@dataclass(frozen=True, kw_only=True, slots=True)
class Matched:
    """A bill line paired with what the worker did, and what each side says."""

    charge: Charge
    domain_work: DomainWork | None = None
    hosting: HostingCharge | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Reconciliation:
    month: Month
    matched: tuple[Matched, ...]
    differences: tuple[Difference, ...]
    unbilled_work: tuple[DomainWork, ...]  # in the month, on no bill line (also a NOT_CHARGED difference)
    unbilled_hosting: tuple[HostingCharge, ...]
    extra_charges: tuple[Charge, ...]  # charged in the month and paired with nothing the worker did
    hosting_expected: tuple[HostingCharge, ...] = field(default=())

    def of_kind(self, kind: DifferenceKind) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.kind is kind)


def _add_months(day: date, months: int) -> date:
    """Xero's monthly schedule: the same day of the month, or the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    target = Month(year=year, month=month + 1)
    return date(year, month + 1, min(day.day, target.days))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _differs(charged: Money, expected: Money | None, tolerance: Decimal) -> bool:
    if expected is None or charged.currency != expected.currency:
        return True
    return abs(_cents(charged.amount) - _cents(expected.amount)) > tolerance


def _money_text(value: Money | None) -> str:
    return "no price" if value is None else str(value)


# ---- hosting: what the provider should charge -----------------------------------------------------------------


def expected_hosting(spans: Iterable[HostingSpan], month: Month, rule: HostingRule) -> list[HostingCharge]:
    """The month's hosting charges by the provider's rule, site by site, earliest first."""
    period = Period.of_month(month)
    by_site: dict[str, list[tuple[HostingSpan, Period]]] = defaultdict(list)
    for span in spans:
        live = span.within(period)
        if live is not None:
            by_site[span.site].append((span, live))
    out: list[HostingCharge] = []
    for site in sorted(by_site):
        pieces = sorted(by_site[site], key=lambda p: (p[1].start, p[1].end))
        if rule is HostingRule.WHOLE_MONTHS:
            last_span, _ = max(pieces, key=lambda p: (p[1].end, p[1].start))
            out.append(
                HostingCharge(
                    site=site,
                    plan=last_span.plan,
                    customer=last_span.customer,
                    period=period,
                    cost=last_span.cost_rate,
                )
            )
            continue
        for span, live in pieces:
            cost = None
            if span.cost_rate is not None:
                share = span.cost_rate.amount * live.days / month.days
                cost = Money(amount=_cents(share), currency=span.cost_rate.currency)
            out.append(HostingCharge(site=site, plan=span.plan, customer=span.customer, period=live, cost=cost))
    return out


# ---- the reconciliation ---------------------------------------------------------------------------------------


def reconcile(
    month: Month,
    *,
    charges: Sequence[Charge],
    work: Sequence[DomainWork],
    spans: Sequence[HostingSpan],
    billing: Sequence[CustomerBilling],
    terms: ProviderTerms,
    customers: Mapping[str, str] | None = None,
) -> Reconciliation:
    """Pair every charge with what the worker did and name every difference for `month`.

    `charges` and `work` may reach `terms.boundary_days` into the neighbouring months: a charge and an action either
    side of a month's edge still pair, and a difference is reported in the month of the charge (or, for work not
    charged, of the work). `customers` names the customer of a domain or site the worker knows of otherwise."""
    known = dict(customers or {})
    differences: list[Difference] = []
    matched: list[Matched] = []
    extra: list[Charge] = []
    in_month = Period.of_month(month)

    def inside(day: date) -> bool:
        return in_month.start <= day <= in_month.end

    domain_charges = [
        c for c in charges if c.action in (ChargeAction.REGISTER, ChargeAction.RENEW, ChargeAction.TRANSFER)
    ]
    hosting_charges = [
        c for c in charges if c.action is ChargeAction.HOSTING and Month.of(c.service_period.start) == month
    ]
    for charge in charges:
        if charge.action is None and inside(charge.on):
            differences.append(
                _on_charge(
                    charge,
                    kind=DifferenceKind.UNREADABLE,
                    customer=known.get(charge.item, ""),
                    detail=f"The line {charge.text!r} names no action, domain or plan the worker can read.",
                    suggestion="Check it against the provider's panel; write the provider's lines with the action, "
                    "the domain and (hosting) the plan.",
                )
            )
            extra.append(charge)

    pairs, unbilled, domain_differences, domain_extra = _reconcile_domains(domain_charges, work, terms, known, inside)
    matched.extend(pairs)
    differences.extend(domain_differences)
    extra.extend(domain_extra)

    expected = expected_hosting(spans, month, terms.hosting_rule)
    hosting_pairs, unbilled_hosting, hosting_differences, hosting_extra = _reconcile_hosting(
        month, hosting_charges, expected, spans, terms, known
    )
    matched.extend(hosting_pairs)
    differences.extend(hosting_differences)
    extra.extend(hosting_extra)
    differences.extend(_customer_billing(month, spans, billing))
    differences.sort(key=lambda d: (list(DifferenceKind).index(d.kind), d.item, d.where))
    return Reconciliation(
        month=month,
        matched=tuple(matched),
        differences=tuple(differences),
        unbilled_work=tuple(unbilled),
        unbilled_hosting=tuple(unbilled_hosting),
        extra_charges=tuple(extra),
        hosting_expected=tuple(expected),
    )


def _reconcile_domains(
    charges: Sequence[Charge],
    work: Sequence[DomainWork],
    terms: ProviderTerms,
    known: Mapping[str, str],
    inside: Callable[[date], bool],
) -> tuple[list[Matched], list[DomainWork], list[Difference], list[Charge]]:
    by_key: dict[tuple[ChargeAction, str], list[DomainWork]] = defaultdict(list)
    for w in work:
        by_key[(w.action, w.domain)].append(w)
    for items in by_key.values():
        items.sort(key=lambda w: (w.on, w.key))
    used: set[str] = set()
    pair_of: dict[str, Charge] = {}  # work key -> the charge paired with it
    matched: list[Matched] = []
    differences: list[Difference] = []
    extra: list[Charge] = []
    for charge in sorted(charges, key=lambda c: (c.on, c.source)):
        assert charge.action is not None
        candidates = by_key.get((charge.action, charge.item), [])
        free = [w for w in candidates if w.key not in used]
        chosen = min(free, key=lambda w: (w.years != charge.years, abs((w.on - charge.on).days), w.key), default=None)
        if chosen is not None:
            used.add(chosen.key)
            pair_of[chosen.key] = charge
            matched.append(Matched(charge=charge, domain_work=chosen))
            if inside(charge.on) and _differs(charge.amount, chosen.table_cost, terms.tolerance):
                differences.append(_price_difference(charge, chosen))
            continue
        if not inside(charge.on):
            continue  # a neighbouring month's line: that month reports it
        extra.append(charge)
        twin = next(
            (
                pair_of[w.key]
                for w in candidates
                if w.key in pair_of
                and pair_of[w.key].years == charge.years
                and abs((pair_of[w.key].on - charge.on).days) <= 1
            ),
            None,
        )
        customer = known.get(charge.item, candidates[0].customer if candidates else "")
        if twin is not None:
            differences.append(
                _on_charge(
                    charge,
                    kind=DifferenceKind.CHARGED_TWICE,
                    customer=customer,
                    detail=f"{charge.action.value} of {domain_words(charge.item)} for {charge.years} year(s) is "
                    "charged again; "
                    f"{twin.source} already charges it and the worker did it once.",
                    suggestion="Ask the provider to credit the second charge.",
                )
            )
            continue
        differences.append(
            _on_charge(
                charge,
                kind=DifferenceKind.NOT_DONE,
                customer=customer,
                detail=f"{charge.action.value} of {domain_words(charge.item)} for {charge.years} year(s) on "
                f"{charge.on} was not "
                "done by the worker: done in the provider's panel, or renewed automatically there.",
                suggestion=(
                    "Invoice the customer if they asked for it; otherwise turn off auto-renew at the provider and "
                    "ask for a credit."
                ),
            )
        )
    unbilled: list[DomainWork] = []
    for items in by_key.values():
        for w in items:
            if w.key in used or not inside(w.on):
                continue
            unbilled.append(w)
            near_end = (_month_end(w.on) - w.on).days < terms.boundary_days
            later = " It was done in the month's last days, so it may be on next month's bill." if near_end else ""
            differences.append(
                Difference(
                    kind=DifferenceKind.NOT_CHARGED,
                    item=w.domain,
                    action=w.action.value,
                    customer=w.customer,
                    where=f"{'recorded by hand' if w.by_hand else 'registrar'} on {w.on}"
                    + (f", invoice {w.invoice}" if w.invoice else ""),
                    detail=f"{w.action.value} of {domain_words(w.domain)} for {w.years} year(s) on {w.on} is on "
                    "no bill line." + later,
                    suggestion=(
                        "Check the provider's panel that it went through; if it was done at another registrar, "
                        "that registrar's bill holds it."
                    ),
                    expected=w.table_cost,
                )
            )
    unbilled.sort(key=lambda w: (w.on, w.domain))
    return matched, unbilled, differences, extra


def _on_charge(
    charge: Charge,
    *,
    kind: DifferenceKind,
    customer: str,
    detail: str,
    suggestion: str,
    expected: Money | None = None,
) -> Difference:
    """A difference about one bill line: its domain or site, action, place on the bill and amount."""
    return Difference(
        kind=kind,
        item=charge.item,
        action=charge.action.value if charge.action is not None else "",
        customer=customer,
        where=charge.source,
        detail=detail,
        suggestion=suggestion,
        charged=charge.amount,
        expected=expected,
    )


def _month_end(day: date) -> date:
    return Month.of(day).last


def _price_difference(charge: Charge, work: DomainWork) -> Difference:
    if work.table_cost is None:
        detail = (
            f"{charge.action} of {domain_words(work.domain)} is charged {charge.amount}; the price table has no "
            "price for it, "
            "so the charge cannot be checked."
        )
        suggestion = "Add the TLD to [registrar] register_prices / renew_prices."
    else:
        detail = (
            f"{charge.action} of {domain_words(work.domain)} for {charge.years} year(s) is charged "
            f"{charge.amount}; the price "
            f"table says {work.table_cost} for {work.years} year(s)."
        )
        suggestion = "Ask the provider why, or update the price table if their price changed."
    return _on_charge(
        charge,
        kind=DifferenceKind.PRICE,
        customer=work.customer,
        detail=detail,
        suggestion=suggestion,
        expected=work.table_cost,
    )


def _reconcile_hosting(
    month: Month,
    charges: Sequence[Charge],
    expected: Sequence[HostingCharge],
    spans: Sequence[HostingSpan],
    terms: ProviderTerms,
    known: Mapping[str, str],
) -> tuple[list[Matched], list[HostingCharge], list[Difference], list[Charge]]:
    expected_by_site: dict[str, list[HostingCharge]] = defaultdict(list)
    for e in expected:
        expected_by_site[e.site].append(e)
    spans_by_site: dict[str, list[HostingSpan]] = defaultdict(list)
    for s in spans:
        spans_by_site[s.site].append(s)
    taken: set[int] = set()  # id() of expected charges already paired
    paired: dict[int, Charge] = {}
    matched: list[Matched] = []
    differences: list[Difference] = []
    extra: list[Charge] = []
    for charge in sorted(charges, key=lambda c: (c.item, c.service_period.start, c.source)):
        site = charge.item
        options = expected_by_site.get(site, [])
        period = charge.service_period
        free = [e for e in options if id(e) not in taken and e.period.overlap(period) is not None]
        chosen = min(
            free,
            key=lambda e: (e.plan != charge.plan, -(_overlap_days(e.period, period)), e.period.start),
            default=None,
        )
        customer = known.get(site) or (options[0].customer if options else "") or _span_customer(spans_by_site, site)
        if chosen is not None:
            taken.add(id(chosen))
            paired[id(chosen)] = charge
            matched.append(Matched(charge=charge, hosting=chosen))
            last_live = _last_live(spans_by_site.get(site, []))
            past_stop = last_live is not None and period.end > last_live
            if _differs(charge.amount, chosen.cost, terms.tolerance):
                over = chosen.cost is not None and charge.amount.currency == chosen.cost.currency
                if past_stop and over and chosen.cost is not None and charge.amount.amount > chosen.cost.amount:
                    differences.append(
                        _on_charge(
                            charge,
                            kind=DifferenceKind.STOPPED_SITE_CHARGED,
                            customer=customer,
                            detail=f"Hosting of {domain_words(site)} is charged {charge.amount} for {period}, "
                            "but the site's last "
                            f"live day was {last_live}; its live days come to {chosen.cost}.",
                            suggestion="Ask the provider to credit the days after the site was stopped.",
                            expected=chosen.cost,
                        )
                    )
                else:
                    plan_note = (
                        f" for plan {charge.plan}, while the site was on {chosen.plan}"
                        if charge.plan and charge.plan != chosen.plan
                        else f" on plan {chosen.plan}"
                    )
                    differences.append(
                        _on_charge(
                            charge,
                            kind=DifferenceKind.PRICE,
                            customer=customer,
                            detail=f"Hosting of {domain_words(site)} for {chosen.period} is charged "
                            f"{charge.amount}{plan_note}; "
                            f"by the provider's price list and rule ({terms.hosting_rule.value.replace('_', ' ')}) it "
                            f"comes to {_money_text(chosen.cost)}.",
                            suggestion="Ask the provider why, or update [provider] hosting_prices if their price "
                            "changed.",
                            expected=chosen.cost,
                        )
                    )
            continue
        extra.append(charge)
        twin = next(
            (paired[id(e)] for e in options if id(e) in paired and paired[id(e)].service_period.overlap(period)),
            None,
        )
        if twin is not None:
            differences.append(
                _on_charge(
                    charge,
                    kind=DifferenceKind.CHARGED_TWICE,
                    customer=customer,
                    detail=f"Hosting of {domain_words(site)} for {period} is charged again; {twin.source} "
                    "already charges it.",
                    suggestion="Ask the provider to credit the second charge.",
                )
            )
            continue
        last_live = _last_live(spans_by_site.get(site, []))
        if site in spans_by_site and last_live is not None and last_live < period.start:
            differences.append(
                _on_charge(
                    charge,
                    kind=DifferenceKind.STOPPED_SITE_CHARGED,
                    customer=customer,
                    detail=f"Hosting of {domain_words(site)} is charged {charge.amount} for {period}, but the "
                    "site was stopped; "
                    f"its last live day was {last_live}.",
                    suggestion="Ask the provider to cancel the site's hosting and credit the charge.",
                )
            )
            continue
        differences.append(
            _on_charge(
                charge,
                kind=DifferenceKind.NOT_DONE,
                customer=customer,
                detail=f"Hosting of {domain_words(site)} ({charge.plan or 'no plan named'}) for {period} is "
                "charged, but the worker "
                "never started hosting for it: set up in the provider's panel.",
                suggestion="Start it with `hosting start` if it is a customer's site, so the customer is invoiced; "
                "otherwise cancel it at the provider.",
            )
        )
    unbilled = [e for e in expected if id(e) not in taken]
    for e in unbilled:
        differences.append(
            Difference(
                kind=DifferenceKind.NOT_CHARGED,
                item=e.site,
                action="hosting",
                customer=e.customer,
                where=f"hosting {domain_words(e.site)} on {e.plan}, live {e.period}",
                detail=f"Hosting of {domain_words(e.site)} on {e.plan}, live {e.period}, is on no bill line for "
                f"{month}.",
                suggestion="Check the site is on the provider's account (it may be hosted elsewhere), or expect it on "
                "a later bill.",
                expected=e.cost,
            )
        )
    return matched, unbilled, differences, extra


def _overlap_days(a: Period, b: Period) -> int:
    both = a.overlap(b)
    return both.days if both is not None else 0


def _span_customer(spans_by_site: Mapping[str, Sequence[HostingSpan]], site: str) -> str:
    found = spans_by_site.get(site)
    return found[-1].customer if found else ""


def _last_live(spans: Sequence[HostingSpan]) -> date | None:
    """The site's last live day; None while it is live (or was never started)."""
    if not spans or any(s.end is None for s in spans):
        return None
    return max(s.end for s in spans if s.end is not None)


def _customer_billing(
    month: Month, spans: Sequence[HostingSpan], billing: Sequence[CustomerBilling]
) -> list[Difference]:
    """Live days with no repeating invoice to the customer (revenue lost), and repeating invoices that still raise
    invoices after the site stopped (the customer is over-billed)."""
    period = Period.of_month(month)
    spans_by_site: dict[str, list[HostingSpan]] = defaultdict(list)
    for s in spans:
        spans_by_site[s.site].append(s)
    billing_by_site: dict[str, list[CustomerBilling]] = defaultdict(list)
    for b in billing:
        billing_by_site[b.site].append(b)
    out: list[Difference] = []
    for site in sorted(set(spans_by_site) | set(billing_by_site)):
        site_spans = sorted(spans_by_site.get(site, []), key=lambda s: s.start)
        runs = billing_by_site.get(site, [])
        live = [(s, p) for s in site_spans if (p := s.within(period)) is not None]
        if live:
            gaps = [gap for _s, p in live for gap in _uncovered(p, runs)]
            if gaps:
                span = live[-1][0]
                days = sum(g.days for g in gaps)
                out.append(
                    Difference(
                        kind=DifferenceKind.LIVE_NOT_INVOICED,
                        item=site,
                        action="hosting",
                        customer=span.customer,
                        where=f"hosting {domain_words(site)} on {span.plan}",
                        detail=f"{domain_words(site)} was live for {days} day(s) of {month} (from "
                        f"{min(g.start for g in gaps)}) with "
                        f"no repeating invoice to {span.customer or 'its customer'}.",
                        suggestion="Check `orders list` and the failed actions for its repeating invoice; create it "
                        "in Xero by hand if it is missing, and invoice the days already live.",
                        expected=span.sale_rate,
                    )
                )
        last_live = _last_live(site_spans)
        if last_live is None and site_spans:
            continue
        for run in runs:
            late = [d for d in run.invoice_days(period) if last_live is None or d > last_live]
            if late:
                rate = site_spans[-1].sale_rate if site_spans else None
                total = None if rate is None else Money(amount=rate.amount * len(late), currency=rate.currency)
                out.append(
                    Difference(
                        kind=DifferenceKind.STOPPED_SITE_INVOICED,
                        item=site,
                        action="hosting",
                        customer=site_spans[-1].customer if site_spans else "",
                        where=f"repeating invoice for {domain_words(site)}",
                        detail=f"The repeating invoice for {domain_words(site)} raised {len(late)} invoice(s) "
                        f"in {month} "
                        f"({', '.join(str(d) for d in late)}) after the site was stopped"
                        + (f" on {last_live}." if last_live else "."),
                        suggestion="End the repeating invoice in Xero, then credit the customer for those invoices.",
                        expected=total,
                    )
                )
                break
    return out


def _uncovered(period: Period, runs: Sequence[CustomerBilling]) -> list[Period]:
    """The parts of `period` no repeating invoice ran on (a run covers its start to its end, both included)."""
    left = [period]
    for run in runs:
        covered = Period(start=run.start, end=run.end if run.end is not None else period.end)
        if covered.end < covered.start:
            continue
        nxt: list[Period] = []
        for piece in left:
            if piece.overlap(covered) is None:
                nxt.append(piece)
                continue
            if piece.start < covered.start:
                nxt.append(Period(start=piece.start, end=covered.start - timedelta(days=1)))
            if piece.end > covered.end:
                nxt.append(Period(start=covered.end + timedelta(days=1), end=piece.end))
        left = nxt
    return left
