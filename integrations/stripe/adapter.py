"""`StripePaymentService`: the PaymentService port on Stripe's API through the official `stripe` package.

A payout's contents come from `GET /v1/balance_transactions?payout=po_...` with each line's source expanded, which
gives per payment its gross, Stripe's fee and the net (docs.stripe.com/payouts/reconciliation). Reads only: the
worker never moves money at Stripe. One retry policy on transient errors, a timeout on every call, and the
package's own retries off so the policy is the only one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

import stripe

from integrations.errors import IntegrationError, NotConfigured, PermanentError, RateLimited, TransientError
from integrations.ports import ServicePayout
from integrations.retrying import transient_retry
from integrations.stripe.emulator import from_minor
from rules.payouts import PayoutLine

SYSTEM = "stripe"
PAGE = 100  # the most Stripe returns per page (docs.stripe.com/api/pagination)
T = TypeVar("T")


class StripePaymentService:
    def __init__(
        self,
        *,
        api_key: str,
        api_base: str = "",
        timeout_seconds: float = 20.0,
        retry_attempts: int = 3,
        retry_seconds: float = 30.0,
        retry_initial_wait: float = 0.5,
    ) -> None:
        if not api_key:
            raise NotConfigured("no Stripe API key (RW_GATEWAYS_STRIPE_API_KEY)", system=SYSTEM)
        # The package logs every request at INFO; our own summary line per job says what was read.
        logging.getLogger("stripe").setLevel(logging.WARNING)
        bases = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=bases,  # type: ignore[arg-type]
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=(min(5.0, timeout_seconds), timeout_seconds)),
        )
        self._retry = transient_retry(
            attempts=retry_attempts, max_seconds=retry_seconds, initial_wait=retry_initial_wait
        )
        self.calls = 0  # HTTP requests made (for the bench)

    def payouts(self, *, arriving_since: date) -> Sequence[ServicePayout]:
        """Payouts paid or on their way to the bank that arrive on or after `arriving_since`, oldest first."""
        since = int(datetime.combine(arriving_since, time(), UTC).timestamp())
        found: list[ServicePayout] = []
        for p in self._all("list payouts", self._client.v1.payouts.list, {"arrival_date": {"gte": since}}):
            if p.get("status") not in ("paid", "in_transit"):
                continue  # pending has no fixed contents; failed and canceled ones return to the balance
            currency = str(p["currency"])
            found.append(
                ServicePayout(
                    payout_id=str(p["id"]),
                    net=from_minor(int(p["amount"]), currency),
                    arrives=datetime.fromtimestamp(int(p["arrival_date"]), UTC).date(),
                    status=str(p["status"]),
                    automatic=bool(p.get("automatic", True)),
                )
            )
        return sorted(found, key=lambda p: (p.arrives, p.payout_id))

    def payout_lines(self, payout: ServicePayout) -> Sequence[PayoutLine]:
        """The balance transactions an automatic payout carried, each with its source expanded (a charge's payment
        intent is how a notice names it)."""
        params: dict[str, Any] = {"payout": payout.payout_id, "expand": ["data.source"]}
        lines: list[PayoutLine] = []
        for t in self._all("list balance transactions", self._client.v1.balance_transactions.list, params):
            currency = str(t["currency"])
            source = t.get("source")
            related: tuple[str, ...] = ()
            if isinstance(source, dict):
                source_id = str(source.get("id", ""))
                intent = source.get("payment_intent")  # an id, or an object when expanded further
                related = (str(intent.get("id") if isinstance(intent, dict) else intent),) if intent else ()
            else:
                source_id = str(source or "")
            lines.append(
                PayoutLine(
                    kind=str(t.get("reporting_category") or t.get("type") or "other"),
                    source_id=source_id,
                    gross=from_minor(int(t["amount"]), currency),
                    fee=from_minor(int(t["fee"]), currency),
                    net=from_minor(int(t["net"]), currency),
                    related_ids=related,
                    description=str(t.get("description") or ""),
                )
            )
        return lines

    def _all(self, what: str, fn: Callable[..., Any], params: dict[str, Any]) -> Iterable[dict[str, Any]]:
        """Every page of a list, each page one call under the retry policy."""
        cursor = ""
        while True:
            page_params = {**params, "limit": PAGE, **({"starting_after": cursor} if cursor else {})}

            def one_page(chosen: dict[str, Any] = page_params) -> Any:
                return fn(params=chosen)

            page = self._call(what, one_page)
            # StripeObjects are not dicts (stripe-python 13+): read plain dicts, expanded objects included.
            data = [item.to_dict() for item in page.data]
            yield from data
            if not page.has_more or not data:
                return
            cursor = str(data[-1]["id"])

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        @self._retry
        def attempt() -> T:
            self.calls += 1
            try:
                return fn()
            except stripe.StripeError as exc:
                raise _translate(what, exc) from exc

        result: T = attempt()
        return result


def _translate(what: str, exc: stripe.StripeError) -> IntegrationError:
    """Stripe's errors as ours (docs.stripe.com/api/errors): keys refused -> not configured, 429 -> rate limited,
    connection trouble and 5xx -> transient, anything else -> permanent."""
    status = int(exc.http_status or 0)
    text = f"{what}: {exc.user_message or str(exc) or type(exc).__name__}"
    if isinstance(exc, stripe.RateLimitError) or status == 429:
        return RateLimited(text, system=SYSTEM, retry_after=2.0, limit="minute")
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)) or status in (401, 403):
        return NotConfigured(f"{text} (check RW_GATEWAYS_STRIPE_API_KEY and its permissions)", system=SYSTEM)
    if isinstance(exc, stripe.APIConnectionError) or status >= 500 or status == 0:
        return TransientError(text, system=SYSTEM)
    return PermanentError(text, system=SYSTEM)
