"""A held-out corpus in the shared corpus's format (context, orders, bank lines, Xero payments, mail, labels), built
from the forms real mail and banks use that the shared corpus does not have: notices in English, German, French and
Spanish with local amounts and encoded subjects, labels with their values on the next line, Stripe receipts with each
label on its own line, refunds, disputes and money requests in each language, payer notes that imitate the service,
NZ bank narratives (packed Particulars/Code/Reference, PAYMENT FROM and DIRECT CREDIT FROM payers, a payee spelling a
domain, several invoices in one reference, transposed digits), and payers that are trading names, family trusts,
holding companies, or card payers writing from the customer's own domain. Notices are signed with the test DKIM key
(tests/notices/fixtures), whose public half the context's `dns_txt` holds.

Deterministic for a seed. `score` is the shared corpus's scoring (../shared/corpus/score.py), so a test needs
nothing outside the repository.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import dkim

from worker.effects.books import payment_reference_for

FIXTURES = Path(__file__).resolve().parents[1] / "notices" / "fixtures"
TEST_KEY = (FIXTURES / "test-key.pem").read_bytes()
TODAY = date(2026, 11, 26)
START = date(2026, 10, 12)
INBOX = "accounts@kiwiweb.example"
RESELLER = "KiwiWeb Design Ltd"
NBSP = "\u00a0"

FIRST = [
    "Aroha",
    "Mere",
    "Tane",
    "Hemi",
    "Sina",
    "Liam",
    "Olivia",
    "Noah",
    "Isla",
    "Jack",
    "Ruby",
    "Leo",
    "Amelia",
    "Mason",
    "Harper",
    "Eli",
    "Zoe",
    "Ari",
    "Maia",
    "Kai",
    "Nina",
    "Tui",
    "Rangi",
    "Pita",
    "Ana",
    "Tom",
    "Lucy",
]
LAST = [
    "Ngata",
    "Parata",
    "Tawhiri",
    "Moana",
    "Rewi",
    "Hohaia",
    "Kereama",
    "Walsh",
    "Brennan",
    "Okafor",
    "Lindqvist",
    "Duval",
    "Moreau",
    "Schmidt",
    "Vogel",
    "Garcia",
    "Herrera",
    "Costa",
    "Petrovic",
    "Novak",
    "Ishikawa",
    "Rana",
]
TRADES = [
    "Plumbing",
    "Bakery",
    "Cafe",
    "Yoga",
    "Law",
    "Motors",
    "Roofing",
    "Tutoring",
    "Florist",
    "Joinery",
    "Physio",
    "Vineyard",
    "Surf School",
    "Gallery",
    "Brewery",
    "Kennels",
]
PLACES = [
    "Kauri",
    "Tasman",
    "Raglan",
    "Wanaka",
    "Kaikoura",
    "Hokianga",
    "Matakana",
    "Ohope",
    "Karamea",
    "Taupo",
    "Waiheke",
    "Coromandel",
    "Otaki",
    "Piha",
    "Akaroa",
    "Kerikeri",
    "Oamaru",
    "Motueka",
]
TLDS = [".co.nz", ".nz", ".com", ".org.nz", ".net.nz"]
PRICES = ["25.00", "30.00", "35.00", "45.00", "60.00", "90.00", "95.00", "129.00", "1234.50"]


@dataclass
class Customer:
    contact_id: str
    name: str
    first: str
    last: str
    email: str
    domain: str


@dataclass
class Built:
    """Everything being built, and the truth about it."""

    rng: random.Random
    scale: int = 1  # how many of each form, per 100 customers
    customers: list[Customer] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    mail: list[tuple[str, bytes]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    open_orders: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def label(self, receipt: str, expect: str, orders: list[str], category: str, **extra: Any) -> None:
        self.labels.append({"receipt": receipt, "expect": expect, "orders": orders, "category": category, **extra})

    def take_open(self, *, amount: str | None = None, exclude: set[str] | None = None) -> dict[str, Any]:
        """An open order no other receipt pays, and no namesake's (so the truth is clear-cut)."""
        for _ in range(500):
            order = self.rng.choice(self.open_orders)
            if amount is not None and order["amount_due"] != amount:
                continue
            if exclude and order["order_id"] in exclude:
                continue
            self.open_orders.remove(order)
            return order
        raise RuntimeError("no open order left to pay")


# ---------------------------------------------------------------------------------------------- customers, orders


def _customers(b: Built, count: int) -> None:
    seen_names: set[str] = set()
    seen_domains: set[str] = set()
    while len(b.customers) < count:
        first, last = b.rng.choice(FIRST), b.rng.choice(LAST)
        company = b.rng.random() < 0.6
        if company:
            name = f"{b.rng.choice(PLACES)} {b.rng.choice(TRADES)}" + b.rng.choice([" Ltd", " Limited", ""])
        else:
            name = f"{first} {last}"
        label = "".join(ch for ch in (name if company else f"{first}{last}").lower() if ch.isalnum())
        label = label.removesuffix("limited").removesuffix("ltd")
        domain = label + b.rng.choice(TLDS)
        if name in seen_names or label in seen_domains or f"{first} {last}" in seen_names:
            continue
        seen_names.update({name, f"{first} {last}"})
        seen_domains.add(label)
        email = f"{first.lower()}@{domain}" if b.rng.random() < 0.5 else f"{first.lower()}.{last.lower()}@gmail.com"
        b.customers.append(Customer(b.uid(), name, first, last, email, domain))


