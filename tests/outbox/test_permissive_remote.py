"""The remote sides the crash tests use are as permissive as real services, so the tests prove the worker's own
guards: these tests show the permissive behaviour is really there."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from integrations.errors import PermanentError
from integrations.ports import ContactDraft, InvoiceDraft, InvoiceLine
from integrations.registrar.fake import FakeRegistrar
from integrations.xero.fake import FakeAccounting
from rules.money import Money
from worker.app import App
from worker.effects.books import add_history_note
from worker.outbox import OutboxRow


def test_without_the_exp_date_guard_a_repeated_renewal_is_applied_and_charged_twice() -> None:
    registrar = FakeRegistrar(exp_date_guard=False)
    registrar.add_ours("twice.nz", expires=date(2027, 1, 15))
    for _ in range(2):
        registrar.renew("twice.nz", years=1, current_expiry=date(2027, 1, 15), idempotency_key="renew:twice.nz")
    assert registrar.applied("renew", "twice.nz") == 2
    assert registrar.expiry("twice.nz") == date(2029, 1, 15)
    assert registrar.attempts("renew", "twice.nz") == 2


def test_a_second_registration_is_refused_but_counted_as_asked() -> None:
    registrar = FakeRegistrar()
    registrar.register("once.nz", years=1, contact_ref="c", idempotency_key="k1")
    with pytest.raises(PermanentError, match="not available"):
        registrar.register("once.nz", years=1, contact_ref="c", idempotency_key="k2")
    assert (registrar.applied("register", "once.nz"), registrar.attempts("register", "once.nz")) == (1, 2)


def _row(attempts: int) -> OutboxRow:
    return OutboxRow(
        id=1,
        key="note:inv-1:register:a.nz:ORD-1",
        kind="history_note",
        payload={"invoice_id": "inv-1", "note": "Registered a.nz until 2027-03-01 (order 1001)"},
        attempts=attempts,
        claimed_by="w",
    )


def _app(accounting: FakeAccounting) -> App:
    return App(
        settings=None,  # type: ignore[arg-type]
        engine=None,  # type: ignore[arg-type]
        clock=accounting.clock,
        accounting=accounting,
        registrar=None,  # type: ignore[arg-type]
        mailer=None,
        open_mailbox=None,
    )


def test_a_retried_history_note_reads_the_history_first_and_writes_nothing_twice() -> None:
    accounting = FakeAccounting()
    accounting.add_contact("c", ContactDraft(name="C"))
    line = InvoiceLine(description="x", quantity=Decimal(1), unit_amount=Money.of("10.00", "NZD"))
    invoice_id, _ = accounting.create_invoice(
        InvoiceDraft(contact_id="c", lines=(line,), issued=date(2026, 3, 1), due=date(2026, 3, 8), reference="r"),
        idempotency_key="inv",
    )
    accounting.history.setdefault(invoice_id, [])
    row = _row(1)
    payload = {"invoice_id": invoice_id, "note": row.payload["note"]}
    first = OutboxRow(id=1, key=row.key, kind=row.kind, payload=payload, attempts=1, claimed_by="w")
    add_history_note(_app(accounting), first, lambda name: None)
    assert accounting.calls["history_notes"] == 0  # a first attempt costs no read
    # The worker died after Xero took the note; the retry (with the key forgotten by Xero) finds it.
    again = OutboxRow(id=1, key=row.key + ":other", kind=row.kind, payload=payload, attempts=2, claimed_by="w2")
    outcome = add_history_note(_app(accounting), again, lambda name: None)
    assert accounting.history[invoice_id] == [payload["note"]]
    assert outcome.result == {"noted": True, "already": True}  # type: ignore[union-attr]
