"""Decisions, table by table: one row per strategy and per reason, on a small book of orders with the traps a
bookkeeper knows (namesakes, a customer with two orders, look-alike domains, a payer who is someone else)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from rules.matching import MatchPolicy, OrderBook, PaymentRecord
from rules.model import Contact, DecisionKind, NoticeReading, Order, OrderKind, Receipt, ReceiptSource
from rules.money import Money
from rules.policy import apply, decide, decide_reading

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
POLICY = MatchPolicy(own_names=("KiwiWeb Design Ltd",))


def contact(cid: str, name: str, first: str, last: str, email: str = "") -> Contact:
    return Contact(contact_id=cid, name=name, first_name=first, last_name=last, email=email)


MURPHY = contact("c1", "Emma Murphy", "Emma", "Murphy", "emma.murphy@xtra.co.nz")
KELLY = contact("c2", "Kelly Catering", "Nikau", "Kelly", "nikau@xtra.co.nz")
LI = contact("c3", "Wiremu Li", "Wiremu", "Li")
MOTORS = contact("c4", "Thompson Motors Ltd", "Max", "Thompson")
KING_PHOTO = contact("c5", "King Photography Limited", "Aria", "King")
KING_ACC = contact("c6", "King Accounting", "Aroha", "King")
NAPIER = contact("c7", "Napier Cleaning", "Sam", "Hughes")
NAPIER_SVC = contact("c8", "Napier Cleaning Services", "Jo", "Reid")
OAMARU = contact("c9", "Oamaru Tutoring", "Wiremu", "Thompson")


def order(oid: str, number: str, who: Contact, domain: str, amount: str, currency: str = "NZD") -> Order:
    return Order(
        order_id=oid,
        kind=OrderKind.DOMAIN_REGISTRATION,
        invoice_number=number,
        invoice_id=f"id-{number}",
        contact=who,
        domain=domain,
        amount_due=Money.of(amount, currency),
        issued=date(2026, 10, 1),
        due=date(2026, 10, 15),
    )


ORDERS = [
    order("ORD-1", "INV-0042", MURPHY, "emmamurphyart.nz", "35.00"),
    order("ORD-2", "INV-0043", KELLY, "kellycatering.com", "30.00"),
    order("ORD-3", "INV-0044", KELLY, "kellycateringnz.com", "45.00"),
    order("ORD-4", "INV-0050", LI, "wiremuli.nz", "35.00"),
    order("ORD-5", "INV-0051", MOTORS, "thompsonmotors.nz", "35.00"),
    order("ORD-6", "INV-0060", KING_PHOTO, "kingphotography.com", "95.00"),
    order("ORD-7", "INV-0061", KING_ACC, "kingaccounting.nz", "95.00"),
    order("ORD-8", "INV-0070", NAPIER, "napiercleaning.org.nz", "45.00"),
    order("ORD-9", "INV-0071", NAPIER_SVC, "napiercleaningservices.nz", "25.00"),
    order("ORD-10", "INV-1058", OAMARU, "oamarututoring.co.nz", "25.00"),
]


def bank(
    payee: str,
    reference: str = "",
    notes: str = "",
    amount: str = "35.00",
    *,
    rid: str = "line",
    currency: str = "NZD",
    flags: tuple[str, ...] = (),
    kind: str = "CREDIT",
) -> Receipt:
    text = tuple((k, v) for k, v in (("reference", reference), ("notes", notes)) if v)
    return Receipt(
        receipt_id=rid,
        source=ReceiptSource.BANK_LINE,
        received_at=T0,
        money=Money.of(amount, currency),
        payer_name=payee,
        text=text,
        raw_kind=kind,
        flags=flags,
    )


def notice(
    gateway: str,
    amount: str,
    memo: str = "",
    *,
    payer: str = "",
    email: str = "",
    txn: str = "t1",
    rid: str = "msg",
    currency: str = "NZD",
    invoice_number: str = "",
    at: datetime = T0,
) -> Receipt:
    return Receipt(
        receipt_id=rid,
        source=ReceiptSource.NOTICE,
        received_at=at,
        money=Money.of(amount, currency),
        payer_name=payer,
        payer_email=email,
        text=(("memo", memo),) if memo else (),
        gateway=gateway,
        gateway_txn_id=txn,
        invoice_number=invoice_number,
    )


def payment(
    invoice_number: str, amount: str, *, rid: str = "pay", at: datetime = T0, flags: tuple[str, ...] = ()
) -> Receipt:
    return Receipt(
        receipt_id=rid,
        source=ReceiptSource.XERO_PAYMENT,
        received_at=at,
        money=Money.of(amount, "NZD"),
        gateway="xero",
        gateway_txn_id=rid,
        invoice_id=f"id-{invoice_number}",
        invoice_number=invoice_number,
        flags=flags,
    )


def fresh_book() -> OrderBook:
    return OrderBook(ORDERS)


AUTO_CASES = [
    ("invoice number", bank("EMMA MURPHY", "INV-0042"), ["ORD-1"], "invoice_reference"),
    ("payer is someone else", bank("H & G YOUNG", "inv42", "WEB"), ["ORD-1"], "invoice_reference"),
    ("letter O for zero", bank("MURPHY E", "INV-O042"), ["ORD-1"], "invoice_reference"),
    ("stray characters", bank("E MURPHY", "INV--0042."), ["ORD-1"], "invoice_reference"),
    ("spread over particulars and code", bank("E MURPHY", "INV", "0042"), ["ORD-1"], "invoice_reference"),
    ("combined", bank("KELLY CATERING", "INV-0043 INV-0044", amount="75.00"), ["ORD-2", "ORD-3"], "invoice_reference"),
    (
        "invoice and another order's domain, paid together",
        notice("paypal", "65.00", "INV-0042 kellycatering.com"),
        ["ORD-1", "ORD-2"],
        "invoice_reference",
    ),
    ("bare number", bank("W & W THOMPSON", "1058", "WEBSITE", amount="25.00"), ["ORD-10"], "invoice_reference"),
    (
        "domain written out",
        notice("paypal", "30.00", "kellycatering.com", payer="Nikau Kelly"),
        ["ORD-2"],
        "domain_reference",
    ),
    ("domain cut short, amount picks one", bank("S HUGHES", "NAPIERCLEANI", amount="45.00"), ["ORD-8"], "domain_word"),
    ("domain under another ending", notice("stripe", "30.00", "kellycatering.co"), ["ORD-2"], "domain_word"),
    ("initial and surname", bank("E MURPHY", "THANKS", "WEBSITE"), ["ORD-1"], "payer_and_amount"),
    (
        "a file name is no domain",
        notice("paypal", "35.00", "see invoice.pdf", email="emma.murphy@xtra.co.nz"),
        ["ORD-1"],
        "payer_and_amount",
    ),
    ("payer e-mail", notice("stripe", "45.00", "Payment", email="NIKAU@xtra.co.nz"), ["ORD-3"], "payer_and_amount"),
    ("Xero payment on the invoice", payment("INV-0051", "35.00"), ["ORD-5"], "xero_invoice"),
]


@pytest.mark.parametrize(("case", "receipt", "orders", "strategy"), AUTO_CASES, ids=[c[0] for c in AUTO_CASES])
def test_auto(case: str, receipt: Receipt, orders: list[str], strategy: str) -> None:
    """An exact same-currency settlement of exactly the identified orders is acted on, naming its strategy."""
    d = decide(receipt, fresh_book(), PaymentRecord(), POLICY)
    assert (d.kind, sorted(d.orders), d.strategy) == (DecisionKind.AUTO, orders, strategy)
    assert strategy in d.reason and "settles" in d.reason


REVIEW_CASES = [
    ("short paid", bank("EMMA MURPHY", "INV-0042", amount="30.00"), "ORD-1", "short_paid"),
    ("short by bank fees", bank("EMMA MURPHY", "INV-0042", amount="34.50"), "ORD-1", "short_paid"),
    ("overpaid", bank("EMMA MURPHY", "INV-0042", amount="70.00"), "ORD-1", "overpaid"),
    ("reference names another customer's invoice", bank("WIREMU LI", "INV-0051"), "ORD-4", "conflicting_reference"),
    ("two namesakes owe the amount", bank("A KING", "THANKS", amount="95.00"), "ORD-6", "ambiguous"),
    ("foreign currency", notice("paypal", "35.00", "INV-0042", currency="AUD"), "ORD-1", "foreign_currency"),
    ("invoice number that does not exist", bank("E MURPHY", "INV-9999"), None, "unmatched"),
    ("typo in the invoice number", bank("SOMEONE", "INV-0024"), "ORD-1", "unmatched"),
    ("domain cut short, no amount fits", bank("J BLOGGS", "NAPIERCLEANI", amount="30.00"), "ORD-8", "ambiguous"),
    ("domain cut short, payer picks one", bank("S HUGHES", "NAPIERCLEANI", amount="30.00"), "ORD-8", "short_paid"),
    ("payer's only order is for another amount", bank("E MURPHY", "", amount="20.00"), "ORD-1", "ambiguous"),
    (
        "customer owes two orders, paid both without reference",
        bank("KELLY CATERING", "", amount="75.00"),
        "ORD-2",
        "ambiguous",
    ),
    ("unknown payer", bank("SHARON SCOTT", "", amount="250.00"), None, "unmatched"),
    (
        "invoice and another order's domain, paid for one",
        notice("paypal", "35.00", "INV-0042 kellycatering.com"),
        "ORD-2",
        "conflicting_reference",
    ),
    (
        "the amount written out is no invoice number",
        bank("SHARON SCOTT", "PAID 1058", amount="1058.00"),
        None,
        "unmatched",
    ),
    (
        "a domain we do not know",
        notice("paypal", "35.00", "othersite.nz", email="emma.murphy@xtra.co.nz"),
        "ORD-1",
        "unmatched",
    ),
    ("typo in a domain", notice("paypal", "35.00", "emmamurphyartt.nz", payer="Someone Else"), "ORD-1", "unmatched"),
    ("a customer named like a gateway", bank("SQUARE DEAL BUILDERS", "", amount="99.00"), None, "unmatched"),
]


@pytest.mark.parametrize(("case", "receipt", "best", "kind"), REVIEW_CASES, ids=[c[0] for c in REVIEW_CASES])
def test_review(case: str, receipt: Receipt, best: str | None, kind: str) -> None:
    """Anything short of certain goes to a person with the likely order among at most five suggestions."""
    d = decide(receipt, fresh_book(), PaymentRecord(), POLICY)
    assert (d.kind, d.review_kind) == (DecisionKind.REVIEW, kind)
    assert len(d.orders) <= POLICY.max_candidates
    if best is not None:
        assert best in d.orders
    assert d.reason and d.suggested_action


def test_conflict_suggests_both_orders() -> None:
    """A payer who is a customer quoting another customer's invoice gets both orders suggested."""
    d = decide(bank("WIREMU LI", "INV-0051"), fresh_book(), PaymentRecord(), POLICY)
    assert {"ORD-4", "ORD-5"} <= set(d.orders)
    assert "Wiremu Li" in d.reason