def _orders(b: Built, per_customer: int) -> None:
    number = 1000
    for customer in b.customers:
        for n in range(b.rng.randint(1, per_customer)):
            number += b.rng.randint(1, 3)
            issued = START + timedelta(days=b.rng.randint(0, 20))
            kind = b.rng.choice(["domain_registration", "domain_renewal", "hosting"])
            order = {
                "order_id": f"ORD-{len(b.orders) + 1001}",
                "kind": kind,
                "invoice_number": f"INV-{number:04d}",
                "invoice_id": b.uid(),
                "contact": {
                    "contact_id": customer.contact_id,
                    "name": customer.name,
                    "first_name": customer.first,
                    "last_name": customer.last,
                    "email": customer.email,
                },
                "domain": customer.domain if n == 0 else f"{customer.domain.split('.')[0]}{n}{TLDS[n % 3]}",
                "amount_due": b.rng.choice(PRICES[:-1]) if b.rng.random() < 0.97 else PRICES[-1],
                "currency": "NZD",
                "issued": issued.isoformat(),
                "due": (issued + timedelta(days=14)).isoformat(),
            }
            if b.rng.random() < 0.3:  # an invoice the worker raised: it carries a payment reference
                order["payment_reference"] = payment_reference_for(len(b.orders) + 1)
            b.orders.append(order)
            b.open_orders.append(order)


def _customer_of(b: Built, order: dict[str, Any]) -> Customer:
    return next(c for c in b.customers if c.contact_id == order["contact"]["contact_id"])


def _paid_on(b: Built, order: dict[str, Any]) -> date:
    issued = date.fromisoformat(order["issued"])
    return min(TODAY, issued + timedelta(days=b.rng.randint(1, 14)))


def _digits(order: dict[str, Any]) -> str:
    return order["invoice_number"].split("-")[1]


# ---------------------------------------------------------------------------------------------- bank lines


def _line(b: Built, day: date, amount: str, *, payee: str, reference: str = "", notes: str = "") -> str:
    line_id = b.uid()
    b.lines.append(
        {
            "statementLineId": line_id,
            "postedDate": day.isoformat(),
            "transactionDate": day.isoformat(),
            "payee": payee,
            "reference": reference,
            "notes": notes,
            "chequeNo": "",
            "amount": float(amount),
            "type": "CREDIT" if float(amount) > 0 else "DEBIT",
            "isReconciled": False,
            "isDuplicate": False,
            "isDeleted": False,
            "payments": [],
            "bankTransactions": [],
        }
    )
    return line_id


def _transposed_pair(b: Built) -> tuple[dict[str, Any], dict[str, Any]]:
    """An open order, and another customer's open order for the same amount whose invoice number is the first's
    with two neighbouring digits swapped (made so when the numbering has no such pair)."""
    numbers = {o["invoice_number"] for o in b.orders}
    for _ in range(500):
        order = b.take_open()
        digits = _digits(order)
        swapped = digits[:2] + digits[3] + digits[2]
        if swapped == digits or f"INV-{swapped}" in numbers:
            b.open_orders.append(order)
            continue
        stranger = b.rng.choice([c for c in b.customers if c.contact_id != order["contact"]["contact_id"]])
        other = {
            **order,
            "order_id": f"ORD-{len(b.orders) + 1001}",
            "invoice_number": f"INV-{swapped}",
            "invoice_id": b.uid(),
            "contact": {
                "contact_id": stranger.contact_id,
                "name": stranger.name,
                "first_name": stranger.first,
                "last_name": stranger.last,
                "email": stranger.email,
            },
            "domain": stranger.domain.split(".")[0] + "x" + TLDS[0],
        }
        b.orders.append(other)
        return order, other
    raise RuntimeError("no order to transpose")


def _bank_name(customer: Customer, rng: random.Random) -> str:
    if customer.name != f"{customer.first} {customer.last}":
        return customer.name.upper()
    return rng.choice([f"{customer.first} {customer.last}", f"{customer.first[0]} {customer.last}"]).upper()


