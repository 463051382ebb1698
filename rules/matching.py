"""Finding the orders a receipt is for: an index over the orders (invoice number, domain, contact, amount), the
evidence one receipt carries, and small named strategies, exact keys before heuristics.

Nothing here decides to act; `rules.policy` turns a strategy's proposal into a decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from difflib import SequenceMatcher

from rules.model import Order, Receipt, ReceiptSource
from rules.money import CENT, Money
from rules.payers import ContactIndex, PayerLevel, PayerMatch, company_key, without_payers_on_behalf
from rules.payment_references import find_payment_references, one_slip_away, without
from rules.prefixes import PrefixIndex
from rules.references import (
    InvoiceRef,
    Patterns,
    builtin_patterns,
    domain_label,
    find_domains,
    find_invoice_refs,
    invoice_number_key,
    near_keys,
    reference_words,
    squash,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class MatchPolicy:
    """The bookkeeper's tolerances and lists, from configuration (`config/matching.py`)."""

    home_currency: str = "NZD"
    auto_tolerance: Decimal = Decimal("0")  # how far an amount may differ and still be acted on; 0 = exact
    max_candidates: int = 5  # suggestions on a review item
    min_domain_prefix: int = 8  # a truncated domain reference must keep at least this many characters
    bank_field_length: int = 12  # NZ Particulars/Code/Reference: a word this long may be a cut-short domain
    notice_confirm_window: timedelta = timedelta(days=1)  # a platform notice vs the platform's own record
    amount_only_candidates: int = 5  # orders suggested when only the amount points at them (0 = none)
    own_names: tuple[str, ...] = ()  # the reseller's own account names: transfers between own accounts
    platform_gateways: frozenset[str] = frozenset({"xero"})  # anyone can send through these: confirm first
    patterns: Patterns = field(default_factory=builtin_patterns)

    def settles(self, paid: Money, owed: Money) -> bool:
        """Same currency and equal within the configured tolerance (exact by default)."""
        return paid.currency == owed.currency and abs(paid.amount - owed.amount) <= self.auto_tolerance