IGNORE_CASES = [
    ("reconciled", bank("X", "INV-0042", flags=("reconciled",)), "reconciled"),
    ("flagged duplicate", bank("X", "INV-0042", flags=("duplicate",)), "duplicate"),
    ("deleted", bank("TEST", "TEST", flags=("deleted",)), "deleted"),
    ("debit", bank("UPSTREAM HOSTING", "DD", amount="-325.00", kind="DEBIT"), "going out"),
    ("interest", bank("INTEREST", "CREDIT INTEREST", amount="17.37"), "interest"),
    ("card payout", bank("STRIPE", "STRIPE PAYOUT", amount="3855.00"), "settlement"),
    ("gateway settlement", bank("WINDCAVE", "SETTLEMENT", amount="839.88"), "settlement"),
    ("settlement by another gateway", bank("GOCARDLESS LTD", "GC", amount="120.00"), "settlement"),
    ("gateway payee with filler words", bank("STRIPE PAYMENTS AUSTRALIA PTY", "", amount="99.00"), "settlement"),
    ("gateway of two words", bank("DPS PAYMENT EXPRESS", "", amount="99.00"), "settlement"),
    ("own account by name", bank("KIWIWEB DESIGN LIMITED", "TRANSFER", amount="1124.00"), "own account"),
    ("own transfer by words", bank("K W D L", "TRANSFER FROM SAVINGS", amount="500.00"), "own accounts"),
    ("payment on an invoice that is no order", payment("INV-1131", "450.00"), "no pending order"),
    ("bill payment", payment("INV-0042", "35.00", flags=("not_customer_payment",)), "not a payment from a customer"),
]