def _bank_forms(b: Built) -> None:
    rng = b.rng
    for _ in range(8 * b.scale):  # "PAYMENT FROM <name>" with the invoice number written every way
        order = b.take_open()
        customer = _customer_of(b, order)
        reference = rng.choice(
            [f"INV{_digits(order)}", f"INV-{_digits(order)}", f"inv {_digits(order)}", _digits(order)]
        )
        line = _line(
            b,
            _paid_on(b, order),
            order["amount_due"],
            payee=f"PAYMENT FROM {_bank_name(customer, rng)}",
            reference=reference,
        )
        b.label(line, "auto", [order["order_id"]], "bank:payment-from")
    for _ in range(8 * b.scale):  # Particulars / Code / Reference packed as 12-character columns in one field
        order = b.take_open()
        customer = _customer_of(b, order)
        particulars = customer.domain.split(".")[0].upper()[:12]
        code = rng.choice(["DOMAIN", "HOSTING", "RENEWAL", "WEB"])
        packed = f"{particulars:<12}{code:<12}INV{_digits(order)}"
        if len(particulars) == 12 and rng.random() < 0.5:
            packed = f"{particulars}INV{_digits(order)}"  # a full column runs into the next
        line = _line(b, _paid_on(b, order), order["amount_due"], payee=_bank_name(customer, rng), reference=packed)
        b.label(line, "auto", [order["order_id"]], "bank:packed-columns")
    for _ in range(6 * b.scale):  # a blank payee; "DIRECT CREDIT FROM <name>" in the narrative
        order = b.take_open()
        customer = _customer_of(b, order)
        line = _line(
            b,
            _paid_on(b, order),
            order["amount_due"],
            payee="",
            notes=f"DIRECT CREDIT FROM {_bank_name(customer, rng)}",
            reference=f"INV{_digits(order)}",
        )
        b.label(line, "auto", [order["order_id"]], "bank:direct-credit-narrative")
    made = 0
    for _ in range(300 * b.scale):  # the payee spells the customer's domain without the dot
        if made == 6 * b.scale:
            break
        order = b.take_open()
        if order["domain"] != _customer_of(b, order).domain:
            b.open_orders.append(order)
            continue
        spelled = order["domain"].replace(".", "").upper()
        line = _line(b, _paid_on(b, order), order["amount_due"], payee=spelled)
        b.label(line, "auto", [order["order_id"]], "bank:payee-is-domain")
        made += 1
    forms = ("INV{a}/{b}", "{a} & {b}", "{a}+{b}", "INV {a}, {b} and {c}") * b.scale
    for form in forms:  # several invoices in one reference
        first = b.take_open()
        customer_orders = [o for o in b.open_orders if o["contact"]["contact_id"] == first["contact"]["contact_id"]]
        others = customer_orders[:2] if "{c}" in form else customer_orders[:1]
        if len(others) < form.count("{") - 1:
            continue
        for o in others:
            b.open_orders.remove(o)
        group = [first, *others]
        reference = form.format(**{k: _digits(o) for k, o in zip("abc", group, strict=False)})
        total = f"{sum(float(o['amount_due']) for o in group):.2f}"
        line = _line(
            b,
            max(_paid_on(b, o) for o in group),
            total,
            payee=_bank_name(_customer_of(b, first), rng),
            reference=reference,
        )
        b.label(line, "auto", [o["order_id"] for o in group], "bank:several-invoices")
    for _ in range(
        4 * b.scale
    ):  # transposed digits that land on another customer's invoice of the same amount: suggest
        order, other = _transposed_pair(b)
        customer = _customer_of(b, order)
        line = _line(
            b,
            _paid_on(b, order),
            order["amount_due"],
            payee=f"{customer.first} {customer.last}".upper(),
            reference=f"INV{_digits(other)}",
        )
        b.label(line, "review", [order["order_id"]], "bank:transposed-digits")
    for _ in range(6 * b.scale):  # trading names, family trusts, holding companies paying with the invoice number
        order = b.take_open()
        customer = _customer_of(b, order)
        payer = rng.choice(
            [
                f"{customer.last} FAMILY TRUST",
                f"{customer.last} HOLDINGS LTD",
                f"{customer.first[0]} {customer.last} T/A {customer.domain.split('.')[0]}",
            ]
        ).upper()
        line = _line(b, _paid_on(b, order), order["amount_due"], payee=payer, reference=f"INV-{_digits(order)}")
        b.label(line, "auto", [order["order_id"]], "bank:trust-or-holding")
    with_reference = [o for o in b.open_orders if o.get("payment_reference")]
    for order in with_reference[: 5 * b.scale]:  # the payment reference with its check digit, as typed
        b.open_orders.remove(order)
        ref = order["payment_reference"]
        typed = rng.choice([ref, f"{ref[:4]} {ref[4:]}", f"REF {ref}"])
        line = _line(
            b, _paid_on(b, order), order["amount_due"], payee=rng.choice(["J SMITH", "A N OTHER"]), reference=typed
        )
        b.label(line, "auto", [order["order_id"]], "bank:payment-reference")
    for order in with_reference[5 * b.scale : 9 * b.scale]:  # the reference with a typing slip: suggest only
        b.open_orders.remove(order)
        ref = order["payment_reference"]
        at = rng.randrange(1, 6)
        slipped = (
            ref[:at] + ref[at + 1] + ref[at] + ref[at + 2 :]
            if ref[at] != ref[at + 1]
            else ref[:7] + str((int(ref[7]) + 1) % 10)
        )
        customer = _customer_of(b, order)
        line = _line(b, _paid_on(b, order), order["amount_due"], payee=_bank_name(customer, rng), reference=slipped)
        b.label(line, "review", [order["order_id"]], "bank:payment-reference-slipped")
    for payee, reference in (("STRIPE PAYMENTS AUSTRALIA", "PAYOUT"), ("INTEREST", "CREDIT INTEREST")):
        line = _line(b, TODAY - timedelta(days=3), "412.50", payee=payee, reference=reference)
        b.label(line, "ignore", [], "bank:not-a-customer-payment")


