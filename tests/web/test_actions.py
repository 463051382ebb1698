"""Each action on the page has the same effect in the database and the outbox as its command: the same scenario is
built in two databases, the command runs in one and the page (plan, then Confirm) in the other, and every table
but the page's own (sessions, sign-ins, audit) must then be equal, row for row."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, MetaData, select

from config.settings import Settings
from integrations.registrar.manual import ManualRegistrar
from integrations.registrar.terms import UpstreamPrices
from integrations.xero.fake import FakeAccounting
from tests.outbox.conftest import make_app, new_order, pay
from tests.report.seed import add_decision, add_order, add_outbox, add_receipt, add_review
from worker import audit
from worker.acting import effect_words
from worker.cli import main
from worker.domains import domain_book
from worker.jobs.dispatch import dispatch
from worker.store.tables import outbox, review_items
from worker.web.app import create_app

from .conftest import NOW, Clock, add_user, confirm, shown, sign_in, web_settings

Seed = Callable[[Engine, Settings], None]


def receipt_item(engine: Engine, settings: Settings) -> None:
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", contact_id="C-1", name="Aroha Ltd", email="accounts@aroha.nz")
        add_order(conn, "ORD-2", domain="kiwi.nz", contact_id="C-2", name="Kiwi Cafe")
        add_receipt(conn, "r-1", payer_name="A. Smith", payer_email="smith@aroha.nz")
        add_review(conn, "unmatched", "r-1", "no invoice named in the reference", candidates=["ORD-1", "ORD-2"])


def receipt_for_two(engine: Engine, settings: Settings) -> None:
    """90.00 received: exactly what ORD-1 and ORD-2 owe together."""
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", contact_id="C-1", name="Aroha Ltd", email="accounts@aroha.nz")
        add_order(conn, "ORD-2", domain="kiwi.nz", contact_id="C-1", name="Aroha Ltd")
        add_receipt(conn, "r-1", amount="90.00", payer_name="A. Smith", payer_email="smith@aroha.nz")
        add_review(conn, "unmatched", "r-1", "no invoice named in the reference", candidates=["ORD-1", "ORD-2"])


def short_receipt(engine: Engine, settings: Settings) -> None:
    """27.00 received for ORD-1, which owes 45.00: only a part payment can be approved."""
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", contact_id="C-1", name="Aroha Ltd", email="accounts@aroha.nz")
        add_receipt(conn, "r-1", amount="27.00", payer_name="A. Smith", payer_email="smith@aroha.nz")
        add_review(conn, "short_paid", "r-1", "paid 27.00 of 45.00", candidates=["ORD-1"])


def foreign_receipt(engine: Engine, settings: Settings) -> None:
    """AUD 30.00 received for ORD-1, which owes NZD 45.00: approved with what arrived in the home currency."""
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", contact_id="C-1", name="Aroha Ltd", email="accounts@aroha.nz")
        add_receipt(conn, "r-1", amount="30.00", currency="AUD", payer_name="A. Smith")
        add_review(conn, "foreign_currency", "r-1", "paid in AUD", candidates=["ORD-1"])


def over_receipt(engine: Engine, settings: Settings) -> None:
    """60.00 received for ORD-1, which owes 45.00: approved as overpaid, the 15.00 kept as a credit."""
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", contact_id="C-1", name="Aroha Ltd", email="accounts@aroha.nz")
        add_receipt(conn, "r-1", amount="60.00", payer_name="A. Smith", payer_email="smith@aroha.nz")
        add_review(conn, "over_paid", "r-1", "paid 60.00 for 45.00", candidates=["ORD-1"])


def credit_item(engine: Engine, settings: Settings) -> None:
    """45.00 left over from an earlier overpayment by the same customer, to apply to ORD-1."""
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", contact_id="C-1", name="Aroha Ltd", email="accounts@aroha.nz")
        add_receipt(conn, "r-1", amount="80.00", payer_name="Aroha Ltd")
        add_decision(conn, "r-1", ["ORD-0"], strategy="reviewer_approval")
        add_review(
            conn,
            "credit",
            "credit:9:r-1",
            "NZ$45.00 over what Aroha Ltd owed on INV-0",
            candidates=["ORD-1"],
            detail={"receipt_id": "r-1", "amount": "45.00", "currency": "NZD", "contact_id": "C-1"},
        )


def registrar_to_do(engine: Engine, settings: Settings) -> None:
    """A paid registration with the manual registrar: its dispatch leaves a to-do, as in production."""
    clock = Clock()
    prices = UpstreamPrices(currency="NZD", register={"nz": Decimal("21.50")}, renew={})
    accounting = FakeAccounting(clock=clock)
    app = make_app(engine, settings, clock, accounting, ManualRegistrar(prices=prices, book=domain_book(engine)))
    pay(app, accounting, new_order("ORD-1042", domain="aroha.nz", years=2))
    dispatch(app)


def failed_action(engine: Engine, settings: Settings) -> None:
    key = "register:aroha.nz:ORD-1"
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", status="paid")
        add_outbox(
            conn,
            key,
            "register_domain",
            {"order_id": "ORD-1", "domain": "aroha.nz", "years": 1},
            status="failed",
            attempts=8,
            last_error="registrar said: insufficient funds",
        )
        add_review(conn, "failed_action", key, "gave up after 8 attempts: insufficient funds")


CASES: list[tuple[str, Seed, list[str], str]] = [
    ("approve", receipt_item, ["review", "approve", "1", "--orders", "ORD-1"], "/decisions/1/approve?orders=ORD-1"),
    (
        "approve and remember the payer",
        receipt_item,
        ["review", "approve", "1", "--orders", "ORD-1", "--link-payer"],
        "/decisions/1/approve?orders=ORD-1&link_payer=1",
    ),
    (
        "approve two orders",
        receipt_for_two,
        ["review", "approve", "1", "--orders", "ORD-1,ORD-2"],
        "/decisions/1/approve?orders=ORD-1&other=ORD-2",
    ),
    (
        "apply a credit",
        credit_item,
        ["review", "approve", "1", "--orders", "ORD-1"],
        "/decisions/1/approve?orders=ORD-1",
    ),
    (
        "approve a part payment",
        short_receipt,
        ["review", "approve", "1", "--orders", "ORD-1", "--part"],
        "/decisions/1/approve?orders=ORD-1&part=1",
    ),
    (
        "approve what arrived in the home currency",
        foreign_receipt,
        ["review", "approve", "1", "--orders", "ORD-1", "--home-amount", "45.00"],
        "/decisions/1/approve?orders=ORD-1&home_amount=45.00",
    ),
    (
        "approve an overpayment",
        over_receipt,
        ["review", "approve", "1", "--orders", "ORD-1", "--overpaid"],
        "/decisions/1/approve?orders=ORD-1&overpaid=1",
    ),
    (
        "ignore",
        receipt_item,
        ["review", "ignore", "1", "--note", "owner's transfer"],
        "/decisions/1/ignore?note=owner%27s+transfer",
    ),
    ("reject", receipt_item, ["review", "reject", "1"], "/decisions/1/reject"),
    (
        "reject with a note",
        receipt_item,
        ["review", "reject", "1", "--note", "phishing: not from our bank"],
        "/decisions/1/reject?note=phishing%3A+not+from+our+bank",
    ),
    ("link", receipt_item, ["review", "link", "1", "--contact", "C-1"], "/decisions/1/link?contact=C-1"),
    (
        "done at the registrar",
        registrar_to_do,
        ["orders", "done", "ORD-1042", "--ref", "RC-998877", "--cost", "17.50"],
        "/todos/ORD-1042/done?ref=RC-998877&cost=17.50",
    ),
    (
        "done with a new expiry",
        registrar_to_do,
        ["orders", "done", "ORD-1042", "--ref", "RC-1", "--expires", "2029-01-31"],
        "/todos/ORD-1042/done?ref=RC-1&expires=2029-01-31",
    ),
    (
        "retry",
        failed_action,
        ["orders", "retry", "register:aroha.nz:ORD-1"],
        "/failed/retry?key=register%3Aaroha.nz%3AORD-1",
    ),
]

PAGE_ONLY = {"web_sessions", "web_signin_failures", "audit_log", "alembic_version"}
# Written by the dispatch that built the scenario (worker id, Xero's new payment id), not by the actions compared.
RUN_SPECIFIC = {"claimed_by", "claimed_at", "result"}
# Surrogate row numbers: PostgreSQL does not give back sequence values a rolled-back rehearsal used, so the page's
# rows may be numbered after a gap. Nothing refers to these numbers but the review items': a credit the action opens
# is numbered after the gap too, while the items acted on (which payloads name) were seeded alike and keep theirs.
SURROGATE = {"outbox": "id", "payer_links": "id", "part_payments": "id", "review_items": "id"}


def snapshot(engine: Engine) -> dict[str, list[str]]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            name: sorted(
                repr(tuple(v for k, v in row._mapping.items() if k not in RUN_SPECIFIC and SURROGATE.get(name) != k))
                for row in conn.execute(select(table))
            )
            for name, table in meta.tables.items()
            if name not in PAGE_ONLY
        }


def _queue(engine: Engine) -> set[tuple[str, str]]:
    """The outbox rows waiting to be done, as (kind, payload as JSON): what an action queued or put back shows up."""
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.kind, outbox.c.payload).where(outbox.c.status == "pending")).all()
    return {(kind, json.dumps(payload, sort_keys=True)) for kind, payload in rows}


@pytest.mark.parametrize(("name", "seed", "argv", "path"), CASES, ids=[c[0] for c in CASES])
def test_the_page_does_what_the_command_does(
    twin_databases: tuple[tuple[str, Engine], ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    seed: Seed,
    argv: list[str],
    path: str,
) -> None:
    (cli_url, cli_engine), (web_url, web_engine) = twin_databases
    cli_settings = web_settings(tmp_path / "cli", cli_url)
    web_settings_ = web_settings(tmp_path / "web", web_url)
    seed(cli_engine, cli_settings)
    seed(web_engine, web_settings_)
    assert snapshot(cli_engine) == snapshot(web_engine)
    before = snapshot(web_engine)
    queue_before = _queue(web_engine)

    # The command, at the same moment the page will act.
    monkeypatch.setattr("worker.app.utc_now", lambda: NOW)
    monkeypatch.setattr("worker.commands.order_actions.utc_now", lambda: NOW)
    assert main(["--config", str(cli_settings.source), *argv]) == 0

    add_user(web_settings_)
    client = create_app(web_settings_, web_engine, clock=Clock()).test_client()
    assert sign_in(client).status_code == 303
    # First the plan: what will be recorded and done, and a button to confirm it. Opening it changes nothing.
    plan = html.unescape(shown(client.get(path)))
    assert "What will be recorded and done" in plan and "Confirm: " in plan
    assert snapshot(web_engine) == before
    response = confirm(client, path)
    assert response.status_code == 303, response.get_data(as_text=True)

    after = snapshot(web_engine)
    assert after != before, "the action changed nothing"
    assert after == snapshot(cli_engine)
    for kind, payload in _queue(web_engine) - queue_before:  # each effect queued was shown before it was queued
        assert effect_words(kind, json.loads(payload)) in plan, (kind, payload)
    with web_engine.connect() as conn:
        [entry] = audit.latest(conn)
    assert (entry.actor, entry.via, entry.ok) == ("aroha", "web", True)
    assert entry.at == NOW


def test_what_is_shown_is_what_is_queued(signed_in: FlaskClient, engine: Engine, settings: Settings) -> None:
    """The plan names each payment and registration; after Confirm exactly those outbox rows exist."""
    receipt_item(engine, settings)
    plan = shown(signed_in.get("/decisions/1/approve?orders=ORD-1"))
    assert "record a payment of NZ$45.00 on INV-1 in Xero" in plan
    assert "register aroha.nz for 1 year at the registrar" in plan
    with engine.connect() as conn:
        assert conn.execute(select(outbox)).first() is None  # the plan was rehearsed and rolled back
    done = confirm(signed_in, "/decisions/1/approve?orders=ORD-1")
    entry = shown(signed_in.get(done.headers["Location"]))
    with engine.connect() as conn:
        keys = sorted(r.idempotency_key for r in conn.execute(select(outbox)))
    assert keys == ["payment:inv-ORD-1:r-1", "register:aroha.nz:ORD-1"]
    for key in keys:
        assert key in entry  # the outbox rows, with their status, on the page that reports what was done
    assert "pending" in entry and "By aroha" in entry


def test_a_plan_that_no_longer_holds_is_not_carried_out(
    signed_in: FlaskClient, engine: Engine, settings: Settings
) -> None:
    """Between the plan and Confirm the order was paid by someone else: nothing is done, the new answer is shown."""
    receipt_item(engine, settings)
    page = signed_in.get("/decisions/1/approve?orders=ORD-1").get_data(as_text=True)
    with engine.begin() as conn:
        conn.execute(
            review_items.update().where(review_items.c.id == 1).values(status="ignored", resolution="by the CLI")
        )
    from .conftest import hidden_fields

    data: dict[str, list[str]] = {}
    for field, value in hidden_fields(page):
        data.setdefault(field, []).append(value)
    response = signed_in.post("/decisions/1/approve", data=data)
    assert response.status_code == 303
    shown = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Refused: review item #1 is already ignored" in shown
    with engine.connect() as conn:
        assert conn.execute(select(outbox)).first() is None
        [entry] = audit.latest(conn)
    assert not entry.ok and entry.action == "approve"


def test_a_changed_plan_asks_again(signed_in: FlaskClient, engine: Engine, settings: Settings) -> None:
    """Confirming a plan whose effects differ from what now would happen does nothing and shows the new plan."""
    receipt_item(engine, settings)
    page = signed_in.get("/decisions/1/approve?orders=ORD-1").get_data(as_text=True)
    from .conftest import hidden_fields

    data: dict[str, list[str]] = {}
    for field, value in hidden_fields(page):
        data.setdefault(field, []).append(value)
    data["fingerprint"] = ["0" * 32]
    response = signed_in.post("/decisions/1/approve", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "things changed since you looked" in body
    assert "Confirm: approve" in body  # the new plan, to confirm again
    with engine.connect() as conn:
        assert conn.execute(select(outbox)).first() is None


def test_a_refused_action_changes_nothing_and_is_recorded(signed_in: FlaskClient, engine: Engine) -> None:
    """A to-do that does not exist: the command's own refusal is shown; only the audit log records the attempt."""
    page = signed_in.get("/todos/ORD-404/done?ref=RC-1")
    assert page.status_code == 409
    assert "no registration or renewal of ORD-404 is waiting" in shown(page)
    assert "Confirm:" not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Give the registrar&#39;s reference"),
        ("?ref=RC-1&expires=31/01/2029", "must be a date (YYYY-MM-DD)"),
        ("?ref=RC-1&cost=18.505", "The cost must be an amount like 18.50"),
        ("?ref=RC-1&cost=-3", "The cost must be an amount like 18.50"),
    ],
)
def test_bad_input_for_done_is_explained(signed_in: FlaskClient, query: str, message: str) -> None:
    response = signed_in.get("/todos/ORD-1/done" + query)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_the_item_history_shows_who_did_what(signed_in: FlaskClient, engine: Engine, settings: Settings) -> None:
    receipt_item(engine, settings)
    confirm(signed_in, "/decisions/1/link?contact=C-1")
    page = shown(signed_in.get("/decisions/1"))
    assert "aroha" in page and "link" in page and "linked to contact C-1" in page
    history = shown(signed_in.get("/history"))
    assert "linked to contact C-1" in history


