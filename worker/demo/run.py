"""The demo: a loopback Xero sandbox holding the demo organisation, a Maildir of notices (one forged), the
manual registrar, one full cycle, then the morning report. No credentials and no network.
"""

from __future__ import annotations

import json
import mailbox
import shutil
import signal
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from config.settings import Settings, load_settings
from integrations.stripe.emulator import StripeEmulator
from integrations.xero.sandbox.demo import apply_payments, seed_demo
from integrations.xero.sandbox.server import XeroSandbox
from rules.provider_bill import Month
from worker.app import build_app
from worker.cycle import run_cycle
from worker.demo import payouts as demo_payouts
from worker.demo.history import seed_last_month
from worker.jobs.runner import run_job
from worker.month_end import month_end
from worker.month_end_output import render_month_end_text
from worker.report.sending import build_report, default_html_path, write_html
from worker.report.text import render_text
from worker.store.opening import open_database


def demo_data() -> Path:
    return Path(str(files("worker.demo") / "data"))


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class DemoClock:
    """The demo's own time: it starts on the data's `today` at 07:00 and moves on a fixed step at each reading, so
    watermarks and If-Modified-Since see time pass as they do in production, the data reads the same on any day,
    and what the demo prints does not depend on how fast the machine is (a loaded machine once turned its report's
    07:00 into 07:01). Once the demo is served to commands run by hand (which use the real clock), `go_live()` makes
    it the real time, so the sandbox's "today" is theirs too (Xero refuses a bank statement period that ends after
    its today)."""

    STEP = timedelta(milliseconds=1)

    def __init__(self, start: datetime, *, step: timedelta = STEP) -> None:
        self._now = start
        self._step = step
        self._lock = threading.Lock()  # the sandbox and the Stripe emulator read it from their own threads
        self._live = False
        self.readings = 0

    def __call__(self) -> datetime:
        if self._live:
            return datetime.now(UTC)
        with self._lock:
            self.readings += 1
            self._now += self._step
            return self._now

    def go_live(self) -> None:
        self._live = True


def prepare(work_dir: Path, data: Path) -> dict[str, Any]:
    """A fresh work directory: no database, no tokens, and a Maildir holding the demo notices."""
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    box = mailbox.Maildir(work_dir / "maildir", create=True)
    for eml in sorted((data / "mail").glob("*.eml")):
        box.add(eml.read_bytes())
    context: dict[str, Any] = _load(data / "context.json")
    keys = work_dir / "dkim-keys.json"
    keys.write_text(json.dumps(context["dns_txt"], indent=1), encoding="utf-8")
    return context


DEMO_SETTINGS = """\
# Written by `reseller-worker demo`: its whole configuration but the demo Stripe key (a secret, so environment
# only: see demo.env beside this file). The demo organisation's prices, so the report can show margins.
[registrar]
kind = "manual"
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
"org.nz" = "21.50"
"com" = "18.00"
"com.au" = "19.00"

[hosting.plans]
starter = "25.00"
business = "45.00"

[provider]
xero_contact = "Upstream Web Services Ltd"

[provider.hosting_prices]
starter = "10.00"
business = "30.00"
"""