# ---------------------------------------------------------------------------------------------- notices


def _amount(value: str, style: str) -> str:
    whole, cents = value.split(".")
    grouped = f"{int(whole):,}"
    if style == "en":
        return f"${grouped}.{cents} NZD"
    euro = grouped.replace(",", ".")
    return {
        "de": f"{euro},{cents}{NBSP}NZ$",
        "fr": f"{euro.replace('.', NBSP)},{cents}{NBSP}$ NZ",
        "es": f"NZ${NBSP}{euro},{cents}",
        "stripe": f"NZ${grouped}.{cents}",
    }[style]


def _message(
    b: Built,
    *,
    sender: str,
    subject: str,
    body: str,
    when: datetime,
    to: str = INBOX,
    domain: str = "paypal.com",
    signed: bool = True,
) -> tuple[str, bytes]:
    message_id = f"{b.next_id()}.{b.rng.getrandbits(40)}@{domain}"
    encoded = subject if subject.isascii() else Header(subject, "utf-8").encode()
    head = (
        f"From: {sender}\nTo: {to}\nSubject: {encoded}\nDate: {format_datetime(when)}\n"
        f'Message-ID: <{message_id}>\nMIME-Version: 1.0\nContent-Type: text/plain; charset="utf-8"\n'
        "Content-Transfer-Encoding: 8bit\n"
    )
    raw = (head + "\n" + body).encode("utf-8")
    if signed:
        signature = dkim.sign(
            raw,
            b"test1",
            domain.encode(),
            TEST_KEY,
            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
            linesep=b"\n",
        )
        raw = bytes(signature) + raw
    raw = (f"Authentication-Results: mx.kiwiweb.example;\n dkim=pass header.d={domain}; dmarc=pass\n").encode() + raw
    b.mail.append((message_id, raw))
    return message_id, raw


def _when(b: Built, order: dict[str, Any]) -> datetime:
    day = _paid_on(b, order)
    return datetime(day.year, day.month, day.day, b.rng.randint(8, 20), b.rng.randint(0, 59), tzinfo=UTC)


PAYPAL_PAYMENT = {
    "en": (
        "You received a payment from {payer}",
        "Hello KiwiWeb Design Ltd,\n\nYou received a payment of {amount} from "
        "{payer} ({email}).\n\nTransaction ID\n{txn}\n\nNote from {payer}: {note}\n",
    ),
    "de": (
        "Sie haben eine Zahlung erhalten",
        "Hallo KiwiWeb Design Ltd!\n\n{payer} hat Ihnen {amount} gesendet\n\n"
        "Transaktionsdetails\n\nTransaktionscode\n{txn}\n\nErhaltener Betrag {amount}\n\nMitteilung von {payer}: "
        "{note}\n",
    ),
    "fr": (
        "Vous avez reçu un paiement",
        "Bonjour KiwiWeb Design Ltd,\n\n{payer} vous a envoyé {amount}\n\n"
        "Numéro de transaction\n{txn}\n\nMessage de {payer} : {note}\n",
    ),
    "es": (
        "Has recibido un pago",
        "Hola, KiwiWeb Design Ltd\n\n{payer} le envió {amount}\n\nId. de transacción "
        "{txn}\n\nNota de {payer}: {note}\n",
    ),
}
PAYPAL_NOT_PAYMENT = {
    "en": [
        ("You've issued a refund", "You issued a refund of {amount} to {payer}.\n"),
        ("A dispute was opened", "{payer} opened a dispute for {amount}.\n"),
        ("{payer} sent you a request for {amount}", "{payer} requested {amount} from you.\n"),
    ],
    "de": [
        ("Sie haben eine Rückzahlung gesendet", "Sie haben {payer} eine Rückzahlung über {amount} gesendet.\n"),
        ("Zahlungsrückbuchung für Ihr Konto", "{payer} hat eine Rückbuchung über {amount} veranlasst.\n"),
        ("{payer} hat Ihnen eine Zahlungsanforderung gesendet", "{payer} hat {amount} von Ihnen angefordert.\n"),
    ],
    "fr": [
        ("Vous avez effectué un remboursement", "Vous avez effectué un remboursement de {amount} à {payer}.\n"),
        ("Un litige a été ouvert", "{payer} a ouvert un litige de {amount}.\n"),
        ("{payer} vous a envoyé une demande de paiement", "{payer} vous a demandé {amount}.\n"),
    ],
    "es": [
        ("Has emitido un reembolso", "Has emitido un reembolso de {amount} a {payer}.\n"),
        ("Se abrió una disputa", "{payer} abrió una disputa por {amount}.\n"),
        ("{payer} te envió una solicitud de pago", "{payer} te ha solicitado {amount}.\n"),
    ],
}


