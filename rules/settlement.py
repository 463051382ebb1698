"""What approving a receipt for orders would record and do, worked out before anything is written. Pure.

By default an approval must settle the chosen orders exactly, in their currency; anything else is refused with
the difference and the options a person has:
- `part`: a receipt short of what is owed is recorded as a part payment; each order's effect (registration,
  renewal, hosting start) waits until that order is paid in full.
- `home_amount`: a receipt in another currency counts for what arrived in the home currency; the payment is
  recorded in the invoice's currency with that amount, and the rate it implies is shown.
- `overpaid`: what is owed is applied and the rest is kept as a credit to refund or apply; never absorbed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rules.model import OrderKind, Receipt, ReceiptSource
from rules.money import CENT, Money
from rules.words import date_words, joined, money_words, order_words, years_words

# Orders that still owe money; paid, done and closed orders are never paid again.
PAYABLE = frozenset({"open", "part_paid"})
RATE_PLACES = Decimal("0.0001")


class Outcome(StrEnum):
    EXACT = "exact"
    PART = "part"
    OVERPAID = "overpaid"


@dataclass(frozen=True, kw_only=True, slots=True)
class OwedOrder:
    """An order as the approval sees it: what it is for and what it still owes now."""

    order_id: str
    kind: OrderKind
    invoice_id: str
    invoice_number: str
    customer: str
    owed: Money  # still owed: the invoice's amount less any part payments already recorded
    domain: str = ""
    plan: str = ""
    years: int = 1
    status: str = "open"
    paid_by: str = ""  # for an order that is no longer open: the receipt that paid it

    @property
    def what(self) -> str:
        return order_words(self.kind, self.domain, self.plan, self.years)

    @property
    def named(self) -> str:
        """INV-0703 (renewal of example.nz); an order that is one line of several names itself too."""
        number = (
            self.invoice_number if self.order_id == self.invoice_number else f"{self.invoice_number} [{self.order_id}]"
        )
        return f"{number} ({self.what})"

    @property
    def action(self) -> str:
        """The effect an order has once paid in full: register, renew, start_hosting, or '' (payment only)."""
        if self.kind is OrderKind.DOMAIN_REGISTRATION and self.domain:
            return "register"
        if self.kind is OrderKind.DOMAIN_RENEWAL and self.domain:
            return "renew"
        if self.kind is OrderKind.SETUP and self.plan and self.domain:
            return "start_hosting"
        return ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Terms:
    """What the person allowed beyond an exact settlement."""

    part: bool = False
    overpaid: bool = False
    home_amount: Decimal | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Option:
    """One way out of a refusal: the flags to add to the same approval, and what they would do."""

    flags: str
    says: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Refusal:
    """Why the approval cannot go ahead as asked; nothing is recorded or queued."""

    reason: str
    difference: Money | None = None
    options: tuple[Option, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Allocation:
    order: OwedOrder
    applied: Money

    @property
    def left(self) -> Money:
        return self.order.owed - self.applied

    @property
    def complete(self) -> bool:
        return self.left.cents() <= 0


@dataclass(frozen=True, kw_only=True, slots=True)
class PlannedPayment:
    """One payment on one invoice in Xero (or, for a Xero payment, the one already there)."""

    invoice_id: str
    invoice_number: str
    customer: str
    order_ids: tuple[str, ...]
    amount: Money
    account_code: str
    paid_on: date
    reference: str
    already_in_xero: bool
    left: Money  # what the invoice's chosen orders still owe after it


@dataclass(frozen=True, kw_only=True, slots=True)
class Settlement:
    """Exactly what an approval records and does."""

    receipt_id: str
    received: Money  # the receipt as it came
    applied: Money  # what counts, in the orders' currency
    rate: Decimal | None  # orders' currency per unit of the receipt's, when converted
    outcome: Outcome
    allocations: tuple[Allocation, ...]
    payments: tuple[PlannedPayment, ...]
    credit: Money | None  # kept for the reseller to refund or apply

    @property
    def paid_in_full(self) -> tuple[OwedOrder, ...]:
        return tuple(a.order for a in self.allocations if a.complete)

    @property
    def part_paid(self) -> tuple[Allocation, ...]:
        return tuple(a for a in self.allocations if not a.complete)

    def lines(self) -> list[str]:
        """The plan in sentences, one per thing recorded or done."""
        out: list[str] = []
        if self.rate is not None:
            out.append(
                f"{money_words(self.received)} arrived as {money_words(self.applied)} "
                f"(rate {self.rate.quantize(RATE_PLACES)} {self.applied.currency} per {self.received.currency})."
            )
        for p in self.payments:
            owing = f"; {money_words(p.left)} still owed" if p.left.cents() > 0 else ", paying it in full"
            if p.already_in_xero:
                out.append(
                    f"Xero already holds this payment of {money_words(p.amount)} on {p.invoice_number} "
                    f"({p.customer}){owing}: nothing to record."
                )
            else:
                out.append(
                    f"Record a payment in Xero on {p.invoice_number} ({p.customer}): {money_words(p.amount)} "
                    f"into account {p.account_code}, dated {date_words(p.paid_on)}, reference {p.reference}{owing}."
                )
        for a in self.allocations:
            effect = _effect_words(a.order)
            if a.complete:
                out.append(f"Then: {effect}." if effect else f"{a.order.named} is paid in full; nothing else to do.")
            else:
                what = a.order.what
                out.append(
                    f"The {what} waits until {a.order.invoice_number} is paid in full ({money_words(a.left)} to go)"
                    "; it is listed as part-paid until then."
                    if a.order.action
                    else f"{a.order.invoice_number} ({what}) stays part-paid with {money_words(a.left)} to go."
                )
        if self.credit is not None:
            out.append(
                f"Keep {money_words(self.credit)} over what was owed as a credit, listed for you to refund or to "
                "apply to another order."
            )
        return out


def _effect_words(order: OwedOrder) -> str:
    action = order.action
    if action == "register":
        return f"register {order.domain} for {years_words(order.years)} at the registrar"
    if action == "renew":
        return f"renew {order.domain} for {years_words(order.years)} at the registrar"
    if action == "start_hosting":
        return f"start hosting ({order.plan} plan) for {order.domain}: its repeating invoice in Xero"
    return ""


def payment_reference(receipt: Receipt) -> str:
    """The reference a recorded payment carries: the payment service's transaction id, else the receipt's id."""
    return receipt.gateway_txn_id or receipt.receipt_id


def payment_date(receipt: Receipt) -> date:
    """The day the money moved as its source dates it, else the day it was seen (UTC)."""
    return receipt.paid_on or receipt.received_at.date()


def _names(orders: Sequence[OwedOrder]) -> str:
    return joined([o.named for o in orders])


def _waiting_effects(orders: Sequence[OwedOrder]) -> str:
    kinds = sorted({o.action for o in orders if o.action})
    words = {"register": "the registration", "renew": "the renewal", "start_hosting": "the hosting start"}
    return joined([words[k] for k in kinds], "or") or "nothing else"


def settle(
    receipt: Receipt, orders: Sequence[OwedOrder], terms: Terms, *, home_currency: str, account_code: str
) -> Settlement | Refusal:
    """The settlement of `orders` by `receipt` under `terms`, or why it is refused."""
    if not orders:
        return Refusal(reason="no order named: say which orders this receipt pays (--orders ORDER_ID)")
    ids = [o.order_id for o in orders]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        return Refusal(reason=f"{', '.join(twice)} named more than once")
    closed = [o for o in orders if o.status not in PAYABLE]
    if closed:
        said = [f"{o.named} is {o.status}" + (f" (by {o.paid_by})" if o.paid_by else "") for o in closed]
        return Refusal(reason="only open orders can be paid: " + "; ".join(said))
    currencies = sorted({o.owed.currency for o in orders})
    if len(currencies) > 1:
        return Refusal(
            reason=f"the orders are owed in different currencies ({', '.join(currencies)}): approve "
            "each currency on its own"
        )
    currency = currencies[0]
    owed = Money.zero(currency)
    for o in orders:
        owed = owed + o.owed
    received = receipt.money
    if received.cents() <= 0:
        return Refusal(reason=f"the receipt is {money_words(received)}, which pays nothing")
    in_xero = receipt.source is ReceiptSource.XERO_PAYMENT
    if in_xero and receipt.invoice_id and any(o.invoice_id != receipt.invoice_id for o in orders):
        invoice = receipt.invoice_number or receipt.invoice_id
        return Refusal(reason=f"this is a Xero payment already on {invoice}; it can pay only that invoice's orders")

    rate: Decimal | None = None
    if received.currency == currency:
        if terms.home_amount is not None:
            return Refusal(
                reason=f"--home-amount is for a receipt in another currency; this one is in {currency}, as the "
                "orders are"
            )
        applied = received
    else:
        if currency != home_currency or in_xero:
            return Refusal(
                reason=f"{_names(orders)} is owed in {currency} and the receipt is {money_words(received)}; only a "
                f"receipt for an invoice in the home currency ({home_currency}) can be converted here. Record this "
                "payment in Xero by hand with its rate, then ignore the item."
            )
        if terms.home_amount is None:
            return Refusal(
                reason=f"the receipt is {money_words(received)} but {_names(orders)} is owed "
                f"{money_words(owed)}: say what arrived in {currency}",
                options=(
                    Option(
                        flags="--home-amount AMOUNT",
                        says=f"AMOUNT is what reached your {currency} account; the payment is recorded in "
                        f"{currency} for that amount and the rate it implies is shown",
                    ),
                ),
            )
        amount = terms.home_amount
        if not amount.is_finite() or amount <= 0:
            return Refusal(reason=f"--home-amount must be a positive amount in {currency}, not {amount}")
        applied = Money(amount=amount.quantize(CENT), currency=currency)
        rate = applied.amount / received.amount

    converted = f"{money_words(received)} arrived as {money_words(applied)}; " if rate is not None else ""
    difference = applied.cents() - owed.cents()
    credit: Money | None = None
    if difference < 0:
        short = Money(amount=-difference, currency=currency)
        if not terms.part:
            return Refusal(
                reason=f"{converted}{money_words(applied)} does not settle {_names(orders)}, owed "
                f"{money_words(owed)}: {money_words(short)} short",
                difference=short,
                options=(
                    Option(
                        flags="--part",
                        says=f"record {money_words(applied)} as a part payment; {_waiting_effects(orders)} waits "
                        f"until the {money_words(short)} left is paid",
                    ),
                ),
            )
        outcome = Outcome.PART
    elif difference > 0:
        extra = Money(amount=difference, currency=currency)
        if in_xero:
            return Refusal(
                reason=f"this Xero payment of {money_words(received)} is {money_words(extra)} more than "
                f"{_names(orders)} owes: name every order on its invoice",
                difference=extra,
            )
        if not terms.overpaid:
            return Refusal(
                reason=f"{converted}{money_words(applied)} is {money_words(extra)} more than {_names(orders)} "
                f"owes ({money_words(owed)})",
                difference=extra,
                options=(
                    Option(
                        flags="--overpaid",
                        says=f"apply {money_words(owed)} and keep the {money_words(extra)} over as a credit to "
                        "refund or apply to another order",
                    ),
                ),
            )
        outcome, credit = Outcome.OVERPAID, extra
    else:
        outcome = Outcome.EXACT

    allocations: list[Allocation] = []
    remaining = min(applied.cents(), owed.cents())
    for order in orders:
        take = min(remaining, order.owed.cents())
        if take <= 0:
            return Refusal(
                reason=f"{money_words(applied)} does not reach {order.named}: leave it out of --orders, or name it "
                "first"
            )
        allocations.append(Allocation(order=order, applied=Money(amount=take, currency=currency)))
        remaining -= take

    payments: list[PlannedPayment] = []
    for invoice_id in dict.fromkeys(a.order.invoice_id for a in allocations):
        group = [a for a in allocations if a.order.invoice_id == invoice_id]
        paying = Money.zero(currency)
        left = Money.zero(currency)
        for a in group:
            paying, left = paying + a.applied, left + a.left
        payments.append(
            PlannedPayment(
                invoice_id=invoice_id,
                invoice_number=group[0].order.invoice_number,
                customer=group[0].order.customer,
                order_ids=tuple(a.order.order_id for a in group),
                amount=paying,
                account_code=account_code,
                paid_on=payment_date(receipt),
                reference=payment_reference(receipt),
                already_in_xero=in_xero,
                left=left,
            )
        )
    return Settlement(
        receipt_id=receipt.receipt_id,
        received=received,
        applied=applied,
        rate=rate,
        outcome=outcome,
        allocations=tuple(allocations),
        payments=tuple(payments),
        credit=credit,
    )
