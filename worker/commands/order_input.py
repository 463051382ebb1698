"""What a person types for an order or a hosting service, checked at the command before anything is queued: the
domain (IDNA form, an ending that is sold), the customer's name and e-mail, an amount, and a Xero ContactID that
Xero actually holds. Each refusal is one sentence naming the value and what would do."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from rules.suffixes import by_suffix
from worker.commands.arguments import InputRefused, xero_contact_id
from worker.domain_names import BadDomainName, DomainName, parse_domain_name

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from config.settings import Settings
    from integrations.ports import Accounting

# Xero's limits for a contact (Accounting API OpenAPI spec, Contact.Name and Contact.EmailAddress: maxLength 255).
MAX_CONTACT_NAME = 255
MAX_EMAIL = 254  # RFC 5321 section 4.5.3.1.3: a path is at most 256 octets including the angle brackets
MAX_LOCAL_PART = 64  # RFC 5321 section 4.5.3.1.1
LARGEST_AMOUNT = Decimal("1000000")
# The local part of an address as people use it (RFC 5322 dot-atom; quoted forms are not accepted by Xero anyway).
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


def site_domain(text: str) -> DomainName:
    """A site's domain (hosting): any valid name."""
    try:
        return parse_domain_name(text)
    except BadDomainName as exc:
        raise InputRefused(str(exc)) from None


def domain_to_order(settings: Settings, text: str) -> DomainName:
    """A domain to register: valid, and an ending the price table or the registrar sells."""
    domain = site_domain(text)
    sold = {**settings.registrar.register_prices, **settings.hosting.domain_rates}
    if by_suffix(sold, domain.ascii) is None:
        endings = ", ".join(f".{s}" for s in sorted(sold)) or "none configured"
        raise InputRefused(
            f"{domain.shown()}: .{domain.ascii.rsplit('.', 1)[1]} domains are not sold here (endings with a price in "
            f"[hosting] domain_rates or [registrar] register_prices: {endings})"
        )
    return domain


def customer_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise InputRefused("--name is empty")
    if len(name) > MAX_CONTACT_NAME:
        raise InputRefused(f"--name is {len(name)} characters; Xero takes at most {MAX_CONTACT_NAME}")
    if any(not ch.isprintable() for ch in name):
        raise InputRefused("--name contains a control character")
    return name


def customer_email(text: str) -> str:
    """One plain address, its domain checked as a domain name."""
    address = text.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise InputRefused(f"--email {address!r} is not an e-mail address (name@example.co.nz)")
    if len(address) > MAX_EMAIL or len(local) > MAX_LOCAL_PART:
        raise InputRefused(f"--email {address[:40]!r}... is longer than an e-mail address may be")
    if not LOCAL_PART.match(local):
        raise InputRefused(f"--email {address!r}: the part before @ has a character an address cannot have")
    try:
        parsed = parse_domain_name(domain)
    except BadDomainName as exc:
        raise InputRefused(f"--email {address!r}: {exc}") from None
    return f"{local}@{parsed.ascii}"


def typed_amount(text: str, option: str) -> Decimal:
    """Money as typed: positive, at most two decimal places (never rounded silently), less than a million."""
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise InputRefused(f"{option} {text!r} is not an amount (e.g. 35.00)") from None
    if not amount.is_finite() or amount <= 0:
        raise InputRefused(f"{option} must be a positive amount, not {text}")
    if amount != amount.quantize(Decimal("0.01")):
        raise InputRefused(f"{option} {text} has more than two decimal places (cents); write e.g. {amount:.2f}")
    if amount >= LARGEST_AMOUNT:
        raise InputRefused(f"{option} {text} is more than any order here could cost")
    return amount.quantize(Decimal("0.01"))


def contact_id(text: str) -> str:
    """A Xero ContactID as typed: Xero's ids are GUIDs."""
    try:
        return xero_contact_id(text)
    except InputRefused as exc:
        raise InputRefused(f"--contact {exc}") from None


def invoiced_contact(conn: Connection, text: str) -> str:
    """A ContactID the worker has read invoices of (payer links are only ever matched against those)."""
    from sqlalchemy import func, select

    from worker.store.tables import orders

    wanted = text.strip()
    found = conn.execute(
        select(orders.c.contact_id).where(func.lower(orders.c.contact_id) == wanted.lower()).limit(1)
    ).scalar()
    if found is None:
        raise InputRefused(
            f"--contact {wanted!r}: no invoice the worker has read is for this contact, so a link to it could never "
            "match (see 'reseller-worker orders list --status all' for customers)"
        )
    return str(found)


def known_contact(accounting: Accounting, text: str) -> str:
    """The ContactID, once Xero confirms it holds an active contact with it."""
    wanted = contact_id(text)
    found = accounting.contact(wanted)
    if found is None:
        raise InputRefused(f"--contact {wanted}: Xero has no active contact with this ContactID")
    return found.contact_id or wanted