def _txn(b: Built) -> str:
    return "".join(b.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(17))


def _notice_forms(b: Built) -> None:
    rng = b.rng
    for language in ("en", "de", "fr", "es"):
        for _ in range(5 * b.scale):  # a payment in the account holder's language, the invoice number in the note
            order = b.take_open()
            customer = _customer_of(b, order)
            subject, body = PAYPAL_PAYMENT[language]
            note = rng.choice([order["invoice_number"], f"inv {_digits(order)}", f"{order['domain']}"])
            fields = {
                "payer": f"{customer.first} {customer.last}",
                "email": customer.email,
                "amount": _amount(order["amount_due"], language),
                "txn": _txn(b),
                "note": note,
            }
            message_id, _ = _message(
                b,
                sender="PayPal <service@paypal.com>",
                subject=subject.format(**fields),
                body=body.format(**fields),
                when=_when(b, order),
            )
            b.label(message_id, "auto", [order["order_id"]], f"mail:paypal-{language}")
        for subject, body in PAYPAL_NOT_PAYMENT[language]:  # refunds, disputes, money requests: never a payment
            customer = rng.choice(b.customers)
            fields = {"payer": f"{customer.first} {customer.last}", "amount": _amount("45.00", language)}
            message_id, _ = _message(
                b,
                sender="PayPal <service@paypal.com>",
                subject=subject.format(**fields),
                body=body.format(**fields),
                when=datetime(2026, 11, 10, 9, tzinfo=UTC),
            )
            b.label(message_id, "ignore", [], f"mail:paypal-{language}-not-a-payment")
    for _ in range(5 * b.scale):  # newer Stripe layout: each label on its own line, the value on the next
        order = b.take_open()
        customer = _customer_of(b, order)
        amount = _amount(order["amount_due"], "stripe")
        body = (
            f"KiwiWeb Design Ltd\n\nPayment received\n\nAmount\n{amount}\n\nDescription\n{order['invoice_number']}"
            f"\n\nCustomer\n{customer.email}\n\nPayment ID\npi_{_txn(b).lower()}\n"
        )
        message_id, _ = _message(
            b,
            sender="Stripe <notifications@stripe.com>",
            subject=f"Payment of {amount} from {customer.email}",
            body=body,
            when=_when(b, order),
            domain="stripe.com",
        )
        b.label(message_id, "auto", [order["order_id"]], "mail:stripe-labels-on-own-lines")
    for _ in range(5 * b.scale):  # a card payer writing from the customer's own domain, no reference
        order = b.take_open()
        customer = _customer_of(b, order)
        if order["domain"] != customer.domain or any(
            o is not order
            and o["contact"]["contact_id"] == customer.contact_id
            and o["amount_due"] == order["amount_due"]
            for o in b.orders
        ):
            b.open_orders.append(order)
            continue
        email = f"accounts@{customer.domain}"
        amount = _amount(order["amount_due"], "stripe")
        body = (
            f"KiwiWeb Design Ltd\n\nYou received a payment of {amount} from {email}.\n\nAmount: {amount} NZD\n"
            f"Customer: {email}\nPayment ID: pi_{_txn(b).lower()}\n"
        )
        message_id, _ = _message(
            b,
            sender="Stripe <notifications@stripe.com>",
            subject=f"Payment of {amount} from {email}",
            body=body,
            when=_when(b, order),
            domain="stripe.com",
        )
        b.label(message_id, "auto", [order["order_id"]], "mail:card-payer-at-customer-domain")
    for _ in range(
        4 * b.scale
    ):  # payer notes that imitate the service: the amount that arrived decides, a person looks
        customer = rng.choice(b.customers)
        order = rng.choice([o for o in b.orders if o["contact"]["contact_id"] == customer.contact_id])
        fake = _amount(order["amount_due"], "en")
        note = rng.choice(
            [
                f"You received a payment of {fake} from {RESELLER}. {order['invoice_number']}",
                f"Amount: {fake} {order['invoice_number']}",
                f"payment declined earlier, refund pending {order['invoice_number']}",
            ]
        )
        fields = {
            "payer": f"{customer.first} {customer.last}",
            "email": customer.email,
            "amount": "$0.01 NZD",
            "txn": _txn(b),
            "note": note,
        }
        subject, body = PAYPAL_PAYMENT["en"]
        message_id, _ = _message(
            b,
            sender="PayPal <service@paypal.com>",
            subject=subject.format(**fields),
            body=body.format(**fields),
            when=datetime(2026, 11, 12, 9, tzinfo=UTC),
        )
        b.label(message_id, "review", [order["order_id"]], "mail:payer-note-imitates-service", suggestable=False)
    for _ in range(3 * b.scale):  # genuine notices for someone else's account, passed on: rejected
        customer = rng.choice(b.customers)
        fields = {
            "payer": f"{customer.first} {customer.last}",
            "email": customer.email,
            "amount": "$45.00 NZD",
            "txn": _txn(b),
            "note": "INV-1001",
        }
        subject, body = PAYPAL_PAYMENT["en"]
        message_id, _ = _message(
            b,
            sender="PayPal <service@paypal.com>",
            subject=subject.format(**fields),
            body=body.format(**fields),
            to="Scammer <payee@example.com>",
            when=datetime(2026, 11, 13, 9, tzinfo=UTC),
        )
        b.label(message_id, "reject", [], "mail:spoof-other-recipient")
    for _ in range(3 * b.scale):  # unsigned mail claiming to be PayPal: rejected
        fields = {
            "payer": "Someone",
            "email": "x@example.com",
            "amount": "$45.00 NZD",
            "txn": _txn(b),
            "note": "INV-1001",
        }
        subject, body = PAYPAL_PAYMENT["en"]
        message_id, _ = _message(
            b,
            sender="PayPal <service@paypal.com>",
            subject=subject.format(**fields),
            body=body.format(**fields),
            signed=False,
            when=datetime(2026, 11, 14, 9, tzinfo=UTC),
        )
        b.label(message_id, "reject", [], "mail:spoof-unsigned")


