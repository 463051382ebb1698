"""The payment services' names as the reseller reads them: "PayPal", not the key `paypal` that settings, the store
and notice formats use. The one place a service's key becomes words. Pure.
"""

from __future__ import annotations

# Each key's name: also the default Xero contact its fees are booked to (config/gateways.py).
SERVICE_NAMES = {"stripe": "Stripe", "paypal": "PayPal", "windcave": "Windcave", "xero": "Xero online payments"}
# The company whose mail and records speak for the service: Xero's online payments are Xero's.
COMPANY_NAMES = {**SERVICE_NAMES, "xero": "Xero"}


def service_name(key: str, *, unknown: str = "a payment service") -> str:
    """'paypal' -> 'PayPal'; a key the worker does not know, capitalised as it is ('gocardless' -> 'Gocardless');
    `unknown` for none."""
    key = key.strip()
    if not key:
        return unknown
    return SERVICE_NAMES.get(key.lower()) or key[:1].upper() + key[1:]


def company_name(key: str, *, unknown: str = "a payment service") -> str:
    """Who sends the service's notices and keeps its records: 'xero' -> 'Xero', 'paypal' -> 'PayPal'."""
    return COMPANY_NAMES.get(key.strip().lower()) or service_name(key, unknown=unknown)
