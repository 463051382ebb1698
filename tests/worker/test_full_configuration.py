"""The composition root from a complete configuration, as an operator writes it: a settings file plus secrets in
the environment, turned by `build_app` into the real adapters (Xero against the sandbox, IMAP against a private
Dovecot, LogicBoxes against its emulator), and one `cycle` that reads, matches, buys and records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from sqlalchemy import func, select

from config.settings import load_settings
from integrations.registrar.logicboxes import LogicBoxesRegistrar
from integrations.xero.adapter import XeroAccounting
from integrations.xero.sandbox import XeroSandbox, apply_payments, seed_demo
from tests.conftest import require_service
from tests.inbox.dovecot import PASSWORD, Dovecot, deliver, dovecot_available, start_dovecot
from tests.outbox.logicboxes_emulator import BASE, CHECK, KEY, USER, LogicBoxesEmulator
from worker.app import build_app, utc_now
from worker.checks import run_checks
from worker.cycle import run_cycle
from worker.demo.run import demo_data
from worker.store.opening import open_database
from worker.store.tables import decisions, outbox

pytestmark = [pytest.mark.imap, pytest.mark.xero]

SETTINGS = """\
[worker]
data_dir = "{data}"
timezone = "Pacific/Auckland"
home_currency = "NZD"

[xero]
mode = "sandbox"
base_url = "{xero}"

[inbox]
kind = "imap"
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "{imap_user}"

[matching]
trusted_authserv_id = "{authserv_id}"
dkim_keys_file = "{dkim_keys}"

[registrar]
kind = "logicboxes"
api_url = "{registrar}"
check_url = "{registrar_check}"
reseller_id = "{reseller}"
customer_id = "777"
contact_id = "888"
nameservers = ["ns1.kiwiweb.example", "ns2.kiwiweb.example"]
price_currency = "NZD"

[registrar.register_prices]
"nz" = "21.50"
"co.nz" = "21.50"
"org.nz" = "21.50"
"com" = "18.00"
"com.au" = "19.00"

[registrar.renew_prices]
"nz" = "21.50"
"co.nz" = "21.50"
"com" = "18.00"
"com.au" = "19.00"

[hosting.plans]
starter = "25.00"
business = "45.00"
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    require_service(dovecot_available(), "dovecot not installed")
    server = start_dovecot()
    yield server
    server.stop()


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_complete_configuration_builds_the_real_adapters_and_runs_one_cycle(tmp_path: Path, dovecot: Dovecot) -> None:
    data = demo_data()
    context = _load(data / "context.json")
    (tmp_path / "dkim-keys.json").write_text(json.dumps(context["dns_txt"]), encoding="utf-8")
    user = dovecot.new_user()
    notices = [p.read_bytes() for p in sorted((data / "mail").glob("*.eml"))]
    deliver(dovecot.client(user), "INBOX", notices)

    with XeroSandbox() as sandbox, responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")  # the sandbox's token endpoint is called with requests too
        registrar = LogicBoxesEmulator(mock, clock=utc_now)
        seed_demo(
            sandbox, orders=_load(data / "orders.json"), payments=None, statements=_load(data / "bank/statements.json")
        )
        config = tmp_path / "worker.toml"
        config.write_text(
            SETTINGS.format(
                data=tmp_path / "var",
                xero=sandbox.base_url,
                imap_port=dovecot.port,
                imap_user=user,
                authserv_id=context["trusted_authserv_id"],
                dkim_keys=tmp_path / "dkim-keys.json",
                registrar=BASE,
                registrar_check=CHECK,
                reseller=USER,
            ),
            encoding="utf-8",
        )
        # Secrets only from the environment, as in production.
        settings = load_settings(config, {"RW_INBOX_PASSWORD": PASSWORD, "RW_REGISTRAR_API_KEY": KEY})
        assert settings.warnings == ()
        open_database(settings.worker.database_url, settings.worker.data_dir, create=True).dispose()

        # `check` tries each configured part with the same wiring: all of them answer.
        checks = {r.part: r for r in run_checks(settings)}
        assert all(r.ok for r in checks.values()), [r.line() for r in checks.values()]
        assert "credentials accepted" in checks["registrar"].detail

        app = build_app(settings)
        assert isinstance(app.accounting, XeroAccounting)
        assert isinstance(app.registrar, LogicBoxesRegistrar)
        assert app.open_mailbox is not None

        first = run_cycle(app)
        assert all(summary is not None for summary in first.values()), first
        apply_payments(sandbox, _load(data / "xero/payments.json"))  # customers pay online overnight
        second = run_cycle(app)
        assert all(summary is not None for summary in second.values()), second

        assert first["sync_xero"]["orders_new"] > 0
        read = first["poll_inbox"]
        assert read["read"] == len(notices), read
        with app.engine.connect() as conn:
            decided = conn.execute(select(func.count()).select_from(decisions)).scalar_one()
            done = dict(conn.execute(select(outbox.c.kind, func.count()).where(outbox.c.status == "done")
                                     .group_by(outbox.c.kind)).all())  # fmt: skip
        assert decided > 0
        # Paid registrations were bought at the registrar (through its documented HTTP API) and paid in Xero.
        assert done.get("register_domain", 0) > 0 and done.get("record_payment", 0) > 0, done
        bought = [name for (op, name), n in registrar.applied.items() if op == "register"]
        assert len(bought) == done["register_domain"]
        assert all(n == 1 for n in registrar.applied.values())
        assert sandbox.violations == []  # every request the worker made matched Xero's OpenAPI documents
        with dovecot.client(user) as look:
            look.select_folder("INBOX")
            assert look.search("ALL") == []  # every notice was filed away
