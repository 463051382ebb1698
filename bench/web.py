"""The review page with a heavy morning: 500 open items needing a decision (each a receipt with three candidate
orders), 200 registrar to-dos and 2,000 outbox rows on an SQLite file, served through the Flask app as a browser
would reach it (signed in, every guard and the navigation counts included).

Prints `decision_page_ms=<n>`: the median time to render "Needs your decision" over 15 requests (target under 200),
and beside it the item page, the summary and the to-dos page."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog
from argon2 import PasswordHasher

from config.settings import load_settings
from worker.store.database import make_engine, upgrade
from worker.store.outbox_tables import registrar_actions
from worker.store.tables import orders, outbox, receipts, review_items
from worker.web.app import create_app
from worker.web.users import UsersFile

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def seed(engine: object, items: int) -> None:
    order_rows, receipt_rows, item_rows, todo_rows, outbox_rows = [], [], [], [], []
    for n in range(items * 3):
        order_rows.append(
            {
                "order_id": f"ORD-{n:05d}",
                "kind": "domain_renewal" if n % 2 else "domain_registration",
                "invoice_id": f"inv-{n:05d}",
                "invoice_number": f"INV-{n:05d}",
                "contact_id": f"C-{n % 400}",
                "contact": {"name": f"Customer {n % 400} Ltd", "email": f"accounts{n % 400}@example.nz"},
                "domain": f"customer{n}.co.nz",
                "amount_due": "35.00",
                "currency": "NZD",
                "issued": "2026-11-01",
                "due": "2026-11-20",
                "status": "open",
                "updated_at": NOW,
            }
        )
    for n in range(items):
        receipt_id = f"bank-line-{n:05d}"
        receipt_rows.append(
            {
                "receipt_id": receipt_id,
                "source": "bank_line",
                "received_at": NOW - timedelta(minutes=n),
                "amount": "35.00",
                "currency": "NZD",
                "payload": {
                    "receipt_id": receipt_id,
                    "source": "bank_line",
                    "received_at": (NOW - timedelta(minutes=n)).isoformat(),
                    "money": {"amount": "35.00", "currency": "NZD"},
                    "payer_name": f"PAYER {n}",
                    "text": [["reference", f"website {n}"]],
                },
                "status": "new",
                "created_at": NOW,
            }
        )
        item_rows.append(
            {
                "kind": "ambiguous",
                "subject": receipt_id,
                "reason": f"35.00 NZD could pay any of three invoices of the same amount (receipt {n})",
                "suggested_action": "Check the payer's name against the customers",
                "candidates": [f"ORD-{3 * n + k:05d}" for k in range(3)],
                "detail": {"strategy": "amount_only"},
                "status": "open",
                "created_at": NOW - timedelta(minutes=n),
            }
        )
    for n in range(200):
        todo_rows.append(
            {
                "idempotency_key": f"register:todo{n}.nz:ORD-T{n}",
                "order_id": f"ORD-T{n}",
                "domain": f"todo{n}.nz",
                "action": "register",
                "years": 1,
                "status": "to_do",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    for n in range(2000):
        outbox_rows.append(
            {
                "idempotency_key": f"payment:inv-{n}:r-{n}",
                "kind": "record_payment",
                "payload": {"invoice_number": f"INV-{n}", "amount": "35.00", "currency": "NZD"},
                "status": "done",
                "attempts": 1,
                "next_attempt_at": NOW,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(orders.insert(), order_rows)
        conn.execute(receipts.insert(), receipt_rows)
        conn.execute(review_items.insert(), item_rows)
        conn.execute(registrar_actions.insert(), todo_rows)
        conn.execute(outbox.insert(), outbox_rows)


def timed(client: object, path: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            None, {"RW_WORKER_DATA_DIR": tmp, "RW_WEB_USERS_FILE": f"{tmp}/users.toml"}, base_dir=Path(tmp)
        )
        engine = make_engine(settings.worker.database_url)
        upgrade(engine)
        seed(engine, args.items)
        UsersFile(settings.web.users_file).set_password("bench", "a bench password", hasher=PasswordHasher())
        app = create_app(settings, engine, clock=lambda: NOW)
        client = app.test_client()
        form = client.get("/signin").get_data(as_text=True)
        token = form.split('name="token" value="', 1)[1].split('"', 1)[0]
        signed_in = client.post("/signin", data={"token": token, "name": "bench", "password": "a bench password"})
        assert signed_in.status_code == 303
        page = client.get("/decisions").get_data(as_text=True)
        assert page.count('<li class="item') == args.items, "not every item was shown"
        decisions = timed(client, "/decisions", args.runs)
        item = timed(client, "/decisions/250", args.runs)
        summary = timed(client, "/", args.runs)
        todos = timed(client, "/todos", args.runs)
        engine.dispose()
    print(f"decision_page_ms={decisions:.0f}")
    print(f"item_page_ms={item:.0f} summary_page_ms={summary:.0f} todo_page_ms={todos:.0f} items={args.items}")


if __name__ == "__main__":
    main()