@pytest.mark.parametrize(("case", "receipt", "words"), IGNORE_CASES, ids=[c[0] for c in IGNORE_CASES])
def test_ignore(case: str, receipt: Receipt, words: str) -> None:
    """What is no customer payment for an open order is ignored, with a reason saying what it is."""
    d = decide(receipt, fresh_book(), PaymentRecord(), POLICY)
    assert d.kind is DecisionKind.IGNORE
    assert words in d.reason
    assert d.orders == ()


def test_an_order_paid_once_is_closed() -> None:
    """A second receipt for a paid order is never a second action: a person looks at a possible double payment."""
    book = fresh_book()
    first = bank("EMMA MURPHY", "INV-0042", rid="a")
    d1 = decide(first, book, PaymentRecord(), POLICY)
    apply(book, first, d1)
    d2 = decide(bank("EMMA MURPHY", "INV-0042", rid="b"), book, PaymentRecord(), POLICY)
    assert d1.kind is DecisionKind.AUTO
    assert (d2.kind, d2.review_kind) == (DecisionKind.REVIEW, "already_paid")
    assert "a" in d2.reason


def test_resent_notice_repeats_the_first() -> None:
    """A notice resent for the same gateway transaction is ignored as a repeat of the one acted on."""
    book = fresh_book()
    first = notice("stripe", "35.00", "INV-0042", txn="pi_1", rid="m1")
    apply(book, first, decide(first, book, PaymentRecord(), POLICY))
    d = decide(replace(first, receipt_id="m2"), book, PaymentRecord(), POLICY)
    assert d.kind is DecisionKind.IGNORE and "m1" in d.reason


