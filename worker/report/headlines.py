"""Sentences for the report: who paid what, how and when, and what the worker makes of it now.

"Oliver Faleolo paid NZ$27.00 by bank transfer on 1 Nov with reference INV-0703; INV-0703 (renewal of
olivercafe.nz) is owed NZ$35.00, NZ$8.00 short." The judgement is worked out again from the orders as they stand,
with the same rules an approval follows, so the sentence and the command under it agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from config.settings import Settings
from rules.model import Receipt, ReceiptSource
from rules.money import Money
from rules.reasons import reason_words
from rules.services import service_name
from rules.settlement import OwedOrder, Refusal, Terms, settle
from rules.words import day_words, joined, money_words
from worker.review_list import ReviewEntry

# Free-text fields a payer or a payment service fills in, the most telling first.
REFERENCE_FIELDS = ("reference", "invoice", "particulars", "code", "memo", "description", "line")


def payer_words(receipt: Receipt) -> str:
    """The payer as a person would write the name: a bank's "OLIVER FALEOLO" becomes "Oliver Faleolo"."""
    name = " ".join(receipt.payer_name.split())
    if name and name == name.upper() and any(c.isalpha() for c in name):
        name = name.title()
    return name or receipt.payer_email or "Someone"


def how_words(receipt: Receipt) -> str:
    if receipt.source is ReceiptSource.BANK_LINE:
        return "by bank transfer"
    if receipt.source is ReceiptSource.XERO_PAYMENT:
        return "through Xero"
    service = service_name(receipt.gateway)
    return f"through {service}"


def reference_of(receipt: Receipt) -> str:
    texts = dict(reversed(receipt.text))  # the first value of each field
    for name in REFERENCE_FIELDS:
        value = " ".join(str(texts.get(name, "")).split())
        if value:
            return value[:60]
    return ""


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def paid_sentence(receipt: Receipt, *, zone: str, today: date) -> str:
    """ "Oliver Faleolo paid NZ$27.00 by bank transfer on 1 Nov with reference INV-0703"."""
    day = receipt.paid_on or local_day(receipt.received_at, zone)
    when = day_words(day, today=today)
    text = f"{payer_words(receipt)} paid {money_words(receipt.money)} {how_words(receipt)} on {when}"
    reference = reference_of(receipt)
    return f"{text} with reference {reference}" if reference else text


def _owed(orders: Sequence[OwedOrder]) -> str:
    return joined([f"{o.named} is owed {money_words(o.owed)}" for o in orders])


def judgement(entry: ReviewEntry, settings: Settings, *, today: date | None = None) -> str:
    """What the worker makes of the receipt against its candidates as they are now."""
    receipt, candidates = entry.receipt, entry.candidates
    if receipt is None:
        return ""
    if not candidates:
        if entry.gone:
            said = joined([f"{o.named} was {'closed in Xero' if o.status == 'closed' else 'paid'}" for o in entry.gone])
            return f"{said} meanwhile; if this is a second payment, refund it or keep it as a credit"
        return "no open order matches it; find whose it is, then approve it and link the payer"
    suggested = [str(o) for o in entry.detail.get("suggested_orders", []) or []]
    by_id = {o.order_id: o for o in candidates}
    first = [by_id[o] for o in suggested if o in by_id] or [candidates[0]]
    result = settle(
        receipt,
        first,
        Terms(),
        home_currency=settings.worker.home_currency,
        account_code=settings.xero.bank_account_code,
    )
    owed = first[0].owed
    for order in first[1:]:
        owed = owed + order.owed if owed.currency == order.owed.currency else owed
    if isinstance(result, Refusal):
        if result.options and result.options[0].flags == "--part" and result.difference is not None:
            text = f"{_owed(first)}, {money_words(result.difference)} short"
        elif result.options and result.options[0].flags == "--overpaid" and result.difference is not None:
            text = f"{_owed(first)}, {money_words(result.difference)} over"
        elif result.options and result.options[0].flags.startswith("--home-amount"):
            text = f"{_owed(first)}: say what arrived in {owed.currency} (--home-amount)"
        else:
            text = reason_words(result.reason, today=today)
    else:
        text = f"it settles {joined([o.named for o in first])} exactly"
    others = [o for o in candidates if o not in first]
    if others and entry.kind != "credit":
        text += f"; it could also be for {joined([o.invoice_number for o in others[:3]], 'or')}"
    return text


def payout_headline(entry: ReviewEntry, *, today: date) -> str:
    """A payout that does not add up, as the reseller says it: "Stripe paid out NZ$2,192.74 on 16 Nov, which does
    not add up: ..."; '' when its item does not say which payout (its reason is the headline then)."""
    detail = entry.detail
    try:
        money = Money.of(str(detail["amount"]), str(detail["currency"]))
        day = date.fromisoformat(str(detail["paid_on"])[:10])
    except (KeyError, ValueError, TypeError, ArithmeticError):
        return ""
    service = service_name(str(detail.get("gateway", "")), unknown="A service")
    lines = [" ".join(str(m).split()) for m in detail.get("missing") or []]
    missing = [reason_words(m, today=today) for m in lines if m]
    said = f"{service} paid out {money_words(money)} on {day_words(day, today=today)}, which does not add up"
    return f"{said}: {joined(missing)}." if missing else f"{said}."


def decision_headline(entry: ReviewEntry, settings: Settings, *, today: date) -> str:
    """The item's sentence; for items about no receipt (unreadable mail), its reason."""
    zone = settings.worker.timezone
    receipt = entry.receipt
    if receipt is None and entry.kind.startswith("payout_") and (payout := payout_headline(entry, today=today)):
        return payout
    if entry.kind == "credit" and receipt is not None and entry.credit is not None:
        day = day_words(receipt.paid_on or local_day(receipt.received_at, zone), today=today)
        text = (
            f"{money_words(entry.credit)} is left over from {payer_words(receipt)}'s payment {how_words(receipt)} on "
            f"{day}, beyond what was owed: refund it, or apply it to another order"
        )
        if entry.candidates:
            text += f"; {judgement(entry, settings, today=today)}"
        return text + "."
    if receipt is None:
        said = reason_words(" ".join(entry.reason.split()), today=today) or entry.kind.replace("_", " ")
        return said if said.endswith((".", "!", "?")) else said + "."
    lead = paid_sentence(receipt, zone=zone, today=today)
    if entry.forwarded or entry.kind == "forwarded":
        lead = f"Your staff forwarded a notice that {lead}, which proves no payment by itself"
    if entry.kind == "already_paid" and not entry.candidates:
        return f"{lead}; {reason_words(' '.join(entry.reason.split()), today=today)}."
    return f"{lead}; {judgement(entry, settings, today=today)}."