def demo_settings(work_dir: Path, base_url: str, context: dict[str, Any], *, stripe_url: str = "") -> Settings:
    """Everything but the Stripe key (a secret: environment only) in the demo's own settings file, so the commands
    the report prints, `--config .../demo.toml`, act on the demo's database from any shell."""
    config = work_dir / "demo.toml"
    values = {
        "worker": {
            "data_dir": str(work_dir),
            "home_currency": context["home_currency"],
            "timezone": "Pacific/Auckland",
        },
        "xero": {"mode": "sandbox", "base_url": base_url},
        "inbox": {"kind": "maildir", "maildir": str(work_dir / "maildir"), "username": context["inbox"]},
        # Offline DKIM keys: the demo's signers are not in public DNS.
        "matching": {
            "trusted_authserv_id": context["trusted_authserv_id"],
            "dkim_keys_file": str(work_dir / "dkim-keys.json"),
        },
    }
    tables = "".join(
        f"\n[{section}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in items.items())
        for section, items in values.items()
    )
    config.write_text(DEMO_SETTINGS + demo_payouts.SETTINGS + tables, encoding="utf-8")
    environment = demo_payouts.environment(stripe_url)
    # The rest for another shell: the settings file and the demo Stripe key (the emulator's, not a real one).
    lines = [f"RW_CONFIG={config}", *(f"{k}={v}" for k, v in sorted(environment.items()))]
    (work_dir / "demo.env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(config, environment, base_dir=work_dir)


def run_demo(
    out: TextIO, work_dir: Path, *, serve: bool = False, stop: threading.Event | None = None, port: int = 0
) -> int:
    """The demo; with `serve`, the Xero sandbox stays up afterwards (until `stop` is set, or SIGINT/SIGTERM) so
    every command can be tried against it with the settings file the demo wrote."""
    data = demo_data()
    context = prepare(work_dir, data)
    log_file = _log_to_file(work_dir / "demo.log")
    zone = ZoneInfo("Pacific/Auckland")
    today = date.fromisoformat(context["today"])
    clock = DemoClock(datetime.combine(today, day_time(7, 0), tzinfo=zone).astimezone(UTC))
    stripe = StripeEmulator(api_key=demo_payouts.DEMO_STRIPE_KEY, clock=clock)
    # The demo's days pass in seconds, and with --serve the commands typed next would meet Xero's 60 calls a
    # minute at once: the sandbox allows ten times that.
    with (
        log_file,
        XeroSandbox(clock=clock, port=port, minute_limit=600) as sandbox,
        stripe.serve() as stripe_url,
    ):
        seeded = seed_demo(
            sandbox, orders=_load(data / "orders.json"), payments=None, statements=_load(data / "bank/statements.json")
        )
        demo_payouts.open_clearing_accounts(sandbox)
        settings = demo_settings(work_dir, sandbox.base_url, context, stripe_url=stripe_url)
        # A fresh directory, so its database is created here, as `db upgrade` would.
        open_database(settings.worker.database_url, settings.worker.data_dir, create=True).dispose()
        app = build_app(settings, clock=clock)
        # Last month as the worker recorded it, and the provider's bill for it in Xero.
        seed_last_month(app, sandbox, _load(data / "provider" / "october.json"))
        print(
            f"demo: Xero sandbox at {sandbox.base_url} with {seeded['invoices']} open invoices, "
            f"{seeded['statement_lines']} bank lines; {len(list((data / 'mail').glob('*.eml')))} notices in "
            f"{settings.inbox.maildir}",
            file=out,
        )
        # The open invoices are read first; then customers pay online through Xero, as they would overnight.
        run_job(app, "sync_xero", _job("sync_xero"))
        apply_payments(sandbox, _load(data / "xero/payments.json"))
        results = run_cycle(app)
        # Over the next days the payment services pay out; the worker's next cycle matches and books them.
        paid_out = demo_payouts.pay_out(app.engine, sandbox, stripe, today=today)
        if hasattr(app.accounting, "space_polls"):
            app.accounting.space_polls = False  # the demo's days pass in seconds: poll the bank again now
        for name in ("sync_xero", "match_receipts", "match_payouts", "dispatch_outbox"):
            results[f"{name} (after the payouts)"] = run_job(app, name, _job(name))
        # The daemon's other two jobs, once each, so the report's health section shows a full day's run.
        results["watch_inbox"] = run_job(app, "watch_inbox", partial(_job("watch_inbox"), seconds=0))
        results["send_report"] = run_job(app, "send_report", _job("send_report"))
        failed = [name for name, summary in results.items() if summary is None]
        report = build_report(settings, app.engine, clock())
        print(render_text(report), file=out)
        print(demo_payouts.summary(app.engine, settings, clock().date(), paid_out), file=out)
        html = write_html(report, default_html_path(settings, report))
        print(f"demo: HTML report written to {html}", file=out)
        with app.engine.connect() as conn:
            print(render_month_end_text(month_end(conn, settings, Month.parse("2026-10"), now=clock())), file=out)
        print(
            f"demo: Xero sandbox received {sandbox.count()} API calls; database {settings.worker.database_url}; "
            f"log {log_file.name}",
            file=out,
        )
        env_file = work_dir / "demo.env"
        if not serve:
            print(
                f"demo: carry on in a shell with 'set -a; . {env_file}; set +a', then 'reseller-worker review list' "
                "(or report, status, inbox status); 'reseller-worker demo --serve' keeps the Xero sandbox up for "
                "cycle, check and run too",
                file=out,
            )
            return 1 if failed else 0
        print(
            f"demo: serving the Xero sandbox at {sandbox.base_url} until Ctrl-C. In another terminal:\n"
            f"  set -a; . {env_file}; set +a  # RW_CONFIG and the demo's Stripe key\n"
            "  reseller-worker check          # every part PASS\n"
            "  reseller-worker review list    # what needs a person, with the commands that resolve it\n"
            "  reseller-worker cycle          # every job once more, against the sandbox and the Maildir\n"
            "  reseller-worker run            # the daemon; 'reseller-worker status' and 'health' beside it",
            file=out,
            flush=True,
        )
        clock.go_live()
        _serve_until_stopped(stop or threading.Event())
        print("demo: sandbox stopped", file=out)
    return 1 if failed else 0


def _log_to_file(path: Path) -> TextIO:
    """The demo's log lines go to a file, so the terminal shows the report (and where the log is)."""
    from worker.logs import configure_logging

    stream = path.open("a", encoding="utf-8")
    configure_logging("json", stream=stream)
    return stream


def _serve_until_stopped(stop: threading.Event) -> None:
    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(0.5):
        pass


def _job(name: str) -> Callable[..., Any]:
    from worker.daemon_jobs import daemon_jobs

    return daemon_jobs()[name]