class OrderBook:
    """Every known order, indexed, and which are still open. An order paid once is closed for good, and a
    gateway transaction acted on once is remembered, so no receipt acts twice."""

    def __init__(
        self,
        orders: Iterable[Order],
        *,
        patterns: Patterns | None = None,
        closed: Mapping[str, str] | None = None,
        seen_transactions: Mapping[tuple[str, str], str] | None = None,
        payer_links: Mapping[str, str] | None = None,
    ) -> None:
        self.patterns = patterns or builtin_patterns()
        self.orders: dict[str, Order] = {}
        self.paid_by: dict[str, str] = dict(closed or {})  # order id -> receipt id that settled it
        self.transactions: dict[tuple[str, str], str] = dict(seen_transactions or {})
        self.transaction_ids: dict[str, str] = {txn: rid for (_, txn), rid in self.transactions.items()}
        self.by_invoice_id: dict[str, list[str]] = {}
        self.by_digits: dict[str, list[str]] = {}
        self.prefixes: set[str] = set()
        self.by_domain: dict[str, list[str]] = {}
        self.by_squashed_domain: dict[str, list[str]] = {}  # "kauricafeconz" -> orders of kauricafe.co.nz
        self.by_payment_reference: dict[str, list[str]] = {}  # "10004207" -> the orders of that invoice
        self._domain_keys = PrefixIndex()  # (squashed key, order id), for prefix search
        self.by_contact: dict[str, list[str]] = {}
        self.by_amount: dict[tuple[str, Decimal], list[str]] = {}
        self.amount_of: dict[str, tuple[str, Decimal]] = {}
        self.top_level_domains: set[str] = set(self.patterns.top_level_domains)
        self.contacts = ContactIndex((), self.patterns, payer_links)
        pending_keys: list[tuple[str, str]] = []
        for order in orders:
            self._add(order, pending_keys)
        self._domain_keys = PrefixIndex(pending_keys)

    def add(self, order: Order) -> None:
        """A new order (the replay adds each on the day it was issued, as the daemon would have seen it)."""
        if order.order_id in self.orders:
            return
        keys: list[tuple[str, str]] = []
        self._add(order, keys)
        for key, oid in keys:
            self._domain_keys.add(key, oid)

    def _add(self, order: Order, keys: list[tuple[str, str]]) -> None:
        oid = order.order_id
        self.orders[oid] = order
        self.by_invoice_id.setdefault(order.invoice_id, []).append(oid)
        parsed = invoice_number_key(order.invoice_number)
        if parsed:
            prefix, key = parsed
            self.by_digits.setdefault(key, []).append(oid)
            if prefix:
                self.prefixes.add(prefix)
        if order.domain:
            domain = order.domain.lower()
            self.top_level_domains.add(domain.rsplit(".", 1)[-1])
            self.by_domain.setdefault(domain, []).append(oid)
            squashed = squash(domain)
            self.by_squashed_domain.setdefault(squashed, []).append(oid)
            keys.append((squashed, oid))
            keys.append((domain_label(domain, self.patterns), oid))
        if order.payment_reference:
            self.by_payment_reference.setdefault(order.payment_reference, []).append(oid)
        self.by_contact.setdefault(order.contact.contact_id, []).append(oid)
        amount = (order.amount_due.currency, order.amount_due.cents())
        self.amount_of[oid] = amount
        self.by_amount.setdefault(amount, []).append(oid)
        self.contacts.add(order.contact)

    # ---- state ---------------------------------------------------------------------------------------------

    def is_open(self, order_id: str) -> bool:
        return order_id in self.orders and order_id not in self.paid_by

    def settle(self, order_ids: Iterable[str], receipt_id: str) -> None:
        """Close these orders: `receipt_id` paid them."""
        for oid in order_ids:
            self.paid_by.setdefault(oid, receipt_id)

    def remember_transaction(self, gateway: str, txn_id: str, receipt_id: str) -> None:
        if gateway and txn_id:
            self.transactions.setdefault((gateway, txn_id), receipt_id)
            self.transaction_ids.setdefault(txn_id, receipt_id)

    def owes_exactly(self, order_id: str, paid: Money) -> bool:
        """The order is owed exactly this, to the cent, in this currency."""
        return self.amount_of[order_id] == (paid.currency, paid.amount.quantize(CENT, rounding=ROUND_HALF_UP))

    def open_orders(self, ids: Iterable[str]) -> list[str]:
        orders, paid = self.orders, self.paid_by
        return [oid for oid in ids if oid in orders and oid not in paid]

    # ---- look-ups ------------------------------------------------------------------------------------------

    def orders_with_key(self, key: str) -> list[str]:
        return self.by_digits.get(key, [])

    def domain_prefix(self, word: str) -> set[str]:
        """Orders whose domain (squashed, or its name without suffix) starts with `word`."""
        return {oid for _key, oid in self._domain_keys.with_prefix(word)}

    def total(self, order_ids: Sequence[str]) -> Money | None:
        """What these orders owe together, or None when they are in different currencies."""
        if not order_ids:
            return None
        currencies = {self.orders[o].amount_due.currency for o in order_ids}
        if len(currencies) != 1:
            return None
        amount = sum((self.orders[o].amount_due.amount for o in order_ids), Decimal("0"))
        return Money(amount=amount, currency=currencies.pop())


class PaymentRecord:
    """A payment platform's own record of payments (Xero's payments), by invoice number: what confirms or
    contradicts a notice that anyone could have sent through the platform."""

    def __init__(self, payments: Iterable[Receipt] = ()) -> None:
        self.by_invoice: dict[str, list[Receipt]] = {}
        self.by_reference_token: dict[str, list[Receipt]] = {}
        for p in payments:
            self.add(p)

    def add(self, payment: Receipt) -> None:
        if payment.invoice_number:
            self.by_invoice.setdefault(payment.invoice_number.upper(), []).append(payment)
        for token in reference_tokens(" ".join(v for name, v in payment.text if name == "reference")):
            self.by_reference_token.setdefault(token, []).append(payment)

    def with_transaction(self, txn_id: str) -> Receipt | None:
        """A recorded payment whose Reference is (or holds) this gateway transaction id: the worker records a card
        payment with its transaction id as the Reference, and so may the accountant."""
        for p in self.by_reference_token.get(txn_id.strip(), ()):
            if "deleted" not in p.flags:
                return p
        return None

    def confirming(self, invoice_number: str, money: Money, at: datetime, window: timedelta) -> Receipt | None:
        """The recorded payment on this invoice for this amount within `window` of `at`, if any."""
        for p in self.by_invoice.get(invoice_number.upper(), ()):
            if not p.money.same_value(money) or "deleted" in p.flags:
                continue
            # Either clock will do: when Xero last touched the payment, or the day the payment was made (a
            # reconciliation weeks later moves the first but not the second).
            made = p.paid_on is not None and abs((p.paid_on - at.date()).days) <= max(1, window.days)
            if abs(p.received_at - at) <= window or made:
                return p
        return None