# ---------------------------------------------------------------------------------------------- on a customer's behalf

# Family and business names no other customer has (FIRST, LAST, PLACES and TRADES share none of them), so the truth
# about a family trust or holding company paying is clear-cut: made of two halves, eighty of each kind.
FAMILY_HEADS = ["Whit", "Fair", "Pen", "Strat", "Haver", "Kel", "Marl", "Quen", "Thorn", "Ash"]
FAMILY_TAILS = ["lock", "bairn", "haligon", "ridge", "wick", "ford", "stow", "mere"]
BUSINESS_HEADS = ["Blue", "Red", "Silver", "Iron", "Stone", "Sun", "Crest", "Gold", "Grey", "Moss"]
BUSINESS_TAILS = ["gum", "fern", "peak", "bay", "wharf", "vale", "brook", "field"]


@dataclass
class Names:
    """Unused rare names, drawn without replacement."""

    families: list[str]
    businesses: list[str]

    @classmethod
    def shuffled(cls, rng: random.Random) -> Names:
        families = [h + t for h in FAMILY_HEADS for t in FAMILY_TAILS]
        businesses = [h + t for h in BUSINESS_HEADS for t in BUSINESS_TAILS]
        rng.shuffle(families)
        rng.shuffle(businesses)
        return cls(families, businesses)


def _own_customer(b: Built, name: str, first: str, last: str, amount: str) -> tuple[Customer, dict[str, Any]]:
    """A customer of the reseller with one open order, kept out of the pool other forms pay from."""
    label = "".join(ch for ch in name.lower() if ch.isalnum()).removesuffix("ltd")
    domain = label + b.rng.choice(TLDS)
    email = f"{first.lower()}@{domain}"
    customer = Customer(b.uid(), name, first, last, email, domain)
    b.customers.append(customer)
    issued = START + timedelta(days=b.rng.randint(0, 20))
    order = {
        "order_id": f"ORD-{len(b.orders) + 1001}",
        "kind": "domain_registration",
        "invoice_number": f"INV-{90000 + len(b.orders)}",
        "invoice_id": b.uid(),
        "contact": {
            "contact_id": customer.contact_id,
            "name": name,
            "first_name": first,
            "last_name": last,
            "email": email,
        },
        "domain": domain,
        "amount_due": amount,
        "currency": "NZD",
        "issued": issued.isoformat(),
        "due": (issued + timedelta(days=14)).isoformat(),
    }
    b.orders.append(order)
    return customer, order


