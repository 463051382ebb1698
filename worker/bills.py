"""The provider's bills in the database: stored whole (a bill and all its lines in one transaction), read back as
charges for a month, and the CSV statement import behind `month-end import`."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, or_, select

from config.provider import ProviderSettings
from integrations.ports import SupplierBill
from rules.money import Money
from rules.provider_bill import (
    Charge,
    ChargeAction,
    Month,
    Period,
    StatementError,
    month_named_in,
    read_bill_line,
    read_statement,
)
from worker.store.month_end_tables import provider_bill_lines, provider_bills


@dataclass(frozen=True, kw_only=True, slots=True)
class BillHeader:
    bill_id: str  # xero:<InvoiceID> or csv:<digest>
    source: str  # xero | csv
    reference: str
    month: Month
    issued: date
    currency: str


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredBill:
    bill_id: str
    source: str
    reference: str
    month: Month
    issued: date
    total: Money
    lines: int
    imported_at: datetime
    reported_at: datetime | None


def store_bill(
    conn: Connection, header: BillHeader, charges: Sequence[Charge], *, now: datetime, xero_updated: str = ""
) -> str:
    """Store a bill and its lines: "new"; "same" when this version is already stored; "replaced" when a changed
    version of the bill (edited in Xero) replaces the stored lines."""
    known = conn.execute(
        select(provider_bills.c.xero_updated).where(provider_bills.c.bill_id == header.bill_id)
    ).first()
    if known is not None and (header.source == "csv" or known.xero_updated == xero_updated):
        return "same"
    total = Money.zero(header.currency)
    for c in charges:
        if c.amount.currency == header.currency:
            total = total + c.amount
    if known is not None:
        conn.execute(delete(provider_bill_lines).where(provider_bill_lines.c.bill_id == header.bill_id))
        conn.execute(delete(provider_bills).where(provider_bills.c.bill_id == header.bill_id))
    conn.execute(
        provider_bills.insert().values(
            bill_id=header.bill_id,
            source=header.source,
            reference=header.reference[:255],
            month=str(header.month),
            issued=header.issued,
            currency=header.currency,
            total=str(total.amount),
            lines=len(charges),
            xero_updated=xero_updated,
            imported_at=now,
            reported_at=None,
        )
    )
    if charges:
        conn.execute(
            provider_bill_lines.insert(),
            [
                {
                    "bill_id": header.bill_id,
                    "line_no": n,
                    "charged_on": c.on,
                    "action": c.action.value if c.action is not None else "",
                    "item": c.item[:255],
                    "years": c.years,
                    "period_start": c.period.start if c.period is not None else None,
                    "period_end": c.period.end if c.period is not None else None,
                    "plan": c.plan[:64],
                    "amount": str(c.amount.amount),
                    "currency": c.amount.currency,
                    "reference": c.reference[:255],
                    "source": c.source[:255],
                    "text": c.text,
                }
                for n, c in enumerate(charges, start=1)
            ],
        )
    return "new" if known is None else "replaced"


def _charge(row: Any) -> Charge:
    period = (
        Period(start=row.period_start, end=row.period_end)
        if row.period_start is not None and row.period_end is not None
        else None
    )
    return Charge(
        source=row.source,
        on=row.charged_on,
        action=ChargeAction(row.action) if row.action else None,
        item=row.item,
        amount=Money(amount=Decimal(row.amount), currency=row.currency),
        years=int(row.years),
        period=period,
        plan=row.plan,
        reference=row.reference,
        text=row.text,
    )


def charges_for(conn: Connection, month: Month, *, boundary_days: int) -> list[Charge]:
    """Every stored line that may belong to `month`: domain lines dated within it (or `boundary_days` either side),
    hosting lines for days in it, and unreadable lines dated in it; in bill order."""
    early = month.first - timedelta(days=boundary_days)
    late = month.last + timedelta(days=boundary_days)
    lines = provider_bill_lines.c
    hosting = lines.action == ChargeAction.HOSTING.value
    query = (
        select(provider_bill_lines)
        .where(
            or_(
                and_(~hosting, lines.charged_on >= early, lines.charged_on <= late),
                and_(
                    hosting,
                    lines.period_start.is_(None),
                    lines.charged_on >= month.first,
                    lines.charged_on <= month.last,
                ),
                and_(hosting, lines.period_start >= month.first, lines.period_start <= month.last),
            )
        )
        .order_by(lines.bill_id, lines.line_no)
    )
    return [_charge(row) for row in conn.execute(query)]


def bills_for(conn: Connection, month: Month) -> list[StoredBill]:
    rows = conn.execute(
        select(provider_bills).where(provider_bills.c.month == str(month)).order_by(provider_bills.c.issued)
    ).all()
    return [_stored(r) for r in rows]


def _stored(r: Any) -> StoredBill:
    return StoredBill(
        bill_id=r.bill_id,
        source=r.source,
        reference=r.reference,
        month=Month.parse(r.month),
        issued=r.issued,
        total=Money(amount=Decimal(r.total), currency=r.currency),
        lines=int(r.lines),
        imported_at=r.imported_at,
        reported_at=r.reported_at,
    )


def unreported_months(conn: Connection) -> list[Month]:
    """Months with a bill that no morning report has shown yet, oldest first."""
    found = conn.execute(
        select(provider_bills.c.month).where(provider_bills.c.reported_at.is_(None)).distinct()
    ).scalars()
    return sorted(Month.parse(m) for m in found)


def mark_reported(conn: Connection, *, imported_before: datetime, now: datetime) -> None:
    """Bills stored before a report was built were in it: a later report does not show them again."""
    conn.execute(
        provider_bills.update()
        .where(provider_bills.c.imported_at <= imported_before, provider_bills.c.reported_at.is_(None))
        .values(reported_at=now)
    )


# ---- `month-end import FILE.csv` ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Imported:
    header: BillHeader
    charges: tuple[Charge, ...]
    outcome: str  # new | same


def statement_month(charges: Sequence[Charge]) -> Month:
    """The month most of a statement's lines are dated in (the later one on a tie)."""
    counts = Counter(Month.of(c.on) for c in charges)
    return max(counts, key=lambda m: (counts[m], m))


