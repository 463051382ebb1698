"""`ManualRegistrar`, the default: nothing is bought by the worker. Each registration or renewal comes back as
`done_by_hand=True`; the worker turns it into a to-do (exact domain, term, customer) that a person closes with
`reseller-worker orders done ORD-1042 --ref ...`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from integrations.ports import AccountBalance, Availability, DomainDetails, RegistrarResult
from integrations.registrar.terms import UpstreamPrices
from rules.money import Money

# The status `details` reports: the registrar cannot be asked, so a person checks before buying.
MANUAL_STATUS = "manual"

DomainBook = Callable[[str], DomainDetails | None]


def _no_book(domain: str) -> DomainDetails | None:
    return None


class ManualRegistrar:
    """Answers from the worker's own record of domains (`book`) and the configured upstream prices."""

    def __init__(self, *, prices: UpstreamPrices, book: DomainBook = _no_book) -> None:
        self.prices = prices
        self.book = book

    def is_available(self, domain: str) -> bool:
        # Unknown without a registrar API: only a domain we already hold is known to be unavailable.
        known = self.book(domain)
        return known is None or not known.ours

    def availability(self, domain: str) -> Availability:
        # Premium pricing is unknown without a registrar API: the person who registers it sees the price.
        return Availability(domain=domain, available=self.is_available(domain))

    def details(self, domain: str) -> DomainDetails:
        known = self.book(domain)
        if known is None:
            return DomainDetails(domain=domain, ours=False, status=MANUAL_STATUS)
        return DomainDetails(
            domain=domain,
            ours=known.ours,
            expires=known.expires,
            status=MANUAL_STATUS,
            registrar_order_id=known.registrar_order_id,
        )

    def register(self, domain: str, *, years: int, contact_ref: str, idempotency_key: str) -> RegistrarResult:
        return RegistrarResult(
            domain=domain,
            registrar_order_id="",
            cost=self.price(domain, action="register", years=years),
            done_by_hand=True,
        )

    def renew(self, domain: str, *, years: int, current_expiry: date, idempotency_key: str) -> RegistrarResult:
        return RegistrarResult(
            domain=domain,
            registrar_order_id="",
            cost=self.price(domain, action="renew", years=years),
            done_by_hand=True,
        )

    def price(self, domain: str, *, action: str, years: int) -> Money | None:
        return self.prices.price(domain, action=action, years=years)

    def balance(self) -> AccountBalance | None:
        return None  # whatever account a person buys from, the worker cannot see it