def test_xero_payment_for_an_order_we_already_settled_is_ignored() -> None:
    """Our own payment coming back from Xero repeats the receipt that settled the order."""
    book = fresh_book()
    line = bank("EMMA MURPHY", "INV-0042", rid="line-1")
    apply(book, line, decide(line, book, PaymentRecord(), POLICY))
    d = decide(payment("INV-0042", "35.00"), book, PaymentRecord(), POLICY)
    assert d.kind is DecisionKind.IGNORE and "line-1" in d.reason


def test_gateway_notice_for_an_invoice_paid_through_xero_repeats_that_payment() -> None:
    """The customer paid the Xero invoice by PayPal: Xero's payment acts, PayPal's notice of it is a repeat."""
    book = fresh_book()
    pay = payment("INV-0042", "35.00", rid="PAY-1")
    record = PaymentRecord([pay])
    apply(book, pay, decide(pay, book, record, POLICY))
    later = notice("paypal", "35.00", "INV-0042", at=T0 + timedelta(minutes=5))
    d = decide(later, book, record, POLICY)
    assert d.kind is DecisionKind.IGNORE and "PAY-1" in d.reason
    # Another day, another payment: a person checks for a double payment.
    d = decide(replace(later, received_at=T0 + timedelta(days=5)), book, record, POLICY)
    assert (d.kind, d.review_kind) == (DecisionKind.REVIEW, "already_paid")


@pytest.mark.parametrize(
    ("recorded", "kind"),
    [
        (payment("INV-0042", "35.00", at=T0 - timedelta(hours=3)), DecisionKind.IGNORE),
        (payment("INV-0042", "35.00", at=T0 + timedelta(hours=20)), DecisionKind.IGNORE),
        (payment("INV-0042", "30.00", at=T0), DecisionKind.REJECT),  # another amount
        (payment("INV-0043", "35.00", at=T0), DecisionKind.REJECT),  # another invoice
        (payment("INV-0042", "35.00", at=T0 - timedelta(days=3)), DecisionKind.REJECT),  # too long before
        (None, DecisionKind.REJECT),
    ],
)
def test_xero_notices_need_xero_s_own_record(recorded: Receipt | None, kind: DecisionKind) -> None:
    """Anyone can send through Xero: a notice stands only if Xero's payment record says the same within a day."""
    record = PaymentRecord([recorded] if recorded else [])
    xero_notice = notice("xero", "35.00", "Payment received for INV-0042", invoice_number="INV-0042")
    d = decide(xero_notice, fresh_book(), record, POLICY)
    assert d.kind is kind
    assert d.orders == ()
    assert "Xero" in d.reason


