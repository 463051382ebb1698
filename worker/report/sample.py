"""A sample morning report with something in every section, including long and hostile values, for the browser
check (`make test-browser`) and for looking at the layout without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from rules.money import Money
from worker.report.model import (
    ActionDone,
    Alert,
    DecisionNeeded,
    ExpiringDomain,
    FailedAction,
    MorningReport,
    RejectedNotice,
    SourceHealth,
)

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
LONG = "x" * 180  # an unbroken token longer than any phone screen
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def sample_report() -> MorningReport:
    cli = "reseller-worker review"
    return MorningReport(
        generated_at=NOW,
        since=NOW - timedelta(days=1),
        timezone="Pacific/Auckland",
        alerts=(
            Alert(
                job="sync_xero",
                late=True,
                failing=True,
                last_success_at=NOW - timedelta(hours=3),
                last_failure_at=NOW - timedelta(minutes=4),
                error="TransientError: Xero answered 503 Service Unavailable",
            ),
        ),
        decisions=(
            DecisionNeeded(
                review_id=12,
                kind="ambiguous",
                subject="bank:7c1e9a52-3f0b-4d6e-9a43-0c5e1f1d2b77",
                reason="45.00 NZD from KIWI CAFE LTD fits two open invoices (INV-0042, INV-0043)",
                suggested_action="Ask which domain was paid for, or approve the older invoice",
                evidence=(("payer", "KIWI CAFE LTD"), ("reference", "WEBSITE KIWI"), ("amount", "45.00 NZD")),
                candidates=("ORD-42", "ORD-43"),
                commands=(f"{cli} approve 12 --orders ORD-42", f"{cli} approve 12 --orders ORD-43", f"{cli} ignore 12"),
                raised_at=NOW - timedelta(hours=9),
            ),
            DecisionNeeded(
                review_id=13,
                kind="unmatched",
                subject=f"notice:{LONG}@mail.example",
                reason=f"payer {HOSTILE} not known; reference {LONG}",
                suggested_action="Find the customer and link the payer",
                evidence=(("payer", HOSTILE), ("memo", LONG)),
                candidates=(),
                commands=(f"{cli} approve 13 --orders ORDER_ID --link-payer", f"{cli} ignore 13"),
                raised_at=NOW - timedelta(hours=2),
            ),
        ),
        failed=(
            FailedAction(
                key="register:kiwi-cafe.nz:ORD-42",
                kind="register_domain",
                attempts=8,
                error="registrar said: 'Required parameter missing: exp-date'",
                failed_at=NOW - timedelta(hours=5),
                commands=(f"{cli} done 14",),
            ),
        ),
        rejected=(
            RejectedNotice(
                review_id=15,
                subject="20261125.forged@paypa1.example",
                reason="From paypal.com but DKIM does not verify and the sender is not allow-listed",
                evidence=(("from", "service@paypal.com"), ("amount", "1,450.00 NZD")),
                raised_at=NOW - timedelta(hours=7),
                commands=(f"{cli} reject 15", f"{cli} ignore 15"),
            ),
        ),
        expiring=(
            ExpiringDomain(domain="harbour-books.co.nz", expires=date(2026, 12, 10), days_left=14, customer="Harbour"),
            ExpiringDomain(
                domain=f"{'very-long-name-' * 4}.nz",
                expires=date(2026, 12, 20),
                days_left=24,
                customer="A Customer With A Rather Long Trading Name Limited",
            ),
        ),
        expiring_within_days=30,
        done=(
            ActionDone(
                kind="registration",
                subject="kiwi-cafe.co.nz",
                amount=Money.of("45.00", "NZD"),
                upstream_cost=Money.of("21.50", "NZD"),
                done_at=NOW - timedelta(hours=8),
            ),
            ActionDone(
                kind="payment recorded",
                subject="INV-0041",
                amount=Money.of("1234.50", "NZD"),
                upstream_cost=None,
                done_at=NOW - timedelta(hours=8),
            ),
            ActionDone(
                kind="repeating invoice started",
                subject="harbour-books.co.nz",
                amount=Money.of("25.00", "NZD"),
                upstream_cost=None,
                done_at=NOW - timedelta(hours=6),
            ),
        ),
        sources=(
            SourceHealth(
                job="sync_xero",
                plan="every 5 min",
                last_success_at=NOW - timedelta(hours=3),
                late=True,
                failing=True,
                last_error="TransientError: Xero answered 503 Service Unavailable",
            ),
            SourceHealth(
                job="watch_inbox", plan="every 5 s", last_success_at=NOW, late=False, failing=False, last_error=""
            ),
            SourceHealth(
                job="send_report",
                plan="daily at 07:00",
                last_success_at=NOW - timedelta(days=1),
                late=False,
                failing=False,
                last_error="",
            ),
        ),
    )