# A transaction id is long; shorter words in a Reference ("Stripe", "INV-0042") are never one.
MIN_TRANSACTION_ID = 8
_TOKEN_SPLIT = re.compile(r"[\s,;:/|()\[\]#]+")


def reference_tokens(reference: str) -> set[str]:
    """The words of a Reference that could be a gateway transaction id."""
    return {t for t in _TOKEN_SPLIT.split(reference) if len(t) >= MIN_TRANSACTION_ID and any(c.isdigit() for c in t)}


# ---- evidence ------------------------------------------------------------------------------------------------

# Points for ranking suggestions; only the order matters, the numbers are not probabilities.
SCORE: dict[str, float] = {
    "invoice": 100.0,
    "invoice_bare": 60.0,
    "domain": 80.0,
    "invoice_near": 30.0,
    "domain_near": 25.0,
    "amount": 20.0,
    "amount_close": 5.0,
    "same_contact": 10.0,
}
PAYER_SCORE: dict[PayerLevel, float] = {
    PayerLevel.EMAIL: 55.0,
    PayerLevel.NAME: 50.0,
    PayerLevel.INITIALS: 30.0,
    PayerLevel.RELATED: 12.0,
    PayerLevel.SURNAME: 8.0,
}


# A written-out domain no order has is compared, for suggestions only, with domains sharing its first letters.
NEAR_DOMAIN_STEM = 5
NEAR_DOMAIN_LIMIT = 200
NEAR_DOMAIN_RATIO = 0.85

# A paid amount within this share of what an order owes still counts as a hint (part payments, fees).
CLOSE_AMOUNT = Decimal("0.35")


@dataclass(kw_only=True, slots=True)
class Evidence:
    """What one receipt says about which orders it is for (open and closed alike)."""

    invoice_refs: dict[str, str] = field(default_factory=dict)  # order id -> how it was found
    unknown_invoice_refs: list[str] = field(default_factory=list)  # prefixed numbers no invoice has
    typed_refs: list[InvoiceRef] = field(default_factory=list)  # every prefixed number, for near misses
    domain_refs: dict[str, str] = field(default_factory=dict)
    unknown_domains: list[str] = field(default_factory=list)  # written-out domains no order has
    # squashed reference words that start (or are) orders' domains: (word, order ids)
    domain_words: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    payers: list[PayerMatch] = field(default_factory=list)
    slipped_references: list[str] = field(default_factory=list)  # payment references whose check digit fails
    scores: dict[str, float] = field(default_factory=dict)  # for ranking suggestions; the reasons name the evidence

    def credit(self, order_id: str, points: float) -> None:
        self.scores[order_id] = self.scores.get(order_id, 0.0) + points

    def payer_level(self, contact_id: str) -> PayerLevel | None:
        for m in self.payers:
            if m.contact_id == contact_id:
                return m.level
        return None


def _texts(receipt: Receipt) -> list[tuple[str, str]]:
    fields = [(name, value) for name, value in receipt.text if value]
    if receipt.invoice_number and receipt.source is not ReceiptSource.XERO_PAYMENT:
        fields.append(("invoice", receipt.invoice_number))
    return fields