def test_commands_are_in_the_audit_log_too(database: tuple[str, Engine], tmp_path: Path) -> None:
    """`orders done` and `orders retry` record who ran them, marked as the command line."""
    url, engine = database
    settings = web_settings(tmp_path, url)
    failed_action(engine, settings)
    assert main(["--config", str(settings.source), "orders", "retry", "register:aroha.nz:ORD-1"]) == 0
    assert main(["--config", str(settings.source), "orders", "retry", "register:aroha.nz:ORD-1"]) == 1
    with engine.connect() as conn:
        entries = audit.latest(conn)
    assert [(e.via, e.action, e.ok) for e in entries] == [("cli", "retry", False), ("cli", "retry", True)]
    assert entries[1].who.endswith("(command line)")


def test_customers_are_found_by_any_part_of_what_is_known(
    signed_in: FlaskClient, engine: Engine, settings: Settings
) -> None:
    receipt_item(engine, settings)
    with engine.begin() as conn:
        add_order(conn, "ORD-3", domain="ōtaki.nz", contact_id="C-3", name="Ōtaki Motors")
    for search, expected in (
        ("aroha", "Aroha Ltd"),
        ("KIWI.NZ", "Kiwi Cafe"),
        ("ōtaki", "Ōtaki Motors"),
        ("C-2", "Kiwi Cafe"),
    ):
        page = signed_in.get(f"/decisions/1?customer={search}").get_data(as_text=True)
        assert f"Link to {expected}" in page, search
    page = signed_in.get("/decisions/1?customer=nobody-like-this").get_data(as_text=True)
    assert "No customer matches" in page


