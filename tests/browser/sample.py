"""A sample morning report with something in every section, including long and hostile values, for the browser
check (`make test-browser`): the page it renders must read from 320 to 1280 px."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.money import Money
from worker.report.model import (
    Alert,
    DoneLine,
    Figure,
    Item,
    Link,
    MorningReport,
    Row,
    Section,
    SourceHealth,
    Table,
    invoice_link,
)

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
LONG = "x" * 180  # an unbroken token longer than any phone screen
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
CLI = "reseller-worker --config /etc/reseller-worker/worker.toml"


def sample_report() -> MorningReport:
    inv42 = invoice_link("INV-0042", "7c1e9a52-3f0b-4d6e-9a43-0c5e1f1d2b77")
    inv43 = invoice_link("INV-0043", "0b7e2c11-5f6a-4c3d-8e9f-a1b2c3d4e5f6")
    sections = (
        Section(
            key="fraud",
            title="Possible fraud",
            count=1,
            intro="Messages that claim to be payments but failed authentication. Nothing was paid on them.",
            items=(
                Item(
                    label="possible fraud",
                    headline="A notice that arrived on 26 Nov failed authentication: sender domain paypa1.com is a "
                    "look-alike of paypal.com, and it claimed a payment of NZ$1,450.00.",
                    commands=(f"{CLI} review reject 15",),
                    details=(("item", "#15"), ("message", f"20261125.{LONG}@paypa1.example")),
                    tone="alarm",
                ),
            ),
            tone="alarm",
        ),
        Section(
            key="failed",
            title="Failed actions",
            count=1,
            items=(
                Item(
                    headline="Registering kiwi-cafe.nz failed after 8 attempts, the last on 26 Nov: the registrar "
                    "said: Required parameter missing: exp-date.",
                    commands=(
                        f"{CLI} orders retry register:kiwi-cafe.nz:ORD-42",
                        f"{CLI} orders done ORD-42 --ref REGISTRAR_REFERENCE",
                    ),
                    details=(("action", "register:kiwi-cafe.nz:ORD-42"), ("item", "#14")),
                    tone="alarm",
                ),
            ),
            tone="alarm",
        ),
        Section(
            key="decisions",
            title="Needs your decision",
            count=2,
            intro="Each approval first prints exactly what it will record and do; add --dry-run to stop there.",
            items=(
                Item(
                    label="#12",
                    headline="Kiwi Cafe Ltd paid NZ$45.00 by bank transfer on 25 Nov with reference WEBSITE KIWI; "
                    "INV-0042 (registration of kiwi-cafe.nz) is owed NZ$45.00: it settles it exactly; it could "
                    "also be for INV-0043.",
                    commands=(
                        f"{CLI} review approve 12 --orders INV-0042",
                        f"{CLI} review approve 12 --orders INV-0043 --part",
                        f"{CLI} review ignore 12",
                    ),
                    details=(("item", "#12 ambiguous"), ("receipt", "bank:7c1e9a52-3f0b-4d6e-9a43-0c5e1f1d2b77")),
                    links=(inv42, inv43),
                    tone="attention",
                ),
                Item(
                    label="#13",
                    headline=f"{HOSTILE} paid A$30.00 through PayPal on 24 Nov with reference {LONG}; no open order "
                    "matches it; find whose it is, then approve it and link the payer.",
                    commands=(f"{CLI} review approve 13 --orders ORDER_ID --link-payer", f"{CLI} review ignore 13"),
                    details=(("item", "#13 unmatched"), ("receipt", f"notice:{LONG}@mail.example")),
                    tone="attention",
                ),
            ),
        ),
        Section(
            key="registrar",
            title="To do at the registrar",
            count=2,
            intro="Paid for. Do each at the registrar, then record it with the command under it.",
            table=Table(
                columns=("Domain", "Customer", "Action", "Term", "Expires now", "Upstream"),
                rows=(
                    Row(
                        cells=("harbour-books.co.nz", "Harbour Books", "renew", "1 year", "unknown", "NZ$21.50"),
                        command=f"{CLI} orders done ORD-7 --ref REGISTRAR_REFERENCE --expires YYYY-MM-DD",
                    ),
                    Row(
                        cells=(
                            f"{'very-long-name-' * 4}.nz",
                            "A Customer With A Rather Long Trading Name Limited",
                            "register",
                            "2 years",
                            "new",
                            "NZ$43.00",
                        ),
                        command=f"{CLI} orders done ORD-8 --ref REGISTRAR_REFERENCE",
                    ),
                ),
                numeric=(5,),
            ),
        ),
        Section(
            key="part_paid",
            title="Part-paid orders",
            count=1,
            intro="Paid in part. Each registration, renewal or hosting start waits until the rest is paid.",
            table=Table(
                columns=("Invoice", "Customer", "For", "Paid", "Still owed", "Since"),
                rows=(
                    Row(
                        cells=(
                            "INV-0703",
                            "Oliver Faleolo",
                            "renewal of olivercafe.nz",
                            "NZ$27.00",
                            "NZ$8.00",
                            "1 Nov",
                        ),
                        links=(invoice_link("INV-0703", "a6f1f2de-34f4-4d8f-9c65-50c3e8a10703"),),
                    ),
                ),
                numeric=(3, 4),
            ),
        ),
        Section(
            key="expiring",
            title="Domains expiring",
            count=1,
            intro="Within 30 days and no renewal paid yet.",
            table=Table(
                columns=("Domain", "Customer", "Expires", "Left"),
                rows=(Row(cells=("harbour-books.co.nz", "Harbour Books", "10 Dec", "14 days")),),
                numeric=(3,),
            ),
        ),
        Section(
            key="done",
            title="What the worker did",
            count=3,
            intro="Every paid invoice has its payment in Xero, unreconciled, for the bank line to match.",
            table=Table(
                columns=("Customer", "What", "Then", "Amount", "Margin"),
                rows=(
                    Row(
                        cells=(
                            "Kiwi Cafe Ltd",
                            "INV-0041 registration of kiwi-cafe.co.nz",
                            "registered",
                            "NZ$45.00",
                            "NZ$23.50",
                        ),
                        links=(invoice_link("INV-0041", "11111111-2222-4333-8444-555555555555"),),
                    ),
                    Row(
                        cells=(
                            "Harbour Books",
                            "INV-0040 hosting (Business plan) for harbour-books.co.nz",
                            "hosting started",
                            "NZ$1,234.50",
                            "",
                        )
                    ),
                    Row(cells=("Aroha Ltd", "INV-0039 renewal of aroha.nz", "to do", "NZ$35.00", "NZ$13.50")),
                ),
                numeric=(3, 4),
            ),
            notes=("Margin over upstream prices: NZ$37.00 on 2 domains.",),
        ),
        Section(
            key="health",
            title="Health",
            count=1,
            intro="1 job of 3 needs attention.",
            table=Table(
                columns=("State", "Job", "Last success", "Schedule", "Last error"),
                rows=(
                    Row(
                        cells=(
                            "LATE",
                            "sync_xero",
                            "26 Nov 04:00",
                            "every 5 min",
                            "TransientError: Xero answered 503 Service Unavailable",
                        ),
                        tone="alarm",
                    ),
                    Row(cells=("ok", "watch_inbox", "26 Nov 07:00", "every 5 s", "")),
                    Row(cells=("ok", "send_report", "25 Nov 07:00", "daily at 07:00", "")),
                ),
            ),
            tone="alarm",
        ),
    )
    summary = (
        Figure(
            label="Received",
            value="4 payments, NZ$1,324.50 (3 matched automatically, 1 approved by hand)",
            rank=10,
            tone="good",
            section="done",
        ),
        Figure(
            label="Waiting for you",
            value="2 decisions about A$30.00 and NZ$45.00",
            rank=20,
            tone="attention",
            section="decisions",
        ),
        Figure(
            label="At the registrar",
            value="2 domains to do by hand, NZ$64.50 upstream",
            rank=30,
            tone="attention",
            section="registrar",
        ),
        Figure(label="Failed actions", value="1 action gave up, see below", rank=40, tone="alarm", section="failed"),
        Figure(
            label="Possible fraud",
            value="1 notice rejected, nothing paid on it",
            rank=50,
            tone="alarm",
            section="fraud",
        ),
        Figure(
            label="Domains expiring",
            value="1 domain within 30 days, no renewal paid",
            rank=60,
            tone="attention",
            section="expiring",
        ),
        Figure(label="Margin earned", value="NZ$37.00 on 2 domains", rank=70, section="done"),
    )
    people = Section(
        key="people",
        title="Decided by people",
        count=2,
        intro="Who decided what since the last report, and what it did.",
        items=(
            Item(
                label="review page",
                headline="aroha approved #12, 26 Nov 07:14.",
                lines=(
                    "#12 approved: receipt pays INV-0042; 2 actions queued. " + LONG,
                    "https://worker.example.nz/history/" + "9" * 60,
                ),
                links=(Link(text="https://worker.example.nz/history/" + "9" * 60, url="https://worker.example.nz/h"),),
            ),
            Item(label="command line", headline=f"{HOSTILE} ignored #13, 26 Nov 07:20.", lines=("#13 ignored",)),
        ),
    )
    sections = (*sections[:-1], people, sections[-1])
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
        summary=summary,
        sections=sections,
        done=(
            DoneLine(
                when=NOW,
                customer="Kiwi Cafe Ltd",
                what="registration of kiwi-cafe.co.nz",
                outcome="registered",
                amount=Money.of("45.00", "NZD"),
                upstream=Money.of("21.50", "NZD"),
            ),
        ),
        sources=(
            SourceHealth(
                job="sync_xero",
                plan="every 5 min",
                last_success_at=NOW - timedelta(hours=3),
                late=True,
                failing=True,
                last_error="TransientError",
            ),
        ),
    )