def gather_evidence(receipt: Receipt, book: OrderBook, policy: MatchPolicy) -> Evidence:
    """Look the receipt's references and payer up in the book's indexes (never a scan of all orders)."""
    ev = Evidence()
    fields = _texts(receipt)
    joined = " ".join(v for _, v in fields)
    patterns = policy.patterns
    where = {name: value for name, value in fields}

    def field_of(raw: str) -> str:
        for name, value in where.items():
            if raw.lower() in value.lower():
                return name
        return "+".join(where)

    references = find_payment_references(joined) if book.by_payment_reference else []
    if references:
        for written in references:
            hits = book.by_payment_reference.get(written.token, []) if written.valid else []
            for oid in hits:
                ev.invoice_refs[oid] = (
                    f"payment reference {written.token} in {field_of(written.token)} (check digit verifies)"
                )
                ev.credit(oid, SCORE["invoice"])
            if written.valid and not hits and book.by_payment_reference:
                ev.unknown_invoice_refs.append(f"{written.token} (a payment reference no open invoice has)")
            elif not written.valid and _could_be_ours(written.token, book):
                ev.unknown_invoice_refs.append(f"{written.token} (a payment reference whose check digit fails)")
                ev.slipped_references.append(written.token)

    paid_whole = str(int(receipt.money.amount)) if receipt.money.amount == int(receipt.money.amount) else ""
    for ref in find_invoice_refs(without(joined, references) if references else joined, patterns, book.prefixes):
        if not ref.prefixed and ref.key == paid_whole:
            continue  # "PAID 129" is the amount, not invoice 129
        hits = book.orders_with_key(ref.key)
        if hits:
            for oid in hits:
                if ref.prefixed or oid not in ev.invoice_refs:
                    kind = "" if ref.prefixed else "number "
                    ev.invoice_refs[oid] = (
                        f"{kind}'{ref.raw}' in {field_of(ref.raw)} = {book.orders[oid].invoice_number}"
                    )
                ev.credit(oid, SCORE["invoice" if ref.prefixed else "invoice_bare"])
        elif ref.prefixed:
            ev.unknown_invoice_refs.append(ref.raw)
        if ref.prefixed:
            ev.typed_refs.append(ref)

    for domain in find_domains(joined):
        known = book.by_domain.get(domain, ())
        for oid in known:
            ev.domain_refs[oid] = f"domain {domain} in {field_of(domain)}"
            ev.credit(oid, SCORE["domain"])
        if not known:
            # The right name under another ending (kellycatering.co for kellycatering.com): a cut-short word.
            label = domain_label(domain, patterns)
            same = tuple(
                sorted(o for o in book.domain_prefix(label) if domain_label(book.orders[o].domain, patterns) == label)
            )
            if same:
                ev.domain_words.append((label, same))
                for oid in same:
                    ev.credit(oid, SCORE["domain_near"])
            elif domain.rsplit(".", 1)[-1] in book.top_level_domains:
                ev.unknown_domains.append(domain)  # a real-looking domain, not "invoice.pdf" or "J.Smith"
    if not ev.domain_refs and not ev.domain_words:
        own = _own_words(policy.own_names, patterns)
        searched = without_payers_on_behalf(joined, receipt.payer_name, patterns)
        for word in reference_words(searched, patterns, min_length=policy.min_domain_prefix):
            if any(o.startswith(word) for o in own):
                continue  # the reseller's own name ("KIWIWEB DESIGN") names no customer's domain
            found = book.domain_prefix(word)
            if not found:
                continue
            whole = {
                o
                for o in found
                if word in (squash(book.orders[o].domain), domain_label(book.orders[o].domain, patterns))
            }
            # Only a word exactly as long as the bank's field may have been cut short; any other that is a whole
            # name is that name.
            if whole and len(word) != policy.bank_field_length:
                found = whole
            ev.domain_words.append((word, tuple(sorted(found))))
            for oid in found:
                ev.credit(oid, SCORE["domain"] if len(found) == 1 else SCORE["domain_near"])

    if not ev.domain_refs and not ev.domain_words:
        # A payee that spells a customer's whole domain without its dots ("KAURICAFECONZ"): the domain, written.
        spelled = squash(receipt.payer_name)
        spelled = spelled[3:] if spelled.startswith("www") and spelled[3:] in book.by_squashed_domain else spelled
        if len(spelled) >= policy.min_domain_prefix and spelled in book.by_squashed_domain:
            ev.domain_words.append((spelled, tuple(sorted(book.by_squashed_domain[spelled]))))
            for oid in book.by_squashed_domain[spelled]:
                ev.credit(oid, SCORE["domain"])
    ev.payers = book.contacts.match(receipt.payer_name, receipt.payer_email)
    ev.payers.extend(_payers_at_their_domain(receipt.payer_email, book, ev.payers))
    scores = ev.scores  # credited in place in these loops over every order of each payer: Evidence.credit's sums
    for m in ev.payers:
        points = PAYER_SCORE[m.level]
        for oid in book.by_contact.get(m.contact_id, ()):
            scores[oid] = scores.get(oid, 0.0) + points

    referenced_contacts = {book.orders[o].contact.contact_id for o in (*ev.invoice_refs, *ev.domain_refs)}
    for cid in referenced_contacts:
        for oid in book.by_contact.get(cid, ()):
            if oid not in ev.invoice_refs and oid not in ev.domain_refs:
                scores[oid] = scores.get(oid, 0.0) + SCORE["same_contact"]  # same customer as a referenced order

    _credit_amounts(ev, book, receipt, list(ev.scores))
    return ev