def _payers_on_behalf(b: Built) -> None:
    """Family trusts and holding companies paying without a reference. A trust's initials with the family name act
    as those initials would alone; its family name alone, and a holding company's name, are suggested (the right
    order first); a trust of one family paying another family's customer is never acted on without a reference."""
    rng = b.rng
    names = Names.shuffled(rng)

    def prefixed(payee: str) -> str:
        return rng.choice([payee, f"PAYMENT FROM {payee}"])  # the bank's words before it: no domain is read in it

    for _ in range(2 * b.scale):  # the family name alone: a hint, suggested with the right order first
        family = names.families.pop()
        first = rng.choice(FIRST)
        _, order = _own_customer(b, f"{family} {rng.choice(TRADES)} Ltd", first, family, rng.choice(PRICES[:-1]))
        payee = rng.choice(
            [
                f"{family} FAMILY TRUST",
                f"THE {family} FAMILY TRUST",
                f"TRUSTEES OF THE {family} FAMILY TRUST",
                f"{family} FAMILY TST",
                f"{family} TRUST",
                f"{family} FAMILY T",  # cut short by the bank's payee field
            ]
        ).upper()
        line = _line(b, _paid_on(b, order), order["amount_due"], payee=prefixed(payee))
        b.label(line, "review", [order["order_id"]], "bank:trust-family-name")
    for _ in range(2 * b.scale):  # initials with the family name: as "J & K SMITH" would, it acts
        family = names.families.pop()
        first = rng.choice(FIRST)
        _, order = _own_customer(b, f"{first} {family}", first, family, rng.choice(PRICES[:-1]))
        other = rng.choice([c for c in "ABDEGHJKLMNPRSTW" if c != first[0]])
        forms = [
            f"{first[0]} & {other} {family} FAMILY TRUST",
            f"{first[0]} {family} TRUSTEES",
            f"{first[0]} & {other} {family} FAMILY TRST",
        ]
        if not set(first[0] + other) & set("AEIOUY"):
            forms.append(f"{first[0]}{other} {family} TRUST")  # initials run together; "MA" may be a first name
        payee = rng.choice(forms).upper()
        line = _line(b, _paid_on(b, order), order["amount_due"], payee=prefixed(payee))
        b.label(line, "auto", [order["order_id"]], "bank:trust-initials")
    for _ in range(2 * b.scale):  # a holding company sharing the business's distinctive word or the owner's surname
        business, family = names.businesses.pop(), names.families.pop()
        first = rng.choice(FIRST)
        _, order = _own_customer(b, f"{business} {rng.choice(TRADES)} Ltd", first, family, rng.choice(PRICES[:-1]))
        word = rng.choice([business, family])
        payee = f"{word} {rng.choice(['HOLDINGS LTD', 'HOLDINGS LIMITED', 'GROUP LTD', 'INVESTMENTS LTD'])}".upper()
        line = _line(b, _paid_on(b, order), order["amount_due"], payee=prefixed(payee))
        b.label(line, "review", [order["order_id"]], "bank:holding-company")
    for _ in range(b.scale):  # one family, two customers: the family's trust fits both, so it never acts
        family = names.families.pop()
        amount = rng.choice(PRICES[:-1])
        first, second = rng.sample(FIRST, 2)
        _, order = _own_customer(b, f"{first} {family}", first, family, amount)
        _own_customer(b, f"{family} {rng.choice(TRADES)} Ltd", second, family, amount)
        line = _line(b, _paid_on(b, order), amount, payee=f"{family} FAMILY TRUST".upper())
        b.label(line, "review", [order["order_id"]], "bank:trust-two-customers")
    for _ in range(b.scale):  # one family's trust paying another family's customer
        family = names.families.pop()
        order = b.take_open()
        own = rng.choice([p for p in PRICES[:-1] if p != order["amount_due"]])
        _own_customer(b, f"{rng.choice(FIRST)} {family}", rng.choice(FIRST), family, own)
        line = _line(b, _paid_on(b, order), order["amount_due"], payee=f"THE {family} FAMILY TRUST".upper())
        b.label(line, "review", [order["order_id"]], "bank:trust-other-family", suggestable=False)
        order = b.take_open()
        line = _line(
            b,
            _paid_on(b, order),
            order["amount_due"],
            payee=f"{family} FAMILY TRUST".upper(),
            reference=f"INV{_digits(order)}",
        )
        b.label(line, "auto", [order["order_id"]], "bank:trust-other-family-referenced")
    for _ in range(b.scale):  # card notices paid by a trust: the family name suggests, initials act
        family = names.families.pop()
        first = rng.choice(FIRST)
        _, order = _own_customer(b, f"{first} {family}", first, family, rng.choice(PRICES[:-1]))
        initials = rng.random() < 0.5
        payer = f"{first[0]} {family} Family Trust" if initials else f"{family} Family Trust"
        fields = {
            "payer": payer,
            "email": f"{family.lower()}.trust@gmail.com",
            "amount": _amount(order["amount_due"], "en"),
            "txn": _txn(b),
            "note": "with thanks",
        }
        subject, body = PAYPAL_PAYMENT["en"]
        message_id, _ = _message(
            b,
            sender="PayPal <service@paypal.com>",
            subject=subject.format(**fields),
            body=body.format(**fields),
            when=_when(b, order),
        )
        b.label(message_id, "auto" if initials else "review", [order["order_id"]], "mail:paid-by-a-trust")


# ---------------------------------------------------------------------------------------------- corpus


