"""Card money as it really moves: each payment service keeps card payments on its own clearing account and pays them
out later, several at once, net of its fees. Pure: what a service's terms are, and (below) which payments a payout
settles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from rules.money import CENT, Money
from rules.notice_text import parse_money
from rules.services import service_name

# Payment services the worker knows; `xero` is Xero's own online payments (its Stripe or GoCardless service).
PAYMENT_SERVICES = ("stripe", "paypal", "windcave", "xero")
# A card payment not paid out within its service's schedule plus this many business days is listed as late.
LATE_AFTER_BUSINESS_DAYS = 3


@dataclass(frozen=True, kw_only=True, slots=True)
class FeeRate:
    """What a service charges per payment in one currency: a percentage of the gross plus a fixed amount."""

    percent: Decimal
    fixed: Decimal = Decimal("0")

    def fee(self, gross: Decimal) -> Decimal:
        """The fee on one payment, to the cent (half up), as services round each fee."""
        return (gross * self.percent / 100 + self.fixed).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True, slots=True)
class GatewayTerms:
    """One payment service's terms as the reseller agreed them (used for estimates and plausibility only: the
    service's own figures, where it gives them, always win)."""

    name: str
    payout_days: int = 2  # business days from a payment to the payout that carries it
    fees: Mapping[str, FeeRate] = field(default_factory=dict)  # currency -> rate
    fee_tolerance: Decimal = Decimal("0.00")  # how far the fees implied by a payout may differ from the schedule

    def estimated_fee(self, gross: Money) -> Money | None:
        """The schedule's fee on one payment, or None when the schedule has no rate for its currency."""
        rate = self.fees.get(gross.currency)
        if rate is None:
            return None
        return Money(amount=rate.fee(gross.amount), currency=gross.currency)