def _could_be_ours(token: str, book: OrderBook) -> bool:
    """A failing eight-digit number is taken for a slipped payment reference only when one slip away from it is a
    reference one of the book's invoices has (an account or phone number is not)."""
    return any(candidate in book.by_payment_reference for candidate in one_slip_away(token))


def _payers_at_their_domain(email: str, book: OrderBook, known: list[PayerMatch]) -> list[PayerMatch]:
    """Customers whose own domain (one of their orders') the payer's e-mail address is at: a card payer writing
    from jo@kauricafe.co.nz is Kauri Cafe's. Public mail domains are nobody's order, so they never match."""
    domain = email.strip().lower().rpartition("@")[2]
    if not domain:
        return []
    firm = {m.contact_id for m in known if m.level >= PayerLevel.NAME}
    out: dict[str, PayerMatch] = {}
    labels = domain.split(".")
    for start in range(len(labels) - 1):  # mail.kauricafe.co.nz, then kauricafe.co.nz
        for oid in book.by_domain.get(".".join(labels[start:]), ()):
            contact = book.orders[oid].contact
            if contact.contact_id not in firm and contact.contact_id not in out:
                out[contact.contact_id] = PayerMatch(
                    contact_id=contact.contact_id,
                    level=PayerLevel.NAME,
                    how=f"payer e-mail {email.strip().lower()} is at {book.orders[oid].domain}, the domain of "
                    f"{contact.name}",
                )
    return list(out.values())


def _own_words(names: tuple[str, ...], patterns: Patterns) -> tuple[str, ...]:
    """The reseller's own names squashed and as company keys: words in a reference that name no customer."""
    return patterns.remembered(
        "own_words", names, lambda: tuple(key for n in names for key in (squash(n), company_key(n, patterns)) if key)
    )


def _credit_amounts(ev: Evidence, book: OrderBook, receipt: Receipt, order_ids: Iterable[str]) -> None:
    paid, paid_currency = receipt.money.cents(), receipt.money.currency
    # Run for every order any evidence points at (a common name: all its namesakes' orders), so the credit is
    # added in place rather than through Evidence.credit: the same sums, in the same order.
    scores, amount_of = ev.scores, book.amount_of
    exact, close = SCORE["amount"], SCORE["amount_close"]
    for oid in order_ids:
        currency, owed = amount_of[oid]
        if currency != paid_currency or not owed:
            continue
        if owed == paid:
            scores[oid] = scores.get(oid, 0.0) + exact
        elif abs(paid - owed) / owed <= CLOSE_AMOUNT:
            scores[oid] = scores.get(oid, 0.0) + close


def credit_near_misses(ev: Evidence, book: OrderBook, receipt: Receipt) -> None:
    """Invoice numbers one typing slip from what the payer typed, and domains close to one written out: worked
    out only when a person will look, since they can only ever be suggestions."""
    added: list[str] = []
    for ref in ev.typed_refs:
        for near in near_keys(ref.key):
            for oid in book.orders_with_key(near):
                if oid not in ev.invoice_refs and oid not in ev.scores:
                    added.append(oid)
                if oid not in ev.invoice_refs:
                    ev.credit(oid, SCORE["invoice_near"])  # one typing slip from the number typed
    for token in ev.slipped_references:
        for candidate in one_slip_away(token):
            for oid in book.by_payment_reference.get(candidate, ()):
                if oid not in ev.scores:
                    added.append(oid)
                ev.credit(oid, SCORE["invoice"])  # one slip from a reference the worker issued: the likeliest
    for domain in ev.unknown_domains:
        label = domain_label(domain, book.patterns)
        if len(label) < NEAR_DOMAIN_STEM:
            continue
        nearby = book.domain_prefix(label[:NEAR_DOMAIN_STEM])
        if len(nearby) > NEAR_DOMAIN_LIMIT:
            continue
        for oid in nearby:
            other = domain_label(book.orders[oid].domain, book.patterns)
            if SequenceMatcher(None, label, other).ratio() >= NEAR_DOMAIN_RATIO:
                if oid not in ev.scores:
                    added.append(oid)
                ev.credit(oid, SCORE["domain_near"])  # close to the domain written out
    _credit_amounts(ev, book, receipt, dict.fromkeys(added))


