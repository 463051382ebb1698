"""The decision on one receipt: ignore what is no customer payment, reject what a payment service's own record
contradicts, act only on an exact same-currency settlement of exactly the identified open orders, and hand
everything else to a person with the candidates best first. Replay and the daemon both call `decide`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from rules.matching import (
    STRATEGIES,
    Evidence,
    MatchPolicy,
    OrderBook,
    PaymentRecord,
    Proposal,
    amount_only_candidates,
    by_xero_invoice,
    credit_near_misses,
    gather_evidence,
    ranked_candidates,
    reference_tokens,
)
from rules.model import Decision, DecisionKind, NoticeReading, Receipt, ReceiptSource
from rules.money import Money
from rules.payers import company_key, name_words
from rules.references import Patterns, find_invoice_refs
from rules.repeats import REUSED_MESSAGE_ID, MessageLog, Seen, kept_for_review
from rules.services import company_name, service_name

ACTIONS = {
    "unmatched": "Find whose payment this is; link the payer to the customer's contact so the next one matches.",
    "ambiguous": "Pick the order this pays; the suggestions are best first.",
    "short_paid": "Record it as a part payment in Xero and ask for the rest, or write off the fees.",
    "overpaid": "Apply it to the order and refund or credit the extra.",
    "foreign_currency": "Confirm what arrived in the home currency, then record the payment by hand.",
    "already_paid": "Check for a double payment; refund or credit it if so.",
    "conflicting_reference": "Check which order the payer meant before acting.",
    "forwarded": "Find the original notice or the bank line before acting on a forwarded message.",
    "quarantined": "Open the message carefully; it could not be read safely.",
    "unreadable": "Look at the record by hand; it could not be read.",
}


def _decision(
    receipt_id: str,
    kind: DecisionKind,
    reason: str,
    strategy: str,
    *,
    orders: tuple[str, ...] = (),
    review_kind: str = "",
    evidence: tuple[tuple[str, str], ...] = (),
) -> Decision:
    return Decision(
        receipt_id=receipt_id,
        kind=kind,
        orders=orders,
        reason=reason,
        strategy=strategy,
        evidence=evidence,
        review_kind=review_kind,
        suggested_action=ACTIONS.get(review_kind, "") if kind is DecisionKind.REVIEW else "",
    )


_SEPARATORS = re.compile(r"[^a-z0-9]+")


def _spaced_words(text: str) -> str:
    """Lower-case words separated by single spaces, with a space at each end, for whole-word search."""
    return " " + _SEPARATORS.sub(" ", text.lower()) + " "


def _contains(words: str, phrases: tuple[str, ...]) -> str:
    """The first phrase found as whole words in `words` (from `_spaced_words`), or ''."""
    for phrase in phrases:
        if f" {phrase.lower()} " in words:
            return phrase
    return ""


def _own_keys(names: tuple[str, ...], patterns: Patterns) -> frozenset[str]:
    return patterns.remembered("own_keys", names, lambda: frozenset(company_key(n, patterns) for n in names if n))


def _service_words(patterns: Patterns) -> frozenset[str]:
    """Every word of every payment service's payee name."""
    return patterns.remembered(
        "service_words", None, lambda: frozenset(w for g in patterns.settlement_payees for w in g.split())
    )


def _gateway_payee(payee: str, policy: MatchPolicy) -> str:
    """The payment service a payee is, when it is that service and nothing else ('STRIPE PAYMENTS AUSTRALIA'
    yes, 'Square Deal Builders' no). Payees repeat (the same customers pay every month): remembered."""
    return policy.patterns.remembered("gateway_payee", payee, lambda: _find_gateway_payee(payee, policy.patterns))


def _find_gateway_payee(payee: str, patterns: Patterns) -> str:
    words = [w for w in name_words(payee, patterns) if w != "&"]
    # Most payees share no word with any payment service's name: nothing to compare.
    service_words = _service_words(patterns)
    if not any(w in service_words for w in words):
        return ""
    filler = patterns.settlement_filler_words
    for gateway in patterns.settlement_payees:
        name = gateway.split()
        for i in range(len(words) - len(name) + 1):
            if words[i : i + len(name)] == name and all(w in filler for w in words[:i] + words[i + len(name) :]):
                return gateway
    return ""