def add_business_days(start: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `start`; a payment on Saturday counts from Monday."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def payout_due(paid_on: date, terms: GatewayTerms) -> date:
    """The last day a payout carrying a payment made on `paid_on` is expected."""
    return add_business_days(paid_on, terms.payout_days)


def late_from(paid_on: date, terms: GatewayTerms) -> date:
    """From this day on, a payment made on `paid_on` that no payout carried is listed as never paid out."""
    return add_business_days(paid_on, terms.payout_days + LATE_AFTER_BUSINESS_DAYS)


# ---------------------------------------------------------------------------------------------------- payouts

# A bank line, a payout notice and the service's record of one payout name the same net amount within these days.
SAME_PAYOUT_DAYS = 4
# Payments older than this before a payout are never its candidates (a window, not the whole history).
WINDOW_DAYS = 45
# Kinds of a service's payout line that are a customer's card payment; any other kind (refund, dispute, adjustment,
# reserve, ...) is something the worker has no record of and goes to a person.
PAYMENT_KINDS = frozenset({"charge", "payment"})
SERVICE_OWN_KINDS = frozenset({"payout"})  # the payout's own entry in its list (Stripe type "payout")


class SightingSource(StrEnum):
    BANK_LINE = "bank_line"  # the payout's line on the bank statement
    NOTICE = "notice"  # the service's authenticated payout notice
    SERVICE = "service"  # the service's own record of the payout (its API)


@dataclass(frozen=True, kw_only=True, slots=True)
class CardPayment:
    """A card payment the worker recorded on a clearing account: its first evidence (an authenticated notice or the
    service's record). Its second evidence is a payout that carried it to the bank."""

    payment_id: str  # the receipt id
    gateway: str
    money: Money  # gross: what the customer paid
    paid_on: date
    txn_ids: tuple[str, ...] = ()  # the service's ids for it (charge, payment intent, transaction)
    invoices: tuple[str, ...] = ()  # invoice numbers, for people


@dataclass(frozen=True, kw_only=True, slots=True)
class PayoutLine:
    """One entry of a payout's contents as the service itemises them (Stripe: a balance transaction)."""

    kind: str  # charge, payment, refund, dispute, adjustment, payout, ... (the service's own word)
    source_id: str  # ch_..., re_..., dp_...
    gross: Money
    fee: Money
    net: Money
    related_ids: tuple[str, ...] = ()  # other ids of the same payment (a charge's payment intent)
    description: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Sighting:
    """One sign of a payout: its bank statement line, the service's payout notice, or the service's own record."""

    source: SightingSource
    ref: str  # bank line id, message id, or the service's payout id
    gateway: str
    net: Money
    on: date  # the day it reached the bank, was announced, or (service record) arrives
    service_ref: str = ""  # the service's payout id (po_...) when the source names it
    lines: tuple[PayoutLine, ...] | None = None  # the service's itemised contents (its record only)


class Outcome(StrEnum):
    EXACT = "exact"  # the payout settles exactly these payments: book the fees and the transfer
    REVIEW = "review"  # something does not add up or is unknown: a person decides, with the candidates


@dataclass(frozen=True, kw_only=True, slots=True)
class Settlement:
    """What a payout settles, and why; or why a person must look."""

    outcome: Outcome
    strategy: str  # service_record | window
    net: Money
    payments: tuple[str, ...] = ()  # exact: the payments it settles; review: the best candidates
    gross: Money | None = None
    fees: Money | None = None
    reason: str = ""
    missing: tuple[str, ...] = ()  # what the payout holds that the worker has no record of
    review_kind: str = ""  # payout_unknown | payout_mismatch | payout_ambiguous


def payout_service(payee: str, text: str, payees: Mapping[str, tuple[str, ...]]) -> str:
    """The payment service a bank line's payee (or narrative) names as a payout of it, or ''. Whole words only, so
    'STRIPE PAYMENTS AUSTRALIA' is Stripe and 'Stripes Cafe' is nobody; two services named is nobody."""
    words = " " + _WORDS.sub(" ", f"{payee} {text}".lower()) + " "
    found = {service for service, names in payees.items() for name in names if name and f" {name.lower()} " in words}
    return found.pop() if len(found) == 1 else ""


_WORDS = re.compile(r"[^a-z0-9]+")


def same_payout(a: Sighting, b: Sighting) -> bool:
    """Two sightings of one payout: the same service, and the same payout id where both name one, otherwise the
    same net amount within SAME_PAYOUT_DAYS of each other."""
    if a.gateway != b.gateway:
        return False
    if a.service_ref and b.service_ref:
        return a.service_ref == b.service_ref
    return a.net.same_value(b.net) and abs((a.on - b.on).days) <= SAME_PAYOUT_DAYS


def _sum(moneys: Sequence[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for m in moneys:
        total = total + m
    return total


def settle_by_record(sighting: Sighting, unsettled: Sequence[CardPayment]) -> Settlement:
    """Exact matching on the service's itemised contents: each payment line must be a card payment the worker
    recorded, for the same gross; anything else (a refund, a dispute, a payment taken outside the worker) is named
    for a person. The lines must add up to the payout."""
    assert sighting.lines is not None
    net = sighting.net
    currency = net.currency
    by_id: dict[str, CardPayment] = {}
    for payment in unsettled:
        if payment.gateway == sighting.gateway:
            for txn in payment.txn_ids:
                by_id.setdefault(txn, payment)
    matched: list[CardPayment] = []
    missing: list[str] = []
    unknown = False  # something the worker has no record of (not merely an amount that differs)
    lines = [line for line in sighting.lines if line.kind not in SERVICE_OWN_KINDS]
    for line in lines:
        if line.net.currency != currency:
            missing.append(f"{line.kind} {line.source_id} in {line.net.currency}")
            continue
        if line.kind not in PAYMENT_KINDS:
            unknown = True
            missing.append(f"a {line.kind} {line.source_id} of {line.net} ({line.description or 'no description'})")
            continue
        known = next((by_id[i] for i in (line.source_id, *line.related_ids) if i in by_id), None)
        if known is None:
            unknown = True
            missing.append(f"a payment {line.source_id} of {line.gross} the worker has no record of")
        elif not known.money.same_value(line.gross):
            missing.append(f"payment {line.source_id} is {line.gross} at the service but {known.money} on record")
        elif known in matched:
            missing.append(f"payment {line.source_id} appears twice")
        else:
            matched.append(known)
    gross = _sum([line.gross for line in lines if line.net.currency == currency], currency)
    fees = _sum([line.fee for line in lines if line.net.currency == currency], currency)
    contents = _sum([line.net for line in lines if line.net.currency == currency], currency)
    ids = tuple(p.payment_id for p in matched)
    if not contents.same_value(net):
        missing.append(f"its contents add up to {contents}, not the {net} paid out")
    if missing:
        kind = "payout_unknown" if unknown else "payout_mismatch"
        return Settlement(
            outcome=Outcome.REVIEW,
            strategy="service_record",
            net=net,
            payments=ids,
            gross=gross,
            fees=fees,
            reason=f"{_service(sighting)} payout {sighting.service_ref or sighting.ref} of {net} holds "
            + "; ".join(missing),
            missing=tuple(missing),
            review_kind=kind,
        )
    return Settlement(
        outcome=Outcome.EXACT,
        strategy="service_record",
        net=net,
        payments=ids,
        gross=gross,
        fees=fees,
        reason=f"{_service(sighting)}'s record of payout {sighting.service_ref}: {len(ids)} payment(s), gross {gross}, "
        f"fees {fees}, net {net}",
    )


def settle_by_window(
    sighting: Sighting, unsettled: Sequence[CardPayment], terms: GatewayTerms, *, max_candidates: int = 5
) -> Settlement:
    """Without the service's record: the payments a payout carries are a run of the service's unsettled payments in
    time order, made before it (a payout pays out whole days, oldest first). Exact only when exactly one run's gross
    less the payout is the schedule's fees (within the tolerance); anything else goes to a person with the closest
    runs as candidates."""
    net = sighting.net
    pool = sorted(
        (
            p
            for p in unsettled
            if p.gateway == sighting.gateway
            and p.money.currency == net.currency
            and p.paid_on <= sighting.on
            and (sighting.on - p.paid_on).days <= WINDOW_DAYS
        ),
        key=lambda p: (p.paid_on, p.payment_id),
    )
    who = f"{_service(sighting)} payout of {net} on {sighting.on.isoformat()}"  # plain: reasons are also logged
    if not pool:
        return Settlement(
            outcome=Outcome.REVIEW,
            strategy="window",
            net=net,
            reason=f"{who}: no card payment through {_service(sighting)} is waiting to be paid out",
            missing=(f"payments worth {net} the worker has no record of",),
            review_kind="payout_unknown",
        )
    fees = [terms.estimated_fee(p.money) for p in pool]
    known_schedule = all(f is not None for f in fees)
    runs: list[tuple[Decimal, int, int, Money, Money]] = []  # (distance, start, end, gross, implied fee)
    for start in range(len(pool)):
        gross = Money.zero(net.currency)
        expected = Money.zero(net.currency)
        for end in range(start, len(pool)):
            gross = gross + pool[end].money
            fee = fees[end]
            if fee is not None:
                expected = expected + fee
            implied = gross - net
            if implied.amount < 0:
                continue  # fees are never negative: this run is too small
            distance = abs(implied.cents() - expected.cents()) if known_schedule else implied.cents()
            runs.append((distance, start, end + 1, gross, implied))
    if not runs:
        return Settlement(
            outcome=Outcome.REVIEW,
            strategy="window",
            net=net,
            payments=tuple(p.payment_id for p in pool[:max_candidates]),
            reason=f"{who} is more than its {len(pool)} waiting payment(s)",
            missing=("more money than the worker has a record of",),
            review_kind="payout_unknown",
        )
    runs.sort(key=lambda r: (r[0], r[2] - r[1]))
    fitting = [r for r in runs if known_schedule and r[0] <= terms.fee_tolerance]
    best = runs[0]
    chosen = pool[best[1] : best[2]]
    if len(fitting) == 1:
        _, start, end, gross, implied = fitting[0]
        chosen = pool[start:end]
        return Settlement(
            outcome=Outcome.EXACT,
            strategy="window",
            net=net,
            payments=tuple(p.payment_id for p in chosen),
            gross=gross,
            fees=implied,
            reason=f"{who}: the {len(chosen)} payment(s) from {chosen[0].paid_on.isoformat()} to "
            f"{chosen[-1].paid_on.isoformat()}, gross {gross}, less {implied} in fees as the schedule says",
        )
    if len(fitting) > 1:
        why = f"{len(fitting)} different runs of payments fit the schedule's fees; which one is not certain"
        kind = "payout_ambiguous"
    elif not known_schedule:
        why = f"there is no fee schedule for {net.currency}, so no run of payments can be confirmed"
        kind = "payout_mismatch"
    else:
        _, start, end, gross, implied = best
        expected_fee = _sum([f for f in fees[start:end] if f is not None], net.currency)
        why = (
            f"no run of payments fits: the closest ({end - start} payment(s), gross {best[3]}) implies {implied} in "
            f"fees where the schedule says {expected_fee}"
        )
        kind = "payout_mismatch"
    return Settlement(
        outcome=Outcome.REVIEW,
        strategy="window",
        net=net,
        payments=tuple(p.payment_id for p in chosen[: max_candidates * 4]),
        gross=best[3],
        fees=best[4],
        reason=f"{who}: {why}",
        review_kind=kind,
    )


def settle(sighting: Sighting, unsettled: Sequence[CardPayment], terms: GatewayTerms) -> Settlement:
    """The service's itemised record when there is one, the window and the fee schedule otherwise."""
    if sighting.lines is not None:
        return settle_by_record(sighting, unsettled)
    return settle_by_window(sighting, unsettled, terms)


def never_paid_out(
    unsettled: Sequence[CardPayment], terms: Mapping[str, GatewayTerms], today: date
) -> list[tuple[CardPayment, date]]:
    """Card payments of a set-up service that no payout carried within its schedule plus the grace days, with the
    day each became late; oldest first."""
    late: list[tuple[CardPayment, date]] = []
    for payment in unsettled:
        service = terms.get(payment.gateway)
        if service is None:
            continue
        since = late_from(payment.paid_on, service)
        if since <= today:
            late.append((payment, since))
    return sorted(late, key=lambda item: (item[0].paid_on, item[0].payment_id))


def _service(sighting: Sighting) -> str:
    return service_name(sighting.gateway)


# ---------------------------------------------------------------------------------------------- payout notices

_PAYOUT_ID = re.compile(r"\b(po_[A-Za-z0-9]{6,64})\b")  # Stripe's payout id (docs.stripe.com/api/payouts/object)


def read_payout_notice(
    *,
    gateway: str,
    message_id: str,
    subject: str,
    body: str,
    default_currency: str,
    on: date,
    amounts: Sequence[re.Pattern[str]],
) -> Sighting | None:
    """An authenticated payout notice as a sighting of that payout, or None when it names no amount plainly.
    `amounts` are the service's own sentences that state the amount paid out ("Your payout of NZ$187.42 is on its
    way", "Ihre Auszahlung über 187,42 NZ$"), group `amount`, in each language of its notice format (data: `amount`
    of its payout kind in rules/notice_formats); a payout has no payer, so no text of one can state it."""
    found = next((f for text in (subject, body) for p in amounts if (f := p.search(text))), None)
    if found is None:
        return None
    reading = parse_money(found.group("amount"), "", default_currency)  # no bare symbol counts: NZ$, NZD, 45,00 NZD
    if reading.money is None or reading.money.amount <= 0:
        return None
    ref = _PAYOUT_ID.search(f"{subject}\n{body}")
    return Sighting(
        source=SightingSource.NOTICE,
        ref=message_id,
        gateway=gateway,
        net=reading.money,
        on=on,
        service_ref=ref.group(1) if ref else "",
    )