def build(directory: Path, *, seed: int = 11, customers: int = 150) -> dict[str, int]:
    """Write a held-out corpus under `directory`; returns how many receipts of each category it holds."""
    b = Built(rng=random.Random(seed), scale=max(1, customers // 100))
    _customers(b, customers)
    _orders(b, 3)
    _bank_forms(b)
    _notice_forms(b)
    _payers_on_behalf(b)
    context = json.loads((FIXTURES / "context.json").read_text())
    context = {
        "today": TODAY.isoformat(),
        "home_currency": "NZD",
        "reseller": RESELLER,
        "inbox": INBOX,
        "trusted_authserv_id": "mx.kiwiweb.example",
        "payment_senders": context["payment_senders"],
        "dns_txt": {k: v for k, v in context["dns_txt"].items() if k.startswith("test1.")},
    }
    (directory / "mail").mkdir(parents=True, exist_ok=True)
    (directory / "bank").mkdir(exist_ok=True)
    (directory / "xero").mkdir(exist_ok=True)
    (directory / "context.json").write_text(json.dumps(context, indent=1))
    (directory / "orders.json").write_text(json.dumps(b.orders, indent=1))
    statement = {
        "statementId": b.uid(),
        "startDate": START.isoformat(),
        "endDate": TODAY.isoformat(),
        "statementLines": b.lines,
    }
    (directory / "bank" / "statements.json").write_text(
        json.dumps({"bankAccountCurrencyCode": "NZD", "statements": [statement]}, indent=1)
    )
    (directory / "xero" / "payments.json").write_text(json.dumps({"Payments": b.payments}))
    for n, (_, raw) in enumerate(b.mail, start=1):
        (directory / "mail" / f"{n:05d}.eml").write_bytes(raw)
    (directory / "labels.json").write_text(json.dumps(b.labels, indent=1))
    return dict(Counter(label["category"] for label in b.labels))


# ---------------------------------------------------------------------------------------------- scoring


THRESHOLDS = {"wrong_auto": 0, "reject_recall": 1.0, "auto_recall": 0.97, "ignore_recall": 0.98, "suggest": 0.95}


def score(labels: list[dict[str, Any]], decisions: list[dict[str, Any]]) -> dict[str, Any]:
    """The shared corpus's score.py, as a function: wrong_auto, missing, auto/reject/ignore recall, suggest, and
    the failures by kind."""
    decided = {str(d["receipt"]).strip("<>"): d for d in decisions}
    n: Counter[str] = Counter()
    fails: dict[str, list[str]] = {
        "wrong_auto": [],
        "missed_auto": [],
        "missed_reject": [],
        "missed_ignore": [],
        "missed_suggest": [],
        "missing": [],
    }
    for t in labels:
        rid, exp, truth = t["receipt"], t["expect"], set(t["orders"])
        n[f"truth_{exp}"] += 1
        suggestable = exp == "review" and truth and t.get("suggestable", True)
        if suggestable:
            n["truth_review_with_orders"] += 1
        d = decided.get(rid)
        if d is None:
            n["missing"] += 1
            fails["missing"].append(f"{rid} ({t['category']})")
            continue
        dec, got = d.get("decision"), set(d.get("orders") or [])
        if dec == "auto":
            if exp == "auto" and got == truth:
                n["auto_ok"] += 1
            elif t.get("ambiguous") and got == truth:
                n["auto_lucky"] += 1
                if suggestable:
                    n["suggest_ok"] += 1
            else:
                n["wrong_auto"] += 1
                fails["wrong_auto"].append(f"{rid} ({t['category']}) expected {exp} {sorted(truth)} got {sorted(got)}")
        elif exp == "auto":
            fails["missed_auto"].append(f"{rid} ({t['category']}) got {dec}: {d.get('reason', '')}")
        if exp == "reject":
            n["reject_ok"] += dec == "reject"
            if dec != "reject":
                fails["missed_reject"].append(f"{rid} ({t['category']}) got {dec}: {d.get('reason', '')}")
        if exp == "ignore":
            n["ignore_ok"] += dec == "ignore"
            if dec != "ignore":
                fails["missed_ignore"].append(f"{rid} ({t['category']}) got {dec}: {d.get('reason', '')}")
        if suggestable and dec == "review":
            if truth <= set((d.get("orders") or [])[:5]):
                n["suggest_ok"] += 1
            else:
                fails["missed_suggest"].append(f"{rid} ({t['category']}) got {d.get('orders')}: {d.get('reason')}")

    def ratio(a: str, b: str) -> float:
        return n[a] / n[b] if n[b] else 1.0

    return {
        "receipts": len(labels),
        "wrong_auto": n["wrong_auto"],
        "missing": n["missing"],
        "auto_recall": ratio("auto_ok", "truth_auto"),
        "reject_recall": ratio("reject_ok", "truth_reject"),
        "ignore_recall": ratio("ignore_ok", "truth_ignore"),
        "suggest": ratio("suggest_ok", "truth_review_with_orders"),
        "fails": fails,
    }


def passes(result: dict[str, Any]) -> bool:
    return (
        result["wrong_auto"] == 0
        and result["missing"] == 0
        and result["reject_recall"] >= THRESHOLDS["reject_recall"]
        and result["auto_recall"] >= THRESHOLDS["auto_recall"]
        and result["ignore_recall"] >= THRESHOLDS["ignore_recall"]
        and result["suggest"] >= THRESHOLDS["suggest"]
    )


def summary(result: dict[str, Any]) -> str:
    return (
        f"score: wrong_auto={result['wrong_auto']} missing={result['missing']} auto_recall={result['auto_recall']:.3f} "
        f"reject_recall={result['reject_recall']:.3f} ignore_recall={result['ignore_recall']:.3f} "
        f"suggest={result['suggest']:.3f} {'PASS' if passes(result) else 'FAIL'}"
    )
