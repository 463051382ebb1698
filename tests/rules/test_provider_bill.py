"""Reading the provider's bill: the CSV statement (all or nothing, errors by line number) and Xero bill-line text."""

from __future__ import annotations

from datetime import date

import pytest

from rules.money import Money
from rules.provider_bill import ChargeAction, Month, Period, StatementError, read_bill_line, read_statement

HEADER = "date,action,domain,years,plan,period_from,period_to,amount,currency,reference\n"
OCT = Month(year=2026, month=10)


def test_a_statement_reads_every_kind_of_line() -> None:
    text = (
        HEADER
        + "2026-10-03,register,New.co.nz,1,,,,21.50,,R-1\n"
        + "2026-10-04,Renewal,old.com,2,,,,36.00,NZD,R-2\n"
        + "2026-10-05,transfer,moved.nz,,,,,21.50,,\n"
        + "2026-10-31,hosting,site.nz,,Business,2026-10-01,2026-10-31,30.00,,H-9\n"
        + "2026-10-31,hosting,other.nz,,starter,,,10.00,,\n"
    )
    reg, ren, tra, host, host2 = read_statement(text, name="oct.csv", currency="NZD")
    assert (reg.action, reg.item, reg.years, reg.amount, reg.reference) == (
        ChargeAction.REGISTER,
        "new.co.nz",
        1,
        Money.of("21.50", "NZD"),
        "R-1",
    )
    assert (ren.action, ren.years, reg.source) == (ChargeAction.RENEW, 2, "oct.csv line 2")
    assert tra.action is ChargeAction.TRANSFER and tra.years == 1
    assert host.plan == "business" and host.period == Period(start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert host2.period is None and host2.service_period == Period.of_month(OCT)


def test_columns_may_come_in_any_order_with_extra_columns_ignored() -> None:
    text = "Amount,Domain,Notes,Action,Date\n18.00,a.com,first,renew,2026-10-09\n"
    [only] = read_statement(text, name="x.csv", currency="AUD")
    assert only.amount == Money.of("18.00", "AUD") and only.item == "a.com"


def test_every_unreadable_line_is_named_by_its_number_and_nothing_is_returned() -> None:
    text = (
        HEADER
        + "2026-10-03,register,ok.co.nz,1,,,,21.50,,\n"
        + "2026-13-03,register,bad-date.co.nz,1,,,,21.50,,\n"  # line 3
        + "\n"
        + "2026-10-04,rebuy,what.co.nz,1,,,,21.50,,\n"  # line 5
        + "2026-10-04,renew,not a domain,1,,,,21.50,,\n"  # line 6
        + "2026-10-04,renew,ok.nz,1,,,,twenty,,\n"  # line 7
        + "2026-10-04,renew,ok.nz,0,,,,21.50,,\n"  # line 8
        + "2026-10-04,hosting,site.nz,,,,,10.00,,\n"  # line 9: no plan
        + "2026-10-04,renew,ok.nz,1,,2026-10-01,2026-10-31,21.50,,\n"  # line 10: period on a domain
        + "2026-10-04,hosting,site.nz,,starter,2026-10-31,2026-10-01,10.00,,\n"  # line 11: backwards
        + "2026-10-04,renew,ok.nz,1,,,,-21.50,,\n"  # line 12: a credit
        + "2026-10-04,renew,ok.nz,1,,,,21.50,NZDOLLARS,\n"  # line 13
        + "2026-10-04,renew,ok.nz,1,,,,21.50,,,extra\n"  # line 14: too many cells
        + ",renew,ok.nz,1,,,,21.50,,\n"  # line 15: no date
    )
    with pytest.raises(StatementError) as caught:
        read_statement(text, name="oct.csv", currency="NZD")
    numbers = [p.split(":")[0] for p in caught.value.problems]
    assert numbers == [f"oct.csv line {n}" for n in (3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)]
    assert "credit" in caught.value.problems[8]
    assert "date" in caught.value.problems[-1]


def test_a_quoted_cell_spanning_lines_keeps_later_line_numbers_true() -> None:
    text = HEADER + '2026-10-03,register,a.co.nz,1,,,,21.50,,"two\nlines"\n2026-10-03,register,b.co.nz,1,,,,x,,\n'
    with pytest.raises(StatementError) as caught:
        read_statement(text, name="f.csv", currency="NZD")
    assert caught.value.problems == ["f.csv line 4: amount 'x' is not an amount like 18.50"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("date,action,amount\n2026-10-01,renew,1\n", "missing column(s) domain"),
        ("date,action,domain,amount,Amount\n", "named twice"),
        ("date,action,domain,amount\n", "no charges"),
    ],
)
def test_a_file_that_is_not_a_statement_is_refused_whole(text: str, fragment: str) -> None:
    with pytest.raises(StatementError) as caught:
        read_statement(text, name="f.csv", currency="NZD")
    assert fragment in str(caught.value)


def test_a_byte_order_mark_is_not_part_of_the_first_column() -> None:
    [only] = read_statement("\ufeff" + HEADER + "2026-10-03,renew,a.nz,1,,,,21.50,,\n", name="f", currency="NZD")
    assert only.item == "a.nz"


def test_a_bill_line_names_its_action_domain_and_years() -> None:
    c = read_bill_line("Domain Renewal - Example.CO.NZ - 2 Years", source="s", amount=Money.of("43", "NZD"), covers=OCT)
    assert (c.action, c.item, c.years, c.on) == (ChargeAction.RENEW, "example.co.nz", 2, date(2026, 10, 31))


def test_a_bill_line_with_a_day_is_dated_that_day() -> None:
    c = read_bill_line("Registration a.com 2026-10-14", source="s", amount=Money.of("18", "NZD"), covers=OCT)
    assert (c.action, c.on) == (ChargeAction.REGISTER, date(2026, 10, 14))


def test_a_hosting_line_reads_plan_and_period_or_takes_the_bills_month() -> None:
    a = read_bill_line(
        "Web hosting - business plan - site.nz - 2026-10-01 to 2026-10-15",
        source="s",
        amount=Money.of("15", "NZD"),
        covers=OCT,
    )
    assert (a.action, a.plan, a.item) == (ChargeAction.HOSTING, "business", "site.nz")
    assert a.period == Period(start=date(2026, 10, 1), end=date(2026, 10, 15))
    b = read_bill_line(
        "Hosting Starter site.nz November 2026",
        source="s",
        amount=Money.of("10", "NZD"),
        covers=OCT,
        plans=frozenset({"starter", "business"}),
    )
    assert b.plan == "starter" and b.period == Period.of_month(OCT.next())
    c = read_bill_line("Hosting: plan: starter site.nz", source="s", amount=Money.of("10", "NZD"), covers=OCT)
    assert c.period == Period.of_month(OCT)


def test_the_item_codes_action_wins_over_the_words() -> None:
    c = read_bill_line(
        "example.com 1y",
        source="s",
        amount=Money.of("18", "NZD"),
        covers=OCT,
        item_action=ChargeAction.TRANSFER,
    )
    assert c.action is ChargeAction.TRANSFER


@pytest.mark.parametrize(
    "text",
    ["Monthly account fee", "Renewal for customer@example.com", "Hosting site.nz", "Registration fee"],
)
def test_a_line_without_action_domain_or_plan_is_kept_unreadable(text: str) -> None:
    c = read_bill_line(text, source="s", amount=Money.of("5", "NZD"), covers=OCT)
    assert c.action is None and c.amount == Money.of("5", "NZD") and c.text == text
