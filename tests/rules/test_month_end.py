"""Month-end reconciliation rules: each kind of difference, the hosting rules, the month's edges, and margins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.margin import CostFrom, Sale, endings, margin_for
from rules.money import Money
from rules.month_end import (
    CustomerBilling,
    DifferenceKind,
    DomainWork,
    HostingRule,
    HostingSpan,
    ProviderTerms,
    Reconciliation,
    expected_hosting,
    reconcile,
)
from rules.provider_bill import Charge, ChargeAction, Month, Period

OCT = Month(year=2026, month=10)
WHOLE = ProviderTerms(hosting_rule=HostingRule.WHOLE_MONTHS)
PER_DAY = ProviderTerms(hosting_rule=HostingRule.PER_DAY)
ENDING = endings(["co.nz", "nz", "com"])


def nzd(amount: str) -> Money:
    return Money.of(amount, "NZD")


def charge(
    item: str,
    amount: str,
    *,
    action: ChargeAction | None = ChargeAction.RENEW,
    on: date = date(2026, 10, 10),
    years: int = 1,
    plan: str = "",
    period: Period | None = None,
    line: int = 1,
) -> Charge:
    return Charge(
        source=f"bill line {line}",
        on=on,
        action=action,
        item=item,
        amount=nzd(amount),
        years=years,
        plan=plan,
        period=period,
    )


def work(
    domain: str,
    *,
    action: ChargeAction = ChargeAction.RENEW,
    on: date = date(2026, 10, 10),
    years: int = 1,
    sale: str = "35.00",
    cost: str | None = "21.50",
    key: str = "",
) -> DomainWork:
    return DomainWork(
        key=key or f"{action}:{domain}:{on}",
        action=action,
        domain=domain,
        years=years,
        on=on,
        customer=f"owner of {domain}",
        sale=nzd(sale),
        table_cost=None if cost is None else nzd(cost),
    )


def span(
    site: str,
    start: date,
    end: date | None = None,
    *,
    plan: str = "starter",
    sale: str = "25.00",
    cost: str = "10.00",
) -> HostingSpan:
    return HostingSpan(
        site=site,
        plan=plan,
        customer=f"owner of {site}",
        start=start,
        end=end,
        sale_rate=nzd(sale),
        cost_rate=nzd(cost),
    )


def run(
    charges: Sequence[Charge] = (),
    works: Sequence[DomainWork] = (),
    spans: Sequence[HostingSpan] = (),
    billing: Sequence[CustomerBilling] = (),
    terms: ProviderTerms = WHOLE,
) -> Reconciliation:
    return reconcile(OCT, charges=charges, work=works, spans=spans, billing=billing, terms=terms)


def kinds(recon: Reconciliation) -> list[DifferenceKind]:
    return [d.kind for d in recon.differences]


# ---- domains -----------------------------------------------------------------------------------------------------


def test_a_charge_for_exactly_what_was_done_at_the_table_price_is_no_difference() -> None:
    recon = run([charge("a.co.nz", "21.50")], [work("a.co.nz")])
    assert recon.differences == ()
    assert len(recon.matched) == 1 and recon.matched[0].domain_work is not None


def test_charged_but_not_done_by_the_worker_names_the_panel_or_auto_renew() -> None:
    recon = run([charge("auto.co.nz", "21.50")], [])
    [d] = recon.differences
    assert d.kind is DifferenceKind.NOT_DONE
    assert d.item == "auto.co.nz" and d.charged == nzd("21.50")
    assert "auto" in d.detail.lower() and "panel" in d.detail


def test_a_transfer_is_never_done_by_the_worker() -> None:
    recon = run([charge("moved.com", "18.00", action=ChargeAction.TRANSFER)], [])
    assert kinds(recon) == [DifferenceKind.NOT_DONE]


def test_done_but_not_charged() -> None:
    recon = run([], [work("forgot.co.nz", on=date(2026, 10, 5))])
    [d] = recon.differences
    assert d.kind is DifferenceKind.NOT_CHARGED and d.expected == nzd("21.50")
    assert "next month" not in d.detail
    assert recon.unbilled_work[0].domain == "forgot.co.nz"


def test_done_on_the_months_last_day_and_not_charged_says_it_may_come_next_month() -> None:
    recon = run([], [work("late.co.nz", on=date(2026, 10, 31))])
    [d] = recon.differences
    assert d.kind is DifferenceKind.NOT_CHARGED and "next month" in d.detail


def test_a_price_other_than_the_tables() -> None:
    recon = run([charge("dear.co.nz", "24.00")], [work("dear.co.nz")])
    [d] = recon.differences
    assert d.kind is DifferenceKind.PRICE
    assert d.charged == nzd("24.00") and d.expected == nzd("21.50") and d.at_stake == nzd("2.50")


def test_a_price_within_the_tolerance_is_the_same_price() -> None:
    terms = ProviderTerms(hosting_rule=HostingRule.WHOLE_MONTHS, tolerance=Decimal("0.05"))
    recon = run([charge("near.co.nz", "21.54")], [work("near.co.nz")], terms=terms)
    assert recon.differences == ()


def test_no_table_price_is_named_as_a_price_difference_that_cannot_be_checked() -> None:
    recon = run([charge("new.io", "60.00")], [work("new.io", cost=None)])
    [d] = recon.differences
    assert d.kind is DifferenceKind.PRICE and "no price" in d.detail


def test_charged_twice_for_one_renewal() -> None:
    recon = run(
        [charge("twice.co.nz", "21.50", line=3), charge("twice.co.nz", "21.50", line=9)],
        [work("twice.co.nz")],
    )
    [d] = recon.differences
    assert d.kind is DifferenceKind.CHARGED_TWICE
    assert d.where == "bill line 9" and "bill line 3" in d.detail


def test_a_second_renewal_weeks_later_is_an_auto_renewal_not_a_double_charge() -> None:
    recon = run(
        [charge("x.co.nz", "21.50", on=date(2026, 10, 2)), charge("x.co.nz", "21.50", on=date(2026, 10, 28))],
        [work("x.co.nz", on=date(2026, 10, 2))],
    )
    assert kinds(recon) == [DifferenceKind.NOT_DONE]


def test_two_renewals_done_and_charged_pair_one_to_one() -> None:
    recon = run(
        [charge("y.com", "18.00", on=date(2026, 10, 2)), charge("y.com", "18.00", on=date(2026, 10, 20))],
        [
            work("y.com", on=date(2026, 10, 2), cost="18.00", key="a"),
            work("y.com", on=date(2026, 10, 20), cost="18.00", key="b"),
        ],
    )
    assert recon.differences == ()


def test_a_term_mismatch_pairs_by_term_first() -> None:
    recon = run(
        [charge("t.co.nz", "43.00", years=2)],
        [work("t.co.nz", years=1, key="one"), work("t.co.nz", years=2, cost="43.00", key="two")],
    )
    assert [m.domain_work.key for m in recon.matched if m.domain_work] == ["two"]
    assert kinds(recon) == [DifferenceKind.NOT_CHARGED]


def test_registration_and_renewal_of_one_domain_are_different_things() -> None:
    recon = run([charge("r.co.nz", "21.50", action=ChargeAction.REGISTER)], [work("r.co.nz")])
    assert sorted(kinds(recon)) == sorted([DifferenceKind.NOT_DONE, DifferenceKind.NOT_CHARGED])


def test_work_on_the_last_day_charged_on_the_next_months_first_day_pairs_across_the_edge() -> None:
    late = work("edge.co.nz", on=date(2026, 10, 31))
    nov_line = charge("edge.co.nz", "21.50", on=date(2026, 11, 1))
    october = reconcile(OCT, charges=[nov_line], work=[late], spans=[], billing=[], terms=WHOLE)
    november = reconcile(OCT.next(), charges=[nov_line], work=[late], spans=[], billing=[], terms=WHOLE)
    assert october.differences == () and november.differences == ()


def test_a_neighbouring_months_charge_without_work_is_left_to_that_month() -> None:
    recon = run([charge("other.co.nz", "21.50", on=date(2026, 11, 2))], [])
    assert recon.differences == ()


def test_an_unreadable_line_is_named_not_lost() -> None:
    recon = run([charge("", "9.99", action=None)], [])
    [d] = recon.differences
    assert d.kind is DifferenceKind.UNREADABLE and d.charged == nzd("9.99")


# ---- hosting: the provider's rule ---------------------------------------------------------------------------------


def test_whole_months_charge_a_full_month_at_the_last_plan() -> None:
    spans = [
        span("site.nz", date(2026, 9, 1), date(2026, 10, 14), plan="starter", cost="10.00"),
        span("site.nz", date(2026, 10, 15), None, plan="business", cost="30.00"),
    ]
    [only] = expected_hosting(spans, OCT, HostingRule.WHOLE_MONTHS)
    assert only.plan == "business" and only.cost == nzd("30.00") and only.period == Period.of_month(OCT)


def test_per_day_splits_the_month_by_the_days_on_each_plan() -> None:
    spans = [
        span("site.nz", date(2026, 9, 1), date(2026, 10, 14), plan="starter", cost="31.00"),
        span("site.nz", date(2026, 10, 15), None, plan="business", cost="62.00"),
    ]
    first, second = expected_hosting(spans, OCT, HostingRule.PER_DAY)
    assert (first.plan, first.period.days, first.cost) == ("starter", 14, nzd("14.00"))
    assert (second.plan, second.period.days, second.cost) == ("business", 17, nzd("34.00"))


def test_a_site_not_live_in_the_month_is_not_expected() -> None:
    spans = [span("gone.nz", date(2026, 1, 1), date(2026, 9, 30))]
    assert expected_hosting(spans, OCT, HostingRule.WHOLE_MONTHS) == []


def billing_for(site: str, start: date, end: date | None = None) -> CustomerBilling:
    return CustomerBilling(site=site, start=start, end=end)


def test_hosting_charged_as_expected_is_no_difference() -> None:
    recon = run(
        [charge("s.nz", "10.00", action=ChargeAction.HOSTING, plan="starter")],
        spans=[span("s.nz", date(2026, 5, 3))],
        billing=[billing_for("s.nz", date(2026, 5, 3))],
    )
    assert recon.differences == ()


def test_hosting_at_another_plans_price_is_a_price_difference_naming_both_plans() -> None:
    recon = run(
        [charge("s.nz", "30.00", action=ChargeAction.HOSTING, plan="business")],
        spans=[span("s.nz", date(2026, 5, 3))],
        billing=[billing_for("s.nz", date(2026, 5, 3))],
    )
    [d] = recon.differences
    assert d.kind is DifferenceKind.PRICE and "business" in d.detail and "starter" in d.detail


def test_hosting_charged_for_a_site_stopped_before_the_month() -> None:
    recon = run(
        [charge("old.nz", "10.00", action=ChargeAction.HOSTING, plan="starter")],
        spans=[span("old.nz", date(2026, 1, 1), date(2026, 9, 20))],
        billing=[billing_for("old.nz", date(2026, 1, 1), date(2026, 9, 20))],
    )
    [d] = recon.differences
    assert d.kind is DifferenceKind.STOPPED_SITE_CHARGED and "2026-09-20" in d.detail


def test_per_day_hosting_charged_past_the_stop_is_a_stopped_site_charge() -> None:
    recon = run(
        [charge("mid.nz", "31.00", action=ChargeAction.HOSTING, plan="starter")],
        spans=[span("mid.nz", date(2026, 1, 1), date(2026, 10, 10), cost="31.00")],
        billing=[billing_for("mid.nz", date(2026, 1, 1), date(2026, 10, 10))],
        terms=PER_DAY,
    )
    [d] = recon.differences
    assert d.kind is DifferenceKind.STOPPED_SITE_CHARGED
    assert d.charged == nzd("31.00") and d.expected == nzd("10.00")


def test_whole_month_hosting_of_a_site_stopped_mid_month_is_due() -> None:
    recon = run(
        [charge("mid.nz", "10.00", action=ChargeAction.HOSTING, plan="starter")],
        spans=[span("mid.nz", date(2026, 1, 1), date(2026, 10, 10))],
        billing=[billing_for("mid.nz", date(2026, 1, 1), date(2026, 10, 10))],
    )
    assert recon.differences == ()


def test_hosting_charged_twice_for_one_month() -> None:
    recon = run(
        [
            charge("dup.nz", "10.00", action=ChargeAction.HOSTING, plan="starter", line=1),
            charge("dup.nz", "10.00", action=ChargeAction.HOSTING, plan="starter", line=2),
        ],
        spans=[span("dup.nz", date(2026, 5, 3))],
        billing=[billing_for("dup.nz", date(2026, 5, 3))],
    )
    [d] = recon.differences
    assert d.kind is DifferenceKind.CHARGED_TWICE and d.where == "bill line 2"


def test_hosting_for_a_site_the_worker_never_started_is_not_done_by_the_worker() -> None:
    recon = run([charge("panel.nz", "10.00", action=ChargeAction.HOSTING, plan="starter")])
    [d] = recon.differences
    assert d.kind is DifferenceKind.NOT_DONE and "hosting start" in d.suggestion


def test_live_hosting_not_charged() -> None:
    recon = run(spans=[span("free.nz", date(2026, 5, 3))], billing=[billing_for("free.nz", date(2026, 5, 3))])
    [d] = recon.differences
    assert d.kind is DifferenceKind.NOT_CHARGED and d.expected == nzd("10.00")


def test_hosting_lines_for_another_month_are_not_this_months() -> None:
    nov = Period.of_month(OCT.next())
    recon = run(
        [charge("adv.nz", "10.00", action=ChargeAction.HOSTING, plan="starter", period=nov)],
        spans=[span("adv.nz", date(2026, 5, 3))],
        billing=[billing_for("adv.nz", date(2026, 5, 3))],
    )
    assert kinds(recon) == [DifferenceKind.NOT_CHARGED]


# ---- hosting: the customer's side ---------------------------------------------------------------------------------


def test_a_live_site_with_no_repeating_invoice_is_revenue_lost() -> None:
    recon = run(
        [charge("lost.nz", "10.00", action=ChargeAction.HOSTING, plan="starter")],
        spans=[span("lost.nz", date(2026, 10, 12))],
        billing=[],
    )
    [d] = recon.differences
    assert d.kind is DifferenceKind.LIVE_NOT_INVOICED
    assert "20 day(s)" in d.detail and "2026-10-12" in d.detail and d.expected == nzd("25.00")


def test_a_repeating_invoice_ended_while_the_site_is_live_is_revenue_lost() -> None:
    recon = run(
        [charge("cut.nz", "10.00", action=ChargeAction.HOSTING, plan="starter")],
        spans=[span("cut.nz", date(2026, 1, 1))],
        billing=[billing_for("cut.nz", date(2026, 1, 1), date(2026, 10, 21))],
    )
    assert kinds(recon) == [DifferenceKind.LIVE_NOT_INVOICED]
    assert "10 day(s)" in recon.differences[0].detail


def test_a_repeating_invoice_still_running_for_a_stopped_site_over_bills_the_customer() -> None:
    recon = run(
        [],
        spans=[span("stopped.nz", date(2026, 3, 5), date(2026, 9, 30))],
        billing=[billing_for("stopped.nz", date(2026, 3, 5), None)],
    )
    [d] = recon.differences
    assert d.kind is DifferenceKind.STOPPED_SITE_INVOICED
    assert "2026-10-05" in d.detail and d.expected == nzd("25.00")


def test_a_repeating_invoice_ended_with_the_site_over_bills_no_one() -> None:
    recon = run(
        [],
        spans=[span("ok.nz", date(2026, 3, 5), date(2026, 10, 2))],
        billing=[billing_for("ok.nz", date(2026, 3, 5), date(2026, 10, 2))],
    )
    assert DifferenceKind.STOPPED_SITE_INVOICED not in kinds(recon)


def test_invoice_days_follow_xeros_monthly_schedule_on_short_months() -> None:
    run_ = CustomerBilling(site="x.nz", start=date(2026, 1, 31), end=None)
    assert run_.invoice_days(Period.of_month(Month(year=2026, month=2))) == [date(2026, 2, 28)]
    assert run_.invoice_days(Period.of_month(Month(year=2026, month=1))) == [date(2026, 1, 31)]


# ---- one of each ---------------------------------------------------------------------------------------------------


def every_kind() -> tuple[list[Charge], list[DomainWork], list[HostingSpan], list[CustomerBilling]]:
    charges = [
        charge("ok.co.nz", "21.50", line=1),
        charge("panel.co.nz", "21.50", line=2),
        charge("dear.com", "20.00", line=3),
        charge("twice.nz", "21.50", line=4),
        charge("twice.nz", "21.50", line=5),
        charge("gone.nz", "10.00", action=ChargeAction.HOSTING, plan="starter", line=6),
        charge("live.nz", "10.00", action=ChargeAction.HOSTING, plan="starter", line=7),
    ]
    works = [
        work("ok.co.nz"),
        work("dear.com", cost="18.00"),
        work("twice.nz"),
        work("forgot.co.nz", action=ChargeAction.REGISTER, sale="10.00", cost="21.50"),
    ]
    spans = [
        span("gone.nz", date(2026, 1, 1), date(2026, 8, 31)),
        span("live.nz", date(2026, 2, 1)),
        span("overbilled.nz", date(2026, 2, 1), date(2026, 9, 15)),
    ]
    billing = [
        billing_for("gone.nz", date(2026, 1, 1), date(2026, 8, 31)),
        billing_for("overbilled.nz", date(2026, 2, 1)),
    ]
    return charges, works, spans, billing


def test_one_of_each_kind_is_named_exactly_once() -> None:
    charges, works, spans, billing = every_kind()
    recon = run(charges, works, spans, billing)
    assert sorted(kinds(recon)) == sorted(k for k in DifferenceKind if k is not DifferenceKind.UNREADABLE)


# ---- margin ---------------------------------------------------------------------------------------------------------


def test_margin_lines_take_the_bills_cost_or_the_tables_before_the_bill() -> None:
    charges, works, spans, billing = every_kind()
    recon = run(charges, works, spans, billing)
    margin = margin_for(recon, currency="NZD", spans=spans, billing=billing, ending=ENDING)
    by_item = {(ln.action, ln.item): ln for ln in margin.lines}
    assert by_item[("renew", "dear.com")].cost == nzd("20.00")
    assert by_item[("renew", "dear.com")].cost_from is CostFrom.BILL
    forgot = by_item[("register", "forgot.co.nz")]
    assert forgot.cost_from is CostFrom.PRICE_TABLE and forgot.margin == nzd("-11.50") and forgot.negative
    assert by_item[("renew", "panel.co.nz")].sale == nzd("0") and by_item[("renew", "panel.co.nz")].negative
    live = by_item[("hosting", "live.nz")]
    assert live.sale == nzd("0") and live.cost == nzd("10.00")  # no repeating invoice: nothing sold
    over = by_item[("hosting", "overbilled.nz")]
    assert over.sale == nzd("25.00") and over.cost == nzd("0")
    assert forgot in margin.negative_lines


def test_hosting_sale_is_the_repeating_invoices_invoices_in_the_month() -> None:
    spans = [
        span("up.nz", date(2026, 5, 20), date(2026, 10, 9), plan="starter", sale="25.00"),
        span("up.nz", date(2026, 10, 10), None, plan="business", sale="45.00", cost="30.00"),
    ]
    billing = [billing_for("up.nz", date(2026, 5, 20))]
    recon = run([charge("up.nz", "30.00", action=ChargeAction.HOSTING, plan="business")], spans=spans, billing=billing)
    margin = margin_for(recon, currency="NZD", spans=spans, billing=billing, ending=ENDING)
    [line] = margin.lines
    assert (line.sale, line.cost, line.margin, line.plan) == (nzd("45.00"), nzd("30.00"), nzd("15.00"), "business")


def test_setup_sales_count_with_no_cost() -> None:
    sale = Sale(action="setup", item="new.co.nz", customer="C", amount=nzd("45.00"), on=date(2026, 10, 3), plan="x")
    recon = run()
    margin = margin_for(recon, currency="NZD", spans=[], billing=[], sales=[sale], ending=ENDING)
    assert margin.total.margin == nzd("45.00") and margin.by_plan[0].key == "x"
    assert margin.by_ending[0].key == "co.nz"


def test_lines_in_another_currency_are_kept_apart() -> None:
    usd = Charge(
        source="l1", on=date(2026, 10, 3), action=ChargeAction.RENEW, item="u.com", amount=Money.of("9", "USD")
    )
    recon = run([usd], [work("u.com", cost="18.00")])
    margin = margin_for(recon, currency="NZD", spans=[], billing=[], ending=ENDING)
    assert margin.lines == () and len(margin.other_currency) == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a.co.nz", "b.com", "c.nz", "d.co.nz"]),
            st.sampled_from(list(ChargeAction)),
            st.integers(min_value=0, max_value=9000),
            st.integers(min_value=1, max_value=31),
            st.booleans(),
        ),
        max_size=25,
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["a.co.nz", "b.com", "c.nz", "d.co.nz"]),
            st.sampled_from([ChargeAction.REGISTER, ChargeAction.RENEW]),
            st.integers(min_value=0, max_value=9000),
            st.integers(min_value=1, max_value=31),
        ),
        max_size=25,
    ),
)
def test_every_margin_total_is_the_sum_of_its_lines(
    charge_specs: list[tuple[str, ChargeAction, int, int, bool]],
    work_specs: list[tuple[str, ChargeAction, int, int]],
) -> None:
    charges = [
        charge(
            item,
            str(Decimal(cents) / 100),
            action=action,
            on=date(2026, 10, day),
            plan="starter" if action is ChargeAction.HOSTING else "",
            line=n,
        )
        if readable
        else charge(item, str(Decimal(cents) / 100), action=None, on=date(2026, 10, day), line=n)
        for n, (item, action, cents, day, readable) in enumerate(charge_specs)
    ]
    works = [
        work(domain, action=action, on=date(2026, 10, day), sale=str(Decimal(cents) / 100), key=f"w{n}")
        for n, (domain, action, cents, day) in enumerate(work_specs)
    ]
    spans = [span("c.nz", date(2026, 9, 1), date(2026, 10, 12)), span("d.co.nz", date(2026, 10, 20))]
    billing = [billing_for("c.nz", date(2026, 9, 1))]
    recon = run(charges, works, spans, billing)
    margin = margin_for(recon, currency="NZD", spans=spans, billing=billing, ending=ENDING)
    zero = nzd("0")
    assert margin.total.sale == sum((ln.sale for ln in margin.lines), zero)
    assert margin.total.cost == sum((ln.cost for ln in margin.lines), zero)
    assert margin.total.margin == sum((ln.margin for ln in margin.lines), zero)
    assert margin.total.lines == len(margin.lines)
    for groups in (margin.by_action, margin.by_customer, margin.by_ending):
        assert sum((g.margin for g in groups), zero) == margin.total.margin
        assert sum(g.lines for g in groups) == len(margin.lines)
    assert margin.by_plan == () or all(g.lines > 0 for g in margin.by_plan)
    for group in margin.by_action:
        lines = [ln for ln in margin.lines if ln.action == group.key]
        assert group.margin == sum((ln.margin for ln in lines), zero)
        assert group.negative is (group.margin.amount < 0)
    # Every charge of the month is costed exactly once.
    billed = sum((ln.cost for ln in margin.lines if ln.cost_from is CostFrom.BILL), zero)
    assert billed == sum((c.amount for c in charges), zero)


def test_month_parsing_refuses_other_spellings() -> None:
    assert str(Month.parse("2026-10")) == "2026-10"
    for bad in ("2026-13", "10/2026", "2026-1", "Oct 2026"):
        with pytest.raises(ValueError):
            Month.parse(bad)


def test_an_internationalised_domain_or_site_is_named_in_unicode() -> None:
    """The bill and the worker hold the IDNA form (it is what they compare); the words a person reads name the
    domain as its customer writes it."""
    recon = run(
        [charge("xn--mnchen-3ya.de", "21.50")],
        [work("xn--kln-sna.de", on=date(2026, 10, 5))],
        [span("xn--strae-oqa.de", date(2026, 9, 1))],
    )
    words = {d.item: d.detail for d in recon.differences}
    assert words["xn--mnchen-3ya.de"].startswith("renew of münchen.de")
    assert words["xn--kln-sna.de"].startswith("renew of köln.de")
    assert words["xn--strae-oqa.de"].startswith("straße.de was live for 31 day(s)")