# ---- strategies: each proposes the orders a receipt settles, or says nothing ------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Proposal:
    """A strategy's answer: these orders, found this way. `sure` means the identification is by an exact key
    and uncontradicted; the policy still checks the amount before acting."""

    strategy: str
    orders: tuple[str, ...]
    evidence: str
    sure: bool = True
    doubt: str = ""  # why a person must look, when not sure
    doubt_kind: str = "ambiguous"  # the review kind when not sure: ambiguous or conflicting_reference


def _payer_conflict(ev: Evidence, book: OrderBook, order_ids: Iterable[str], paid: Money) -> str:
    """The payer is another customer, not the referenced one: named in full (or by e-mail) with an open order,
    or by initial and surname with an open order for exactly this amount."""
    contacts = {book.orders[o].contact.contact_id for o in order_ids}
    if any(m.contact_id in contacts for m in ev.payers if m.level >= PayerLevel.INITIALS):
        return ""
    for m in ev.payers:
        if m.level < PayerLevel.INITIALS:
            continue
        theirs = book.open_orders(book.by_contact.get(m.contact_id, ()))
        if m.level == PayerLevel.INITIALS:
            theirs = [o for o in theirs if book.owes_exactly(o, paid)]
        if theirs:
            return f"but {m.how}, another customer with an open order ({book.orders[theirs[0]].invoice_number})"
    return ""


def _domain_word_conflict(ev: Evidence, book: OrderBook, order_ids: Iterable[str]) -> str:
    """Another customer's whole domain written without its dots (payee "KAURICAFECONZ") beside the invoice number:
    the payer is that customer as surely as by name, and the number may be a slip onto someone else's invoice."""
    contacts = {book.orders[o].contact.contact_id for o in order_ids}
    for word, hits in ev.domain_words:
        whole = [
            o
            for o in book.open_orders(hits)
            if word in (squash(book.orders[o].domain), domain_label(book.orders[o].domain, book.patterns))
        ]
        if whole and not any(book.orders[o].contact.contact_id in contacts for o in whole):
            theirs = book.orders[whole[0]]
            return f"but '{word.upper()}' is {theirs.domain}, another customer's open order ({theirs.invoice_number})"
    return ""


def _invoices(book: OrderBook, order_ids: Iterable[str]) -> str:
    return ", ".join(book.orders[o].invoice_number for o in order_ids)


def by_xero_invoice(receipt: Receipt, ev: Evidence, book: OrderBook) -> Proposal | None:
    """Xero already applied this payment to an invoice: the invoice's orders are the ones paid."""
    if receipt.source is not ReceiptSource.XERO_PAYMENT or not receipt.invoice_id:
        return None
    ids = tuple(book.by_invoice_id.get(receipt.invoice_id, ()))
    if not ids:
        return None
    return Proposal(
        strategy="xero_invoice",
        orders=ids,
        evidence=f"Xero applied it to invoice {receipt.invoice_number or receipt.invoice_id}",
    )