def _names_an_invoice(receipt: Receipt, book: OrderBook, policy: MatchPolicy) -> bool:
    joined = " ".join(v for _, v in receipt.text)
    return any(
        r.prefixed and book.orders_with_key(r.key) for r in find_invoice_refs(joined, policy.patterns, book.prefixes)
    )


def not_a_customer_payment(receipt: Receipt, policy: MatchPolicy, book: OrderBook | None = None) -> str:
    """Why this receipt is no customer payment at all, or '' when it may be one. Word patterns never overrule a
    reference to one of our invoices: 'INV-0042 interest' is still a payment."""
    flags = set(receipt.flags)
    if "deleted" in flags:
        return "the line or payment is deleted in Xero"
    if "duplicate" in flags:
        return "Xero flags the line as a duplicate"
    if "reconciled" in flags and receipt.source is ReceiptSource.BANK_LINE:
        return "the line is already reconciled in Xero"
    if "not_customer_payment" in flags:
        return f"not a payment from a customer ({receipt.raw_kind or 'not a sales invoice'})"
    if receipt.money.amount <= 0 or receipt.raw_kind == "DEBIT":
        return f"money going out ({receipt.money})"
    if receipt.source is not ReceiptSource.BANK_LINE:
        return ""
    patterns = policy.patterns
    words = _spaced_words(" ".join([receipt.payer_name, *(v for _, v in receipt.text)]))
    payee = receipt.payer_name
    why = ""
    own = _own_keys(policy.own_names, patterns)
    if hit := _contains(words, patterns.interest_words):
        why = f"bank interest ('{hit}')"
    elif hit := _gateway_payee(payee, policy):
        why = f"a settlement from the payment service {payee.strip()}, not one customer's payment"
    elif hit := _contains(words, patterns.settlement_words):
        why = f"a card or gateway settlement ('{hit}'), not one customer's payment"
    elif payee and company_key(payee, patterns) in own:
        why = f"a transfer from the reseller's own account ({payee.strip()})"
    elif hit := _contains(words, patterns.own_transfer_words):
        why = f"a transfer between own accounts ('{hit}')"
    if why and book is not None and _names_an_invoice(receipt, book, policy):
        return ""
    return why