def test_forwarded_notice_is_reviewed_with_the_orders_it_names() -> None:
    """Staff forwarding a notice proves nothing: review, with the named order first."""
    reading = NoticeReading(
        message_id="fwd", received_at=T0, forwarded=True, receipt=notice("paypal", "35.00", "INV-0042", rid="fwd")
    )
    d = decide_reading(reading, fresh_book(), PaymentRecord(), POLICY)
    assert (d.kind, d.review_kind, d.orders[0]) == (DecisionKind.REVIEW, "forwarded", "ORD-1")


@pytest.mark.parametrize(
    ("reading", "kind"),
    [
        (NoticeReading(message_id="q", received_at=None, quarantine=True, reason="broken MIME"), DecisionKind.REVIEW),
        (
            NoticeReading(message_id="r", received_at=T0, verdict=DecisionKind.REJECT, reason="DKIM fails"),
            DecisionKind.REJECT,
        ),
        (
            NoticeReading(message_id="i", received_at=T0, verdict=DecisionKind.IGNORE, reason="a money request"),
            DecisionKind.IGNORE,
        ),
    ],
)
def test_readings_without_a_receipt_keep_their_verdict(reading: NoticeReading, kind: DecisionKind) -> None:
    """A reading's own verdict and reason stand; quarantined mail is a review item."""
    d = decide_reading(reading, fresh_book(), PaymentRecord(), POLICY)
    assert (d.receipt_id, d.kind) == (reading.message_id, kind)
    assert d.reason == reading.reason


def test_words_never_overrule_an_invoice_number() -> None:
    """'INTEREST' next to one of our invoice numbers is still a customer's payment."""
    d = decide(bank("EMMA MURPHY", "INV-0042 INTEREST"), fresh_book(), PaymentRecord(), POLICY)
    assert d.kind is DecisionKind.AUTO


def test_an_invoice_in_the_payer_s_currency_is_settled_in_it() -> None:
    """An AUD invoice paid with exactly that many AUD is acted on; NZD owed and AUD paid is not."""
    aud = order("ORD-A", "INV-0090", MURPHY, "emmamurphy.com.au", "50.00", currency="AUD")
    book = OrderBook([*ORDERS, aud])
    paid = notice("paypal", "50.00", "INV-0090", currency="AUD")
    assert decide(paid, book, PaymentRecord(), POLICY).kind is DecisionKind.AUTO
    d = decide(notice("paypal", "35.00", "INV-0042", currency="AUD"), book, PaymentRecord(), POLICY)
    assert (d.kind, d.review_kind) == (DecisionKind.REVIEW, "foreign_currency")


def test_the_reseller_s_own_name_is_no_domain_reference() -> None:
    """'KIWIWEBDESIGN' in a reference is the reseller, even when a customer's domain starts that way."""
    own_site = order("ORD-K", "INV-0095", KELLY, "kiwiwebdesignstudio.nz", "35.00")
    book = OrderBook([*ORDERS, own_site])
    d = decide(bank("E MURPHY", "KIWIWEBDESIGN"), book, PaymentRecord(), POLICY)
    assert (d.kind, d.orders, d.strategy) == (DecisionKind.AUTO, ("ORD-1",), "payer_and_amount")


def test_tolerance_is_configuration() -> None:
    """A reseller who accepts 50 cents of fees gets the short payment acted on; the default is exact."""
    loose = replace(POLICY, auto_tolerance=Decimal("0.50"))
    short = bank("EMMA MURPHY", "INV-0042", amount="34.50")
    assert decide(short, fresh_book(), PaymentRecord(), loose).kind is DecisionKind.AUTO
    assert decide(short, fresh_book(), PaymentRecord(), POLICY).kind is DecisionKind.REVIEW