def import_statement(
    engine: Engine, path: Path, *, currency: str, now: datetime, month: Month | None = None
) -> Imported:
    """Read the whole file, then store it in one transaction; StatementError (every unreadable line, numbered)
    stores nothing. The same file imported again is recognised by its content and changes nothing."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StatementError([f"{path}: cannot be read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StatementError(
            [f"{path.name}: not UTF-8 text (byte {exc.start}); save the statement as CSV UTF-8"]
        ) from None
    charges = read_statement(text, name=path.name, currency=currency)
    digest = hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()[:32]
    header = BillHeader(
        bill_id=f"csv:{digest}",
        source="csv",
        reference=path.name,
        month=month or statement_month(charges),
        issued=max(c.on for c in charges),
        currency=charges[0].amount.currency,
    )
    with engine.begin() as conn:
        outcome = store_bill(conn, header, charges, now=now)
    return Imported(header=header, charges=charges, outcome=outcome)


# ---- a bill from the provider's Xero contact ---------------------------------------------------------------------


def bill_month(bill: SupplierBill, provider: ProviderSettings) -> Month:
    """The month its number or reference names; else by `[provider] bill_covers` from its date."""
    named = month_named_in(f"{bill.number} {bill.reference}")
    if named is not None:
        return named
    issued = Month.of(bill.issued)
    return issued.previous() if provider.bill_covers == "previous_month" else issued


def charges_from_bill(
    bill: SupplierBill, provider: ProviderSettings, plans: frozenset[str]
) -> tuple[BillHeader, list[Charge]]:
    """Each line of a Xero bill read as a charge; a line that cannot be read is kept, unreadable, to be named."""
    month = bill_month(bill, provider)
    label = bill.number or bill.reference or bill.bill_id[:8]
    charges = [
        read_bill_line(
            line.description,
            source=f"Xero bill {label} line {n}",
            amount=line.amount,
            covers=month,
            item_action=ChargeAction(provider.item_codes[line.item_code])
            if line.item_code in provider.item_codes
            else None,
            plans=plans,
        )
        for n, line in enumerate(bill.lines, start=1)
    ]
    header = BillHeader(
        bill_id=f"xero:{bill.bill_id}",
        source="xero",
        reference=label,
        month=month,
        issued=bill.issued,
        currency=bill.currency,
    )
    return header, charges


def forget_bill(conn: Connection, bill_id: str) -> bool:
    """A bill voided or deleted at its source: its lines are no longer charges."""
    gone = conn.execute(delete(provider_bill_lines).where(provider_bill_lines.c.bill_id == bill_id))
    bills = conn.execute(delete(provider_bills).where(provider_bills.c.bill_id == bill_id))
    return bool(bills.rowcount or gone.rowcount)