def _duration(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day" + ("s" if days != 1 else "")
    return f"{hours} hours"


def _platform_notice(receipt: Receipt, book: OrderBook, record: PaymentRecord, policy: MatchPolicy) -> Decision:
    """A notice from a platform any customer can send through (Xero): only the platform's own record proves it."""
    numbers = [receipt.invoice_number] if receipt.invoice_number else []
    if not numbers:
        joined = " ".join(v for _, v in receipt.text)
        refs = [r for r in find_invoice_refs(joined, policy.patterns, book.prefixes) if r.prefixed]
        numbers = [book.orders[o].invoice_number for r in refs for o in book.orders_with_key(r.key)] or [
            r.raw for r in refs
        ]
    gateway = company_name(receipt.gateway)
    for number in numbers:
        payment = record.confirming(number, receipt.money, receipt.received_at, policy.notice_confirm_window)
        if payment is not None:
            return _decision(
                receipt.receipt_id,
                DecisionKind.IGNORE,
                f"{gateway} notice for {number} {receipt.money} repeats {gateway}'s own payment {payment.receipt_id},"
                " which is the receipt acted on",
                "platform_notice",
                evidence=(("confirmed_by", payment.receipt_id),),
            )
    named = ", ".join(numbers) or "no invoice"
    return _decision(
        receipt.receipt_id,
        DecisionKind.REJECT,
        f"{gateway} notice for {named} {receipt.money} is not confirmed by a {gateway} payment on that invoice for "
        f"that amount within {_duration(policy.notice_confirm_window)}; anyone can send mail through {gateway}: "
        "treated as forged",
        "platform_notice",
        review_kind="rejected_notice",
    )


def _same_payment_as_recorded(receipt: Receipt, book: OrderBook, record: PaymentRecord) -> str:
    """Why this receipt is a payment already known under its gateway transaction id, or '': a notice whose
    transaction id stands as the Reference of a Xero payment, or a Xero payment whose Reference is the transaction
    id of a receipt already acted on or reviewed."""
    if receipt.source is ReceiptSource.NOTICE and receipt.gateway_txn_id:
        payment = record.with_transaction(receipt.gateway_txn_id)
        if payment is not None and payment.receipt_id != receipt.receipt_id:
            return (
                f"repeats Xero payment {payment.receipt_id}, whose Reference is this {service_name(receipt.gateway)} "
                f"transaction {receipt.gateway_txn_id}: the same payment arriving again"
            )
    if receipt.source is ReceiptSource.XERO_PAYMENT:
        for name, value in receipt.text:
            if name != "reference":
                continue
            for token in reference_tokens(value):
                earlier = book.transaction_ids.get(token)
                if earlier is not None and earlier != receipt.receipt_id:
                    return f"its Reference {token} is the transaction of receipt {earlier}: the same payment, recorded"
    return ""


def _names(book: OrderBook, order_ids: tuple[str, ...] | list[str]) -> str:
    return " + ".join(book.orders[o].invoice_number for o in order_ids)


def _review(
    receipt: Receipt,
    ev: Evidence,
    book: OrderBook,
    policy: MatchPolicy,
    *,
    kind: str,
    reason: str,
    strategy: str,
    first: tuple[str, ...] = (),
) -> Decision:
    credit_near_misses(ev, book, receipt)
    candidates = ranked_candidates(ev, book, receipt, policy, first=first)
    if not candidates:
        candidates = amount_only_candidates(book, receipt, policy)[: policy.max_candidates]
        if candidates:
            reason += f"; only the amount points at {_names(book, candidates)}"
    return _decision(
        receipt.receipt_id, DecisionKind.REVIEW, reason, strategy, orders=tuple(candidates), review_kind=kind
    )


def _repeats_platform_payment(
    receipt: Receipt, closed: list[str], book: OrderBook, record: PaymentRecord, policy: MatchPolicy
) -> str:
    """A gateway notice for an invoice the customer paid online through Xero: Xero's own payment on that invoice,
    for the same amount within the window, already settled it. Names that payment, or ''."""
    if receipt.source is not ReceiptSource.NOTICE:
        return ""
    settled_by = {book.paid_by[o] for o in closed}
    numbers = {book.orders[o].invoice_number for o in closed}
    if len(settled_by) != 1 or len(numbers) != 1:
        return ""
    number = numbers.pop()
    payment = record.confirming(number, receipt.money, receipt.received_at, policy.notice_confirm_window)
    if payment is None or payment.receipt_id not in settled_by:
        return ""
    return f"Xero payment {payment.receipt_id} on {number}"


def _settle(
    receipt: Receipt, p: Proposal, ev: Evidence, book: OrderBook, record: PaymentRecord, policy: MatchPolicy
) -> Decision:
    """Act on a proposal only for an exact same-currency settlement of exactly its open orders."""
    closed = [o for o in p.orders if not book.is_open(o)]
    if closed:
        paid_by = ", ".join(sorted({book.paid_by[o] for o in closed}))
        if repeat := _repeats_platform_payment(receipt, closed, book, record, policy):
            return _decision(
                receipt.receipt_id,
                DecisionKind.IGNORE,
                f"{p.strategy}: {p.evidence}; repeats {repeat}, the payment already acted on",
                p.strategy,
            )
        if receipt.source is ReceiptSource.XERO_PAYMENT and len(closed) == len(p.orders):
            return _decision(
                receipt.receipt_id,
                DecisionKind.IGNORE,
                f"{p.strategy}: {p.evidence}; {_names(book, closed)} was already settled by {paid_by}, "
                "which this payment repeats",
                p.strategy,
            )
        return _review(
            receipt,
            ev,
            book,
            policy,
            kind="already_paid",
            strategy=p.strategy,
            reason=f"{p.strategy}: {p.evidence}; but {_names(book, closed)} was already paid by {paid_by}",
        )
    if not p.sure:
        kind = p.doubt_kind
        return _review(
            receipt,
            ev,
            book,
            policy,
            kind=kind,
            strategy=p.strategy,
            first=p.orders,
            reason=f"{p.strategy}: {p.evidence}; {p.doubt}",
        )
    owed = book.total(p.orders)
    if owed is None:
        return _review(
            receipt,
            ev,
            book,
            policy,
            kind="ambiguous",
            strategy=p.strategy,
            first=p.orders,
            reason=f"{p.strategy}: {p.evidence}; the orders are in different currencies",
        )
    if owed.currency != receipt.money.currency:
        return _review(
            receipt,
            ev,
            book,
            policy,
            kind="foreign_currency",
            strategy=p.strategy,
            first=p.orders,
            reason=f"{p.strategy}: {p.evidence}; paid {receipt.money} but {_names(book, p.orders)} "
            f"is owed in {owed.currency}",
        )
    if policy.settles(receipt.money, owed):
        return _decision(
            receipt.receipt_id,
            DecisionKind.AUTO,
            f"{p.strategy}: {p.evidence}; {receipt.money} settles {_names(book, p.orders)} exactly",
            p.strategy,
            orders=p.orders,
            evidence=tuple(("order", o) for o in p.orders),
        )
    diff = Money(amount=abs(receipt.money.amount - owed.amount), currency=owed.currency)
    short = receipt.money.amount < owed.amount
    return _review(
        receipt,
        ev,
        book,
        policy,
        kind="short_paid" if short else "overpaid",
        strategy=p.strategy,
        first=p.orders,
        reason=f"{p.strategy}: {p.evidence}; paid {receipt.money} but {_names(book, p.orders)} is owed {owed} "
        f"({'short' if short else 'over'} by {diff})",
    )


def decide(
    receipt: Receipt, book: OrderBook, record: PaymentRecord, policy: MatchPolicy, *, forwarded: bool = False
) -> Decision:
    """Decide one receipt against the open orders. Pure: the caller applies the decision (see `apply`)."""
    decision = _decide(receipt, book, record, policy, forwarded=forwarded)
    return kept_for_review(decision) if REUSED_MESSAGE_ID in receipt.flags else decision


def _decide(
    receipt: Receipt, book: OrderBook, record: PaymentRecord, policy: MatchPolicy, *, forwarded: bool
) -> Decision:
    rid = receipt.receipt_id
    if why := not_a_customer_payment(receipt, policy, book):
        return _decision(rid, DecisionKind.IGNORE, f"not a customer payment: {why}", "not_a_customer_payment")
    if receipt.source is ReceiptSource.NOTICE and not forwarded and receipt.gateway in policy.platform_gateways:
        return _platform_notice(receipt, book, record, policy)
    if repeat := _same_payment_as_recorded(receipt, book, record):
        return _decision(rid, DecisionKind.IGNORE, repeat, "repeated_transaction")
    txn = (receipt.gateway, receipt.gateway_txn_id)
    if not forwarded and all(txn) and txn in book.transactions:
        earlier = book.transactions[txn]
        return _decision(
            rid,
            DecisionKind.IGNORE,
            f"repeats receipt {earlier} already acted on "
            f"(same {service_name(receipt.gateway)} transaction {receipt.gateway_txn_id})",
            "repeated_transaction",
        )
    ev = gather_evidence(receipt, book, policy)
    if receipt.source is ReceiptSource.XERO_PAYMENT:
        # Xero itself says which invoice this money paid: that invoice's orders or none. A payer name and amount
        # must not move it onto another customer's order.
        proposal = by_xero_invoice(receipt, ev, book)
    else:
        proposal = next((p for s in STRATEGIES if (p := s(receipt, ev, book)) is not None), None)
    if forwarded:
        named = proposal.orders if proposal else ()
        return _review(
            receipt,
            ev,
            book,
            policy,
            kind="forwarded",
            strategy="forwarded_notice",
            first=named,
            reason="forwarded by staff: genuine but proves no payment"
            + (f"; {proposal.strategy}: {proposal.evidence}" if proposal else ""),
        )
    owed = book.total(proposal.orders) if proposal and proposal.orders else None
    # An invoice raised in the payer's currency can be settled in it; any other foreign money needs a person.
    if receipt.money.currency != policy.home_currency and (owed is None or owed.currency != receipt.money.currency):
        first = proposal.orders if proposal else ()
        return _review(
            receipt,
            ev,
            book,
            policy,
            kind="foreign_currency",
            strategy="foreign_currency",
            first=first,
            reason=f"paid in {receipt.money.currency} ({receipt.money}); orders are owed in "
            f"{owed.currency if owed else policy.home_currency}"
            + (f"; {proposal.strategy}: {proposal.evidence}" if proposal else ""),
        )
    if proposal is None:
        if receipt.source is ReceiptSource.XERO_PAYMENT:
            return _decision(
                rid,
                DecisionKind.IGNORE,
                f"Xero payment on invoice {receipt.invoice_number or receipt.invoice_id}, which is no pending order"
                if receipt.invoice_number or receipt.invoice_id
                else "Xero payment applied to no invoice (a prepayment or overpayment), not for an order",
                "xero_invoice",
            )
        evidence = "; ".join(f"'{r}' is no invoice of ours" for r in ev.unknown_invoice_refs)
        who = receipt.payer_name.strip() or receipt.payer_email or "an unknown payer"
        return _review(
            receipt,
            ev,
            book,
            policy,
            kind="unmatched",
            strategy="unmatched",
            reason=f"no reference or customer identifies {who}'s {receipt.money}"
            + (f" ({evidence})" if evidence else ""),
        )
    if not proposal.orders:
        return _review(
            receipt,
            ev,
            book,
            policy,
            kind="ambiguous",
            strategy=proposal.strategy,
            reason=f"{proposal.strategy}: {proposal.evidence}; {proposal.doubt}",
        )
    return _settle(receipt, proposal, ev, book, record, policy)


def apply(book: OrderBook, receipt: Receipt, decision: Decision) -> None:
    """What a decision changes in the book: an auto decision closes its orders, and a gateway transaction that
    was acted on or handed to a person is remembered so a resent notice never counts twice."""
    if decision.kind is DecisionKind.AUTO:
        book.settle(decision.orders, receipt.receipt_id)
    if decision.kind in (DecisionKind.AUTO, DecisionKind.REVIEW):
        book.remember_transaction(receipt.gateway, receipt.gateway_txn_id, receipt.receipt_id)


def decide_reading(
    reading: NoticeReading,
    book: OrderBook,
    record: PaymentRecord,
    policy: MatchPolicy,
    messages: MessageLog | None = None,
) -> Decision:
    """Decide what reading one e-mail gave: its own verdict (reject, ignore), quarantine, or its receipt. With a
    `messages` log, a message is a repeat only when its bytes are (see `rules.repeats`)."""
    seen = messages.note(reading.message_id, reading.digest) if messages is not None and reading.digest else Seen.NEW
    if seen is Seen.SAME:
        return _decision(
            reading.message_id,
            DecisionKind.IGNORE,
            "the very same message (identical bytes) was read before: a repeat delivery",
            "repeated_message",
        )
    decision = _decide_reading(reading, book, record, policy)
    return kept_for_review(decision) if seen is Seen.REUSED else decision


def _decide_reading(reading: NoticeReading, book: OrderBook, record: PaymentRecord, policy: MatchPolicy) -> Decision:
    rid = reading.message_id
    if reading.quarantine:
        return _decision(
            rid,
            DecisionKind.REVIEW,
            reading.reason or "message could not be read safely",
            "notice_reading",
            review_kind="quarantined",
        )
    if reading.receipt is None:
        kind = reading.verdict or DecisionKind.REVIEW
        return _decision(
            rid,
            kind,
            reading.reason or f"notice reading gave {kind}",
            "notice_reading",
            review_kind="rejected_notice" if kind is DecisionKind.REJECT else "unreadable",
        )
    receipt = reading.receipt
    if receipt.receipt_id != rid:
        receipt = replace(receipt, receipt_id=rid)
    return decide(receipt, book, record, policy, forwarded=reading.forwarded)
