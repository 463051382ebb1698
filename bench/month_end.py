"""Month-end at scale: a provider's bill of 10,000 lines against 10,000 registrations and renewals and 2,000 hosted
sites (a plan change for every tenth, a stop for every twentieth), on an SQLite file. Times `worker.month_end.month_end`
end to end: reading the bill lines and the records, the reconciliation and the margin.

Prints `month_end_seconds=<s>` (the best of 3 runs, wall clock), the differences found and the bill's size."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog

from config.settings import load_settings
from rules.provider_bill import Month
from worker.month_end import month_end
from worker.store.database import make_engine, upgrade
from worker.store.month_end_tables import hosting_periods, provider_bill_lines, provider_bills
from worker.store.outbox_tables import hosting_services, registrar_actions
from worker.store.tables import orders

ACTIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
SITES = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
LINES = 10_000
MONTH = Month(year=2026, month=10)
SETTINGS = """\
[registrar.register_prices]
"co.nz" = "21.50"
"com" = "18.00"

[registrar.renew_prices]
"co.nz" = "21.50"
"com" = "18.00"

[hosting.plans]
starter = "25.00"
business = "45.00"

[provider.hosting_prices]
starter = "10.00"
business = "30.00"
"""


def seed(engine: object, now: datetime) -> int:
    """Records and a bill: most lines match, a few of each difference; returns the number of bill lines."""
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    domain_lines = LINES - SITES
    with engine.begin() as conn:
        order_rows, action_rows, bill_rows = [], [], []
        for n in range(ACTIONS):
            domain = f"site{n:05d}.{'co.nz' if n % 3 else 'com'}"
            day = MONTH.first + timedelta(days=n % MONTH.days)
            done = datetime.combine(day, day_time(1, 0), UTC)
            action = "register" if n % 4 == 0 else "renew"
            order_rows.append(
                {
                    "order_id": f"ORD-{n:05d}",
                    "kind": "domain_registration" if action == "register" else "domain_renewal",
                    "invoice_id": f"inv-{n}",
                    "invoice_number": f"INV-{n:05d}",
                    "contact_id": f"c-{n % 700}",
                    "contact": {"name": f"Customer {n % 700}"},
                    "domain": domain,
                    "amount_due": "35.00",
                    "currency": "NZD",
                    "issued": day.isoformat(),
                    "due": day.isoformat(),
                    "status": "done",
                    "updated_at": now,
                }
            )
            action_rows.append(
                {
                    "idempotency_key": f"{action}:{domain}:ORD-{n:05d}",
                    "order_id": f"ORD-{n:05d}",
                    "domain": domain,
                    "action": action,
                    "years": 1,
                    "status": "done",
                    "registrar_order_id": str(900000 + n),
                    "sale": "35.00",
                    "sale_currency": "NZD",
                    "created_at": done,
                    "updated_at": done,
                    "completed_at": done,
                }
            )
            if len(bill_rows) < domain_lines:
                price = "21.50" if domain.endswith("co.nz") else "18.00"
                if n % 97 == 0:
                    price = "24.00"  # a price other than the table's
                bill_rows.append((day, action, domain if n % 211 else f"panel{n}.co.nz", price, "", None))
                if n % 401 == 0 and len(bill_rows) < domain_lines:
                    bill_rows.append((day, action, domain, price, "", None))  # charged twice
        conn.execute(orders.insert(), order_rows)
        conn.execute(registrar_actions.insert(), action_rows)
        for s in range(SITES):
            site = f"host{s:05d}.co.nz"
            stopped = date(2026, 10, 12) if s % 20 == 0 else None
            service = {
                "id": s + 1,
                "domain": site,
                "plan": "business" if s % 10 == 0 and stopped is None else "starter",
                "contact_id": f"c-{s % 700}",
                "rate": "45.00" if s % 10 == 0 else "25.00",
                "currency": "NZD",
                "status": "stopped" if stopped else "active",
                "repeating_invoice_id": f"rep-{s}" if s % 50 else "",
                "started_on": date(2026, 3, 1 + s % 28),
                "stopped_on": stopped,
                "created_at": now,
                "updated_at": now,
            }
            conn.execute(hosting_services.insert().values(**service))
            if s % 10 == 0 and stopped is None:
                conn.execute(
                    hosting_periods.insert(),
                    [
                        {**_period(s, site, "starter", "25.00", service["started_on"], date(2026, 10, 14), now)},
                        {**_period(s, site, "business", "45.00", date(2026, 10, 15), stopped, now)},
                    ],
                )
            else:
                conn.execute(
                    hosting_periods.insert().values(
                        **_period(s, site, "starter", "25.00", service["started_on"], stopped, now)
                    )
                )
            bill_rows.append(
                (
                    MONTH.last,
                    "hosting",
                    site,
                    *(("30.00", "business") if s % 10 == 0 and stopped is None else ("10.00", "starter")),
                    MONTH,
                )
            )
        conn.execute(
            provider_bills.insert().values(
                bill_id="csv:bench",
                source="csv",
                reference="bench.csv",
                month=str(MONTH),
                issued=MONTH.last,
                currency="NZD",
                total="0",
                lines=len(bill_rows),
                imported_at=now,
            )
        )
        conn.execute(
            provider_bill_lines.insert(),
            [
                {
                    "bill_id": "csv:bench",
                    "line_no": i,
                    "charged_on": day,
                    "action": action,
                    "item": item,
                    "years": 1,
                    "period_start": period.first if period else None,
                    "period_end": period.last if period else None,
                    "plan": plan,
                    "amount": amount,
                    "currency": "NZD",
                    "source": f"bench.csv line {i + 1}",
                }
                for i, (day, action, item, amount, plan, period) in enumerate(bill_rows, start=1)
            ],
        )
    return len(bill_rows)


def _period(s: int, site: str, plan: str, rate: str, start: date, end: date | None, now: datetime) -> dict[str, object]:
    return {
        "service_id": s + 1,
        "domain": site,
        "plan": plan,
        "rate": rate,
        "currency": "NZD",
        "contact_id": f"c-{s % 700}",
        "started_on": start,
        "ended_on": end,
        "created_at": now,
    }


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(SETTINGS, encoding="utf-8")
        settings = load_settings(config, {"RW_WORKER_DATA_DIR": tmp}, base_dir=Path(tmp))
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        lines = seed(engine, now)
        best = float("inf")
        result = None
        for _ in range(3):
            started = time.perf_counter()
            with engine.connect() as conn:
                result = month_end(conn, settings, MONTH, now=now)
            best = min(best, time.perf_counter() - started)
        assert result is not None
        kinds: dict[str, int] = {}
        for d in result.recon.differences:
            kinds[d.kind.value] = kinds.get(d.kind.value, 0) + 1
        print(
            f"bill_lines={lines} actions={ACTIONS} sites={SITES} paired={len(result.recon.matched)} "
            f"differences={len(result.recon.differences)} margin_lines={len(result.margin.lines)}"
        )
        print(" ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
        print(f"month_end_seconds={best:.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