def by_invoice_reference(receipt: Receipt, ev: Evidence, book: OrderBook) -> Proposal | None:
    """Invoice numbers the payer typed, matched against invoices that exist."""
    if not ev.invoice_refs:
        return None
    ids = tuple(sorted(ev.invoice_refs, key=lambda o: book.orders[o].invoice_number))
    evidence = "; ".join(dict.fromkeys(ev.invoice_refs[o] for o in ids))
    doubt = _payer_conflict(ev, book, ids, receipt.money) or _domain_word_conflict(ev, book, ids)
    if ev.slipped_references and not doubt:
        # A payment reference one slip from ours is only ever a suggestion; with it, nothing is acted on.
        doubt = f"payment reference {ev.slipped_references[0]} does not verify (a typing slip?)"
    extra_domains = sorted(set(ev.domain_refs) - set(ids), key=lambda o: book.orders[o].invoice_number)
    if extra_domains:
        both = (*ids, *extra_domains)
        owed = book.total(both)
        if owed is not None and owed.same_value(receipt.money):
            # "INV-0739 kingcafeonline.nz" for exactly both: one payment for the invoice and the domain's order.
            ids = both
            evidence = "; ".join([evidence, *dict.fromkeys(ev.domain_refs[o] for o in extra_domains)])
        else:
            doubt = doubt or "the domain named is another order's: " + _invoices(book, extra_domains)
    return Proposal(
        strategy="invoice_reference",
        orders=ids,
        evidence=evidence,
        sure=not doubt,
        doubt=doubt,
        doubt_kind="conflicting_reference",
    )


def by_domain_reference(receipt: Receipt, ev: Evidence, book: OrderBook) -> Proposal | None:
    """A domain name written out in full ('mereking.nz') that only one order has."""
    if not ev.domain_refs:
        return None
    ids = tuple(sorted(ev.domain_refs, key=lambda o: book.orders[o].invoice_number))
    evidence = "; ".join(dict.fromkeys(ev.domain_refs[o] for o in ids))
    doubt = _payer_conflict(ev, book, ids, receipt.money)
    if ev.unknown_invoice_refs:
        doubt = doubt or f"it also quotes {', '.join(ev.unknown_invoice_refs)}, which is no invoice of ours"
    return Proposal(
        strategy="domain_reference",
        orders=ids,
        evidence=evidence,
        sure=not doubt,
        doubt=doubt,
        doubt_kind="conflicting_reference",
    )


def by_domain_word(receipt: Receipt, ev: Evidence, book: OrderBook) -> Proposal | None:
    """A domain written without dots or cut short by the bank's 12-character field ('NAPIERCLEANI'). When it
    starts several domains, the open ones are narrowed by the payer, then by the exact amount."""
    if ev.invoice_refs or ev.domain_refs or not ev.domain_words:
        return None
    word, hits = ev.domain_words[0]
    shown = f"'{word.upper()}' in the reference"
    open_hits = book.open_orders(hits)
    if not open_hits:
        return Proposal(
            strategy="domain_word",
            orders=hits,
            evidence=f"{shown} is domain " + ", ".join(sorted({book.orders[o].domain for o in hits})),
        )
    if len(open_hits) == 1:
        oid = open_hits[0]
        doubt = _payer_conflict(ev, book, open_hits, receipt.money)
        return Proposal(
            strategy="domain_word",
            orders=(oid,),
            sure=not doubt,
            doubt=doubt,
            doubt_kind="conflicting_reference",
            evidence=f"{shown} is domain {book.orders[oid].domain}",
        )
    steps = [f"{shown} starts {len(open_hits)} open orders' domains"]
    paying = [o for o in open_hits if (ev.payer_level(book.orders[o].contact.contact_id) or 0) >= PayerLevel.INITIALS]
    narrowed_by_payer = False
    if paying:
        steps.append(f"the payer fits {len(paying)}")
        narrowed_by_payer = len(paying) < len(open_hits)
        open_hits = paying
    exact = [o for o in open_hits if book.owes_exactly(o, receipt.money)]
    if len(open_hits) > 1 and len(exact) == 1:
        steps.append(f"only {book.orders[exact[0]].domain} is for {receipt.money}")
        open_hits = exact
    if len(open_hits) == 1:
        fits = {m.contact_id for m in ev.payers if m.level >= PayerLevel.NAME}
        if narrowed_by_payer and len(fits) > 1:
            return Proposal(
                strategy="domain_word",
                orders=(open_hits[0],),
                evidence="; ".join(steps),
                sure=False,
                doubt=f"the payer fits {len(fits)} customers, so it cannot tell the domains apart",
            )
        return Proposal(strategy="domain_word", orders=(open_hits[0],), evidence="; ".join(steps))
    return Proposal(
        strategy="domain_word",
        orders=tuple(exact or open_hits),
        sure=False,
        evidence=steps[0],
        doubt=f"{len(exact)} of them are for {receipt.money}",
    )