def test_dates_use_the_resellers_time_zone(signed_in: FlaskClient, engine: Engine, settings: Settings) -> None:
    receipt_item(engine, settings)
    page = signed_in.get("/decisions/1").get_data(as_text=True)
    assert "Raised 26 Nov 2026 07:00" in page  # 18:00 UTC on the 25th
    assert "on 26 Nov 2026" in page  # the payment's day, in Auckland


def test_month_end_shows_what_the_command_shows(
    signed_in: FlaskClient, database: tuple[str, Engine], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The month-end page and `month-end YYYY-MM --json` come from the same function: same differences, same
    margin; the CSV link gives the command's --csv."""
    import json

    url, _ = database
    settings = web_settings(tmp_path / "cli", url)
    statement = Path(__file__).resolve().parents[2] / "config" / "example-statement.csv"
    month = statement.read_text().splitlines()[1].split(",")[0][:7]
    assert main(["--config", str(settings.source), "month-end", "import", str(statement)]) == 0
    capsys.readouterr()
    assert main(["--config", str(settings.source), "month-end", month, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    page = signed_in.get(f"/month-end?month={month}").get_data(as_text=True)
    assert f"Month-end {month}" in page
    assert shown["differences"], "the sample statement should leave something to explain"
    for difference in shown["differences"]:
        assert difference["item"] in page
    csv = signed_in.get(f"/month-end.csv?month={month}")
    assert main(["--config", str(settings.source), "month-end", month, "--csv", str(tmp_path / "m.csv")]) == 0
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True) == (tmp_path / "m.csv").read_text()
    assert signed_in.get("/month-end?month=2026-13").status_code == 400


def test_a_refused_approval_offers_its_ways_forward(signed_in: FlaskClient, engine: Engine, settings: Settings) -> None:
    """27.00 for an order owing 45.00: refused with the difference; the page offers the part payment, and that
    plan (the CLI's own words) records 27.00 and leaves the registration waiting."""
    short_receipt(engine, settings)
    refused = signed_in.get("/decisions/1/approve?orders=ORD-1")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Ways forward" in body and "See the plan with --part" in body
    option = re.search(
        r'<form method="get" action="/decisions/1/approve" class="stack option">(.*?)</form>', body, re.S
    )
    assert option is not None
    params = re.findall(r'name="([^"]+)" value="([^"]*)"', option.group(1))
    assert ("part", "1") in params and ("orders", "ORD-1") in params
    plan = signed_in.get("/decisions/1/approve", query_string=params)
    text = plan.get_data(as_text=True)
    assert plan.status_code == 200 and "NZ$27.00" in text and "Confirm: approve" in text
    with engine.connect() as conn:
        assert conn.execute(select(outbox)).first() is None


def test_money_in_another_currency_asks_what_arrived(
    signed_in: FlaskClient, engine: Engine, settings: Settings
) -> None:
    with engine.begin() as conn:
        add_order(conn, "ORD-1", domain="aroha.nz", contact_id="C-1", name="Aroha Ltd")
        add_receipt(conn, "r-1", amount="30.00", currency="AUD", payer_name="A. Smith")
        add_review(conn, "foreign_currency", "r-1", "paid in AUD", candidates=["ORD-1"])
    body = signed_in.get("/decisions/1/approve?orders=ORD-1").get_data(as_text=True)
    assert "See the plan with --home-amount" in body and 'name="home_amount"' in body and "What arrived, in NZD" in body
    plan = signed_in.get("/decisions/1/approve?orders=ORD-1&home_amount=45.00")
    assert plan.status_code == 200 and "Confirm: approve" in plan.get_data(as_text=True)


def test_a_plan_that_opens_a_credit_is_confirmed_at_the_first_try(
    signed_in: FlaskClient, engine: Engine, settings: Settings
) -> None:
    """An overpayment opens a credit item. PostgreSQL never gives back the number a rolled-back rehearsal drew, so
    the item is numbered differently each time: the plan's fingerprint knows it by its subject, and the confirmed
    plan is carried out instead of being called stale again and again."""
    over_receipt(engine, settings)
    for _ in range(2):  # looking twice draws two numbers and changes nothing
        assert signed_in.get("/decisions/1/approve?orders=ORD-1&overpaid=1").status_code == 200
    done = confirm(signed_in, "/decisions/1/approve?orders=ORD-1&overpaid=1")
    assert done.status_code == 303, done.get_data(as_text=True)
    with engine.connect() as conn:
        kinds = {r.kind: r.status for r in conn.execute(select(review_items))}
        [entry] = audit.latest(conn)
    assert kinds == {"over_paid": "approved", "credit": "open"} and entry.ok


def test_the_search_box_leads_to_the_link_action(signed_in: FlaskClient, engine: Engine, settings: Settings) -> None:
    """Search for the customer, press "Link to …" (a form holding the customer's id), confirm: the payer is
    remembered as that customer, as `review link --contact` does (compared above), and the item stays open."""
    from worker.store.tables import payer_links

    receipt_item(engine, settings)
    page = signed_in.get("/decisions/1?customer=kiwi").get_data(as_text=True)
    found = re.search(r'<form method="get" action="(/decisions/1/link)" class="inline">(.*?)</form>', page, re.S)
    assert found is not None and "Link to Kiwi Cafe" in found.group(2)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found.group(2))
    assert fields == [("contact", "C-2")]
    assert confirm(signed_in, f"{found.group(1)}?contact=C-2").status_code == 303
    with engine.connect() as conn:
        assert {r.contact_id for r in conn.execute(select(payer_links))} == {"C-2"}  # by name and by e-mail
        assert conn.execute(select(review_items.c.status).where(review_items.c.id == 1)).scalar_one() == "open"


def test_a_candidate_orders_due_date_reads_as_a_date(
    signed_in: FlaskClient, engine: Engine, settings: Settings
) -> None:
    """The store keeps an order's due date as text (YYYY-MM-DD); the page writes it as people read dates."""
    receipt_item(engine, settings)
    item = shown(signed_in.get("/decisions/1"))
    assert "due 20 Nov 2026" in item and "due 2026-11-20" not in item
