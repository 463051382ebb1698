"""`FakeRegistrar`: a stateful registrar for tests, optionally persisted to a JSON file so that a worker process
killed mid-call and its restart see the same remote side (the file plays the registrar).

It keeps the Registrar contract as LogicBoxesRegistrar does against the real API: orders can be queued (funds short)
or left InActive, such results come back `pending` and a renewal is never queued twice; order statuses Deleted and
Archived are not ours; premium names say so."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from filelock import FileLock

from integrations.errors import IntegrationError, PermanentError, TransientError
from integrations.ports import ACTIVE, AccountBalance, Availability, DomainDetails, RegistrarResult
from integrations.registrar.terms import UpstreamPrices, add_years
from rules.money import Money


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _empty_state() -> dict[str, Any]:
    return {
        "domains": {},  # ours: name -> {"expires": iso date, "order_id": str}
        "taken": [],  # registered elsewhere
        "applied": {"register": {}, "renew": {}},  # name -> how many times it really happened
        "calls": {},  # method -> count
        "timeouts": [],  # [op, domain]: apply, then raise TransientError (a lost reply), once each
        "next_order": 1000,
        "premium": {},  # name -> price per year
        "funds_short": False,  # renewals are queued until add_funds()
        "registrations_pending": False,  # new registrations stay InActive until activate()
    }


GONE = ("Deleted", "Archived")


class FakeRegistrar:
    """Behaves like a registry: a second registration of a name is refused (it is no longer available). A renewal
    must name the current expiry, as LogicBoxes' `exp-date` demands (its Renew Domain API); with
    `exp_date_guard=False` it behaves like the registrars whose renew call takes no such guard: a renewal sent
    twice extends the domain, and is charged, twice, so only the worker's own checks keep it from happening.
    `attempts(op, domain)` counts every call that reached the registrar, refused or not."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utc_now,
        prices: UpstreamPrices | None = None,
        state_file: Path | None = None,
        exp_date_guard: bool = True,
    ) -> None:
        self.clock = clock
        self.exp_date_guard = exp_date_guard
        self.prices = (
            prices
            if prices is not None
            else UpstreamPrices(
                currency="NZD",
                register={"nz": Decimal("15.00"), "com": Decimal("12.00")},
                renew={"nz": Decimal("15.00"), "com": Decimal("12.00")},
            )
        )
        self.state_file = state_file
        self._memory = _empty_state()
        self._lock = threading.RLock()
        self._faults: dict[str, list[IntegrationError]] = {}

    # ---- seeding and inspection ------------------------------------------------------------------------------

    def add_ours(self, domain: str, *, expires: date, order_id: str = "", status: str = ACTIVE) -> None:
        with self._state() as s:
            s["domains"][domain] = {
                "expires": expires.isoformat(),
                "order_id": order_id or self._next_id(s),
                "status": status,
                "queued": [],
            }

    def add_premium(self, domain: str, price: str) -> None:
        with self._state() as s:
            s["premium"][domain] = price

    def set_status(self, domain: str, status: str) -> None:
        with self._state() as s:
            s["domains"][domain]["status"] = status

    def short_of_funds(self, short: bool = True) -> None:
        """While short, renewals are accepted and queued; `add_funds` runs them."""
        with self._state() as s:
            s["funds_short"] = short

    def set_balance(self, amount: str, *, locked: str = "0", currency: str | None = None) -> None:
        """A prepaid account holding `amount` (of which `locked` is held for orders in progress)."""
        with self._state() as s:
            s["balance"] = [amount, locked, currency or self.prices.currency]

    def add_funds(self) -> None:
        with self._state() as s:
            s["funds_short"] = False
            for name, entry in s["domains"].items():
                for years in entry.get("queued", []):
                    entry["expires"] = add_years(date.fromisoformat(entry["expires"]), years).isoformat()
                    s["applied"]["renew"][name] = s["applied"]["renew"].get(name, 0) + 1
                entry["queued"] = []

    def hold_registrations(self, hold: bool = True) -> None:
        """While held, new registrations stay InActive (the registry has not confirmed them) until `activate`."""
        with self._state() as s:
            s["registrations_pending"] = hold

    def activate(self, domain: str) -> None:
        self.set_status(domain, ACTIVE)

    def add_taken(self, domain: str) -> None:
        with self._state() as s:
            s["taken"].append(domain)

    def time_out_after_success(self, op: str, domain: str) -> None:
        """The next `op` ("register"/"renew") on `domain` takes effect, then the reply is lost."""
        with self._state() as s:
            s["timeouts"].append([op, domain])

    def fail_next(self, op: str, error: IntegrationError) -> None:
        """The next call of `op` raises `error` without doing anything (in this process only)."""
        with self._lock:
            self._faults.setdefault(op, []).append(error)

    def applied(self, op: str, domain: str) -> int:
        """How many times `op` really took effect for `domain`."""
        with self._state() as s:
            return int(s["applied"][op].get(domain, 0))

    def attempts(self, op: str, domain: str) -> int:
        """How many times `op` was asked for `domain`, whatever the answer."""
        with self._state() as s:
            return int(s.get("attempts", {}).get(op, {}).get(domain, 0))

    def calls(self, op: str) -> int:
        with self._state() as s:
            return int(s["calls"].get(op, 0))

    def expiry(self, domain: str) -> date | None:
        with self._state() as s:
            entry = s["domains"].get(domain)
            return date.fromisoformat(entry["expires"]) if entry else None

    # ---- the port --------------------------------------------------------------------------------------------

    def is_available(self, domain: str) -> bool:
        found = self.availability(domain)
        return found.available and not found.premium

    def availability(self, domain: str) -> Availability:
        with self._call("is_available") as s:
            free = not self._ours(s, domain) and domain not in s["taken"]
            price = s["premium"].get(domain)
            return Availability(
                domain=domain,
                available=free,
                premium=price is not None,
                premium_price=Money.of(price, "USD") if price is not None else None,
            )

    def details(self, domain: str) -> DomainDetails:
        with self._call("details") as s:
            entry = s["domains"].get(domain)
            if entry is None:
                return DomainDetails(domain=domain, ours=False, status="taken" if domain in s["taken"] else "")
            status = entry.get("status", ACTIVE)
            return DomainDetails(
                domain=domain,
                ours=status not in GONE,
                expires=date.fromisoformat(entry["expires"]),
                status=status,
                registrar_order_id=entry["order_id"],
                pending_action="RenewDomain" if entry.get("queued") else "",
            )

    def register(self, domain: str, *, years: int, contact_ref: str, idempotency_key: str) -> RegistrarResult:
        with self._call("register") as s:
            _count_attempt(s, "register", domain)
            if self._ours(s, domain) or domain in s["taken"]:
                raise PermanentError(f"Domain is not available: {domain} is in use", system="registrar")
            if domain in s["premium"]:
                raise PermanentError(f"{domain} is a premium domain name", system="registrar")
            if not 1 <= years <= 10:
                raise PermanentError(f"invalid term {years}", system="registrar")
            expires = add_years(self.clock().date(), years)
            order_id = self._next_id(s)
            status = "InActive" if s["registrations_pending"] else ACTIVE
            s["domains"][domain] = {
                "expires": expires.isoformat(),
                "order_id": order_id,
                "status": status,
                "queued": [],
            }
            s["applied"]["register"][domain] = s["applied"]["register"].get(domain, 0) + 1
            self._lose_reply(s, "register", domain)
            return RegistrarResult(
                domain=domain,
                registrar_order_id=order_id,
                expires=expires,
                cost=self.prices.price(domain, action="register", years=years),
                pending="" if status == ACTIVE else f"the registrar shows {domain} as {status}, not Active yet",
            )

    def renew(self, domain: str, *, years: int, current_expiry: date, idempotency_key: str) -> RegistrarResult:
        with self._call("renew") as s:
            _count_attempt(s, "renew", domain)
            entry = s["domains"].get(domain)
            if entry is None or not self._ours(s, domain):
                raise PermanentError(f"{domain} is not in this account", system="registrar")
            cost = self.prices.price(domain, action="renew", years=years)
            target = add_years(current_expiry, years)
            if entry.get("queued"):
                # As LogicBoxesRegistrar: never a second renewal while one is queued.
                return RegistrarResult(
                    domain=domain,
                    registrar_order_id=entry["order_id"],
                    expires=date.fromisoformat(entry["expires"]),
                    cost=cost,
                    pending=f"the registrar has not renewed {domain} yet: a renewal is already queued there",
                )
            if not self.exp_date_guard:
                target = add_years(date.fromisoformat(entry["expires"]), years)  # extends whatever it is now
            elif entry["expires"] != current_expiry.isoformat():
                # The exp-date guard: a replayed renewal names an expiry that is no longer current.
                raise PermanentError(
                    f"exp-date {current_expiry} does not match the current expiry {entry['expires']}",
                    system="registrar",
                )
            if s["funds_short"]:
                entry.setdefault("queued", []).append(years)
                return RegistrarResult(
                    domain=domain,
                    registrar_order_id=entry["order_id"],
                    expires=current_expiry,
                    cost=cost,
                    pending=f"the registrar has not renewed {domain} yet: queued until the account has funds",
                )
            entry["expires"] = target.isoformat()
            s["applied"]["renew"][domain] = s["applied"]["renew"].get(domain, 0) + 1
            self._lose_reply(s, "renew", domain)
            return RegistrarResult(domain=domain, registrar_order_id=entry["order_id"], expires=target, cost=cost)

    def price(self, domain: str, *, action: str, years: int) -> Money | None:
        return self.prices.price(domain, action=action, years=years)

    def balance(self) -> AccountBalance | None:
        with self._call("balance") as s:
            held = s.get("balance")
        if not held:
            return None
        amount, locked, currency = held
        return AccountBalance(balance=Money.of(amount, currency), locked=Money.of(locked, currency))

    # ---- internals -------------------------------------------------------------------------------------------

    @staticmethod
    def _ours(s: dict[str, Any], domain: str) -> bool:
        entry = s["domains"].get(domain)
        return entry is not None and entry.get("status", ACTIVE) not in GONE

    @staticmethod
    def _next_id(s: dict[str, Any]) -> str:
        s["next_order"] += 1
        return str(s["next_order"])

    @staticmethod
    def _lose_reply(s: dict[str, Any], op: str, domain: str) -> None:
        if [op, domain] in s["timeouts"]:
            s["timeouts"].remove([op, domain])
            raise _LostReply(f"read timed out after {op} of {domain} was applied")

    @contextmanager
    def _call(self, op: str) -> Iterator[dict[str, Any]]:
        with self._lock:
            queue = self._faults.get(op)
            if queue:
                raise queue.pop(0)
        with self._state() as s:
            s["calls"][op] = s["calls"].get(op, 0) + 1
            yield s

    @contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        """The whole state, saved afterwards even when the operation raises after applying (a lost reply)."""
        with self._lock:
            if self.state_file is None:
                try:
                    yield self._memory
                except _LostReply as exc:
                    raise TransientError(str(exc), system="registrar") from None
                return
            with FileLock(str(self.state_file) + ".lock"):
                s = json.loads(self.state_file.read_text()) if self.state_file.exists() else _empty_state()
                try:
                    yield s
                except _LostReply as exc:
                    self._save(s)
                    raise TransientError(str(exc), system="registrar") from None
                except BaseException:
                    self._save(s)  # a refusal still counts its call
                    raise
                self._save(s)

    def _save(self, s: dict[str, Any]) -> None:
        assert self.state_file is not None
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(s, sort_keys=True))
        tmp.replace(self.state_file)


def _count_attempt(s: dict[str, Any], op: str, domain: str) -> None:
    by_domain = s.setdefault("attempts", {}).setdefault(op, {})
    by_domain[domain] = by_domain.get(domain, 0) + 1


class _LostReply(Exception):
    """Internal: the operation took effect and its reply is to be lost."""
