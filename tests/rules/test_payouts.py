"""Which card payments a payout settles, table by table: the service's itemised record (exact, or a person is told
what is missing), and without it the window and the fee schedule (exact only when one run of payments fits)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from rules.money import Money
from rules.payouts import (
    CardPayment,
    FeeRate,
    GatewayTerms,
    Outcome,
    PayoutLine,
    Sighting,
    SightingSource,
    never_paid_out,
    payout_service,
    same_payout,
    settle,
)

STRIPE = GatewayTerms(
    name="stripe", payout_days=4, fees={"NZD": FeeRate(percent=Decimal("2.7"), fixed=Decimal("0.30"))}
)
MONDAY = date(2026, 11, 16)


def nzd(amount: str) -> Money:
    return Money.of(amount, "NZD")


def card(n: int, amount: str, paid_on: date, *, gateway: str = "stripe", txn: str = "") -> CardPayment:
    return CardPayment(
        payment_id=f"msg-{n}@stripe.com",
        gateway=gateway,
        money=nzd(amount),
        paid_on=paid_on,
        txn_ids=(txn or f"pi_{n:04d}",),
        invoices=(f"INV-{n:04d}",),
    )


def fee(amount: str) -> Money:
    return Money(amount=STRIPE.fees["NZD"].fee(Decimal(amount)), currency="NZD")


def net_of(*amounts: str) -> Money:
    total = nzd("0")
    for a in amounts:
        total = total + nzd(a) - fee(a)
    return total


def bank(net: Money, on: date, *, gateway: str = "stripe", ref: str = "line-1") -> Sighting:
    return Sighting(source=SightingSource.BANK_LINE, ref=ref, gateway=gateway, net=net, on=on)


def charge_line(payment: CardPayment, *, charge: str = "", gross: str = "") -> PayoutLine:
    amount = gross or str(payment.money.amount)
    return PayoutLine(
        kind="charge",
        source_id=charge or f"ch_{payment.payment_id[4:8]}",
        related_ids=payment.txn_ids,
        gross=nzd(amount),
        fee=fee(amount),
        net=nzd(amount) - fee(amount),
    )


def record(lines: list[PayoutLine], net: Money | None = None, *, po: str = "po_1") -> Sighting:
    total = nzd("0")
    for line in lines:
        total = total + line.net
    return Sighting(
        source=SightingSource.SERVICE,
        ref=po,
        gateway="stripe",
        net=net or total,
        on=MONDAY,
        service_ref=po,
        lines=tuple([*lines, PayoutLine(kind="payout", source_id=po, gross=-total, fee=nzd("0"), net=-total)]),
    )


# ---- the service's record ---------------------------------------------------------------------------------------


def test_the_record_settles_exactly_the_payments_it_lists() -> None:
    a, b, c = (
        card(1, "45.00", MONDAY - timedelta(days=6)),
        card(2, "30.00", MONDAY - timedelta(days=5)),
        card(3, "120.00", MONDAY - timedelta(days=4)),
    )
    s = settle(record([charge_line(a), charge_line(b)]), [a, b, c], STRIPE)
    assert s.outcome is Outcome.EXACT and s.strategy == "service_record"
    assert s.payments == (a.payment_id, b.payment_id)
    assert s.gross == nzd("75.00") and s.fees == fee("45.00") + fee("30.00") and s.net == net_of("45.00", "30.00")


@pytest.mark.parametrize(
    ("extra", "missing_word"),
    [
        (PayoutLine(kind="refund", source_id="re_1", gross=nzd("-20.00"), fee=nzd("0"), net=nzd("-20.00")), "refund"),
        (
            PayoutLine(kind="dispute", source_id="dp_1", gross=nzd("-45.00"), fee=nzd("15.00"), net=nzd("-60.00")),
            "dispute",
        ),
        (
            PayoutLine(kind="charge", source_id="ch_x", gross=nzd("80.00"), fee=nzd("2.46"), net=nzd("77.54")),
            "no record",
        ),
        (
            PayoutLine(kind="adjustment", source_id="adj_1", gross=nzd("1.00"), fee=nzd("0"), net=nzd("1.00")),
            "adjustment",
        ),
    ],
    ids=["refund", "chargeback", "taken-outside-the-worker", "adjustment"],
)
def test_what_the_worker_has_no_record_of_goes_to_a_person(extra: PayoutLine, missing_word: str) -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=6))
    s = settle(record([charge_line(a), extra]), [a], STRIPE)
    assert s.outcome is Outcome.REVIEW and s.review_kind == "payout_unknown"
    assert s.payments == (a.payment_id,)  # the candidates it does know
    assert any(missing_word in m for m in s.missing), s.missing
    assert extra.source_id in s.reason


def test_a_different_amount_at_the_service_is_a_mismatch() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=6))
    s = settle(record([charge_line(a, gross="40.00")]), [a], STRIPE)
    assert s.outcome is Outcome.REVIEW and s.review_kind == "payout_mismatch"
    assert "40.00 NZD at the service but 45.00 NZD on record" in s.reason


def test_contents_that_do_not_add_up_to_the_payout_are_named() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=6))
    s = settle(record([charge_line(a)], net=nzd("40.00")), [a], STRIPE)
    assert s.outcome is Outcome.REVIEW and "not the 40.00 NZD paid out" in s.reason


def test_a_charge_is_known_by_its_payment_intent_or_its_own_id() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=6), txn="ch_3Qabc")
    line = PayoutLine(
        kind="charge", source_id="ch_3Qabc", gross=nzd("45.00"), fee=fee("45.00"), net=nzd("45.00") - fee("45.00")
    )
    assert settle(record([line]), [a], STRIPE).outcome is Outcome.EXACT


# ---- the window and the fee schedule --------------------------------------------------------------------------


def test_one_run_of_payments_that_fits_the_schedule_is_exact() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=8))
    b = card(2, "30.00", MONDAY - timedelta(days=7))
    c = card(3, "120.00", MONDAY - timedelta(days=6))
    later = card(4, "25.00", MONDAY - timedelta(days=1))
    s = settle(bank(net_of("45.00", "30.00", "120.00"), MONDAY), [later, c, a, b], STRIPE)
    assert s.outcome is Outcome.EXACT and s.strategy == "window"
    assert s.payments == (a.payment_id, b.payment_id, c.payment_id)
    assert s.fees == fee("45.00") + fee("30.00") + fee("120.00")


def test_payments_after_the_payout_and_of_other_services_are_never_candidates() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=8))
    after = card(2, "45.00", MONDAY + timedelta(days=1))
    paypal = card(3, "45.00", MONDAY - timedelta(days=8), gateway="paypal")
    s = settle(bank(net_of("45.00"), MONDAY), [after, paypal, a], STRIPE)
    assert s.outcome is Outcome.EXACT and s.payments == (a.payment_id,)


def test_two_runs_that_fit_are_ambiguous_not_a_guess() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=8))
    b = card(2, "45.00", MONDAY - timedelta(days=7))
    s = settle(bank(net_of("45.00"), MONDAY), [a, b], STRIPE)
    assert s.outcome is Outcome.REVIEW and s.review_kind == "payout_ambiguous"


def test_fees_off_the_schedule_go_to_a_person_with_the_closest_run() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=8))
    b = card(2, "30.00", MONDAY - timedelta(days=7))
    s = settle(bank(net_of("45.00", "30.00") - nzd("0.05"), MONDAY), [a, b], STRIPE)
    assert s.outcome is Outcome.REVIEW and s.review_kind == "payout_mismatch"
    assert s.payments == (a.payment_id, b.payment_id)
    assert "implies 2.68 NZD in fees where the schedule says 2.63 NZD" in s.reason, s.reason


def test_a_tolerance_lets_a_rounding_difference_through() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=8))
    terms = GatewayTerms(name="stripe", payout_days=4, fees=STRIPE.fees, fee_tolerance=Decimal("0.05"))
    s = settle(bank(net_of("45.00") - nzd("0.03"), MONDAY), [a], terms)
    assert s.outcome is Outcome.EXACT and s.fees == fee("45.00") + nzd("0.03")


def test_no_schedule_for_the_currency_means_no_certainty() -> None:
    a = card(1, "45.00", MONDAY - timedelta(days=8))
    s = settle(bank(net_of("45.00"), MONDAY), [a], GatewayTerms(name="stripe"))
    assert s.outcome is Outcome.REVIEW and "no fee schedule for NZD" in s.reason


def test_a_payout_with_nothing_waiting_is_unknown_money() -> None:
    s = settle(bank(nzd("99.00"), MONDAY), [], STRIPE)
    assert s.outcome is Outcome.REVIEW and s.review_kind == "payout_unknown"
    s = settle(bank(nzd("999.00"), MONDAY), [card(1, "45.00", MONDAY - timedelta(days=8))], STRIPE)
    assert s.outcome is Outcome.REVIEW and s.review_kind == "payout_unknown"


# ---- recognising and grouping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payee", "text", "expected"),
    [
        ("STRIPE", "", "stripe"),
        ("Stripe Payments Australia", "", "stripe"),
        ("", "TRANSFER FROM STRIPE PAYOUT", "stripe"),
        ("Stripes Cafe", "", ""),
        ("PAYPAL *TRANSFER", "", "paypal"),
        ("DPS PAYMENT EXPRESS", "", "windcave"),
        ("STRIPE", "PAYPAL", ""),  # two services named: nobody
        ("OLIVER FALEOLO", "INV-0703", ""),
    ],
)
def test_a_bank_line_names_its_payment_service(payee: str, text: str, expected: str) -> None:
    payees = {"stripe": ("stripe",), "paypal": ("paypal",), "windcave": ("windcave", "payment express")}
    assert payout_service(payee, text, payees) == expected


def test_a_bank_line_and_a_notice_of_one_payout_are_one_payout() -> None:
    line = bank(nzd("187.42"), MONDAY)
    notice = Sighting(
        source=SightingSource.NOTICE, ref="m1", gateway="stripe", net=nzd("187.42"), on=MONDAY - timedelta(days=2)
    )
    record_ = Sighting(
        source=SightingSource.SERVICE, ref="po_1", gateway="stripe", net=nzd("187.42"), on=MONDAY, service_ref="po_1"
    )
    assert same_payout(line, notice) and same_payout(line, record_)
    assert not same_payout(line, bank(nzd("187.43"), MONDAY))
    assert not same_payout(line, bank(nzd("187.42"), MONDAY + timedelta(days=9)))
    assert not same_payout(line, bank(nzd("187.42"), MONDAY, gateway="paypal"))
    other = Sighting(
        source=SightingSource.SERVICE, ref="po_2", gateway="stripe", net=nzd("187.42"), on=MONDAY, service_ref="po_2"
    )
    assert not same_payout(record_, other)


def test_payments_not_paid_out_in_time_are_late() -> None:
    wednesday = date(2026, 11, 25)
    a = card(1, "45.00", wednesday)
    unset = card(2, "45.00", wednesday, gateway="windcave")  # a service that is not set up is never late
    assert never_paid_out([a, unset], {"stripe": STRIPE}, date(2026, 12, 3)) == []
    assert never_paid_out([a, unset], {"stripe": STRIPE}, date(2026, 12, 4)) == [(a, date(2026, 12, 4))]