def _contact_names(book: OrderBook, matches: Iterable[PayerMatch]) -> str:
    return ", ".join(sorted({book.contacts.contacts[m.contact_id].name for m in matches}))


def by_payer_and_amount(receipt: Receipt, ev: Evidence, book: OrderBook) -> Proposal | None:
    """No usable reference: the payer is a known customer (e-mail, name, or initials and surname) and exactly
    one of the open orders of the firmest such customers is for exactly this amount. A family trust or holding
    company known only by its family's or business's name is suggested, never acted on."""
    if ev.invoice_refs or ev.domain_refs or ev.domain_words or ev.unknown_invoice_refs or ev.unknown_domains:
        return None
    for level in (PayerLevel.EMAIL, PayerLevel.NAME, PayerLevel.INITIALS, PayerLevel.RELATED):
        at_level = [m for m in ev.payers if m.level == level]
        with_open = [m for m in at_level if book.open_orders(book.by_contact.get(m.contact_id, ()))]
        if not with_open:
            continue
        exact = [
            oid
            for m in with_open
            for oid in book.open_orders(book.by_contact[m.contact_id])
            if book.owes_exactly(oid, receipt.money)
        ]
        how = with_open[0].how if len(with_open) == 1 else f"{len(with_open)} customers fit the payer"
        if level is PayerLevel.RELATED:
            # A family trust or holding company pays for whichever of its family's or group's businesses it likes:
            # suggested with the reason, never acted on (rules.payers.ContactIndex._match_on_behalf).
            return Proposal(
                strategy="payer_and_amount",
                orders=tuple(exact),
                evidence="; ".join(m.how for m in with_open[:3]) + ("; ..." if len(with_open) > 3 else ""),
                sure=False,
                doubt=f"paid by a {with_open[0].on_behalf} on a customer's behalf, which names no order: "
                "suggested, never acted on",
            )
        if len(at_level) > 1:
            # The payer fits more than one customer at its firmest (the same e-mail, name, or initials and
            # surname, as T KEREAMA for Tama and Tui): even if only one of them owes this amount, it may be the
            # other paying early, or for something not invoiced yet. Never acted on.
            return Proposal(
                strategy="payer_and_amount",
                orders=tuple(exact),
                evidence=f"{len(at_level)} customers fit the payer ({_contact_names(book, at_level)})",
                sure=False,
                doubt="a payer that fits more than one customer proves neither",
            )
        if len(exact) == 1:
            return Proposal(
                strategy="payer_and_amount",
                orders=(exact[0],),
                evidence=f"{how}; their only open order for {receipt.money}",
            )
        if len(exact) > 1:
            return Proposal(
                strategy="payer_and_amount",
                orders=tuple(exact),
                evidence=how,
                sure=False,
                doubt=f"{len(exact)} open orders of these customers are for {receipt.money}",
            )
        return Proposal(
            strategy="payer_and_amount",
            orders=(),
            evidence=how,
            sure=False,
            doubt=f"none of their open orders is for {receipt.money}",
        )
    return None


STRATEGIES = (by_xero_invoice, by_invoice_reference, by_domain_reference, by_domain_word, by_payer_and_amount)


def ranked_candidates(
    ev: Evidence, book: OrderBook, receipt: Receipt, policy: MatchPolicy, first: Sequence[str] = ()
) -> list[str]:
    """Open orders worth suggesting, best first: `first`, then by evidence points; orders only the amount points
    at come last and only when there are few of them."""
    ranked = sorted(
        (oid for oid in ev.scores if book.is_open(oid) or oid in first),
        key=lambda o: (-ev.scores[o], book.orders[o].due, o),
    )
    out = list(dict.fromkeys([*first, *ranked]))
    return out[: policy.max_candidates]


def amount_only_candidates(book: OrderBook, receipt: Receipt, policy: MatchPolicy) -> list[str]:
    """Open orders for exactly this amount, when there are few enough to be worth a look."""
    if policy.amount_only_candidates <= 0:
        return []
    hits: list[str] = []
    # Common amounts (a hosting plan's price) have thousands of orders: stop as soon as there are too many.
    for oid in book.by_amount.get((receipt.money.currency, receipt.money.cents()), ()):
        if book.is_open(oid):
            hits.append(oid)
            if len(hits) > policy.amount_only_candidates:
                return []
    return hits
