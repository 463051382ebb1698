"""`match_payouts` end to end on the fake books: a payout's bank line (or notice, or the service's record) settles
exactly the card payments it carried, its fees and transfer are booked once, and the clearing account is emptied;
what does not add up goes to a person and books nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from integrations.xero.fake import FakeAccounting
from rules.money import Money
from rules.payouts import Sighting, SightingSource
from worker.app import App
from worker.jobs.payouts import add_sighting, match_payouts

from .conftest import PAYPAL_RATE, bank_line, card_payment, card_states, cycle, fee, net, open_reviews, payout_rows

MON = date(2026, 11, 16)


def test_a_stripe_payout_on_the_bank_settles_its_payments_and_empties_the_clearing_account(
    app: App, books: FakeAccounting
) -> None:
    paid = [
        card_payment(app, books, n, a, MON - timedelta(days=9 - n))
        for n, a in ((1, "45.00"), (2, "30.00"), (3, "120.00"))
    ]
    later = card_payment(app, books, 4, "25.00", MON)  # made on the payout's day: the next payout's
    bank_line(books, "line-po1", net("45.00", "30.00", "120.00"), MON, "STRIPE")
    result = cycle(app)
    assert result["payouts"]["matched"] == 1 and result["dispatch"]["failed"] == 0, result
    [payout] = payout_rows(app)
    assert (payout.state, payout.gateway, payout.strategy) == ("settled", "stripe", "window")
    assert Decimal(payout.fees) == fee("45.00") + fee("30.00") + fee("120.00")
    assert Decimal(payout.gross) == Decimal("195.00") and Decimal(payout.net) == net("45.00", "30.00", "120.00")
    assert card_states(app) == {**{r.receipt_id: "settled" for r in paid}, later.receipt_id: "notified"}

    # In the books: payments in, fees and the transfer out; the bank gains exactly the payout.
    assert books.movement("091") == Money.of("25.00", "NZD")  # only the next payout's payment is still waiting
    assert books.movement("090") == Money(amount=net("45.00", "30.00", "120.00"), currency="NZD")
    [spent] = [e for e in books.bank_entries.values() if e.kind == "SPEND"]
    [moved] = [e for e in books.bank_entries.values() if e.kind == "TRANSFER"]
    assert (spent.account_code, spent.amount.amount, spent.on) == ("091", Decimal(payout.fees), MON)
    assert (moved.account_code, moved.to_account_code, moved.amount.amount, moved.on) == (
        "091",
        "090",
        Decimal(payout.net),
        MON,
    )
    assert spent.reference == moved.reference == payout.reference
    assert books.spend_contacts[spent.entry_id] == "Stripe"

    # Running again books nothing more.
    again = cycle(app)
    assert again["payouts"]["matched"] == 0 and again["dispatch"]["claimed"] == 0
    assert len(books.bank_entries) == 2


def test_a_paypal_transfer_is_matched_with_its_own_schedule(app: App, books: FakeAccounting) -> None:
    card_payment(app, books, 1, "35.00", MON - timedelta(days=6), gateway="paypal")
    card_payment(app, books, 2, "134.00", MON - timedelta(days=5), gateway="paypal")
    card_payment(app, books, 3, "45.00", MON - timedelta(days=5))  # Stripe's, not in a PayPal transfer
    amount = net("35.00", "134.00", rate=PAYPAL_RATE)
    bank_line(books, "line-pp", amount, MON, "PAYPAL *TRANSFER")
    cycle(app)
    [payout] = payout_rows(app)
    assert (payout.gateway, payout.state) == ("paypal", "settled")
    assert books.movement("092") == Money.of("0.00", "NZD")
    assert books.movement("091") == Money.of("45.00", "NZD")


def test_a_notice_then_the_bank_line_of_one_payout_book_one_fee_and_one_transfer(
    app: App, books: FakeAccounting
) -> None:
    for n, a in ((1, "45.00"), (2, "30.00")):
        card_payment(app, books, n, a, MON - timedelta(days=8))
    amount = Money(amount=net("45.00", "30.00"), currency="NZD")
    with app.engine.begin() as conn:
        add_sighting(
            conn,
            Sighting(
                source=SightingSource.NOTICE,
                ref="po-notice@stripe.com",
                gateway="stripe",
                net=amount,
                on=MON - timedelta(days=2),
            ),
            app.clock(),
        )
    first = cycle(app)
    assert first["payouts"]["matched"] == 1
    [payout] = payout_rows(app)
    assert payout.state == "waiting"  # matched and booked, not yet seen at the bank
    assert set(card_states(app).values()) == {"in_payout"}
    bank_line(books, "line-po", amount.amount, MON, "STRIPE")
    second = cycle(app)
    assert second["payouts"]["settled"] == 1 and second["payouts"]["matched"] == 0
    [payout] = payout_rows(app)
    assert payout.state == "settled" and payout.bank_line == "line-po"
    assert payout.paid_on == MON.isoformat()  # the bank's date wins
    assert set(card_states(app).values()) == {"settled"}
    assert sorted(e.kind for e in books.bank_entries.values()) == ["SPEND", "TRANSFER"]
    assert books.movement("091") == Money.of("0.00", "NZD")


def test_money_the_worker_has_no_record_of_goes_to_a_person_and_books_nothing(app: App, books: FakeAccounting) -> None:
    card_payment(app, books, 1, "45.00", MON - timedelta(days=8))
    bank_line(books, "line-x", "500.00", MON, "STRIPE")
    result = cycle(app)
    assert result["payouts"]["review"] == 1
    [item] = open_reviews(app)
    assert item.kind == "payout_unknown" and "500.00 NZD" in item.reason
    assert "payouts accept" in item.suggested_action
    [payout] = payout_rows(app)
    assert payout.state == "mismatch"
    assert books.bank_entries == {}
    # Asked again each run, but raised once.
    cycle(app)
    assert len(open_reviews(app)) == 1


def test_a_payout_that_fits_later_resolves_its_own_review(app: App, books: FakeAccounting) -> None:
    amount = net("45.00")
    bank_line(books, "line-early", amount, MON, "STRIPE")
    cycle(app)
    assert [r.kind for r in open_reviews(app)] == ["payout_unknown"]
    card_payment(app, books, 1, "45.00", MON - timedelta(days=8))  # its notice was read late
    result = cycle(app)
    assert result["payouts"]["matched"] == 1 and open_reviews(app) == []
    assert books.movement("091") == Money.of("0.00", "NZD")


def test_nothing_happens_without_a_service_set_up(engine, tmp_path, clock, books) -> None:  # type: ignore[no-untyped-def]
    from config.settings import load_settings

    from .conftest import make_app

    bare = make_app(engine, load_settings(None, {"RW_WORKER_DATA_DIR": str(tmp_path)}), clock, books)
    assert match_payouts(bare) == {
        "sighted": 0,
        "matched": 0,
        "review": 0,
        "waiting": 0,
        "settled": 0,
        "service_errors": 0,
    }


def test_a_payout_a_person_dismissed_is_left_alone(app: App, books: FakeAccounting) -> None:
    from sqlalchemy import update

    from worker.store.tables import review_items

    bank_line(books, "line-x", "500.00", MON, "STRIPE")
    cycle(app)
    [item] = open_reviews(app)
    with app.engine.begin() as conn:
        conn.execute(update(review_items).where(review_items.c.id == item.id).values(status="ignored"))
    card_payment(app, books, 1, "45.00", MON - timedelta(days=8))
    result = cycle(app)
    assert result["payouts"]["review"] == 0 and open_reviews(app) == []
    assert books.bank_entries == {}


def test_xero_online_payments_on_its_clearing_account_are_followed_to_their_payout(
    engine, tmp_path, clock, books
) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, time

    from rules.model import Receipt, ReceiptSource

    from .conftest import gateway_settings, make_app

    settings = gateway_settings(
        tmp_path,
        RW_GATEWAYS_XERO_CLEARING_ACCOUNT="094",
        RW_GATEWAYS_XERO_PAYEES="gocardless",
    )
    app = make_app(engine, settings, clock, books)
    books.add_account("094", "Xero payments clearing")
    for n, account in ((1, "094"), (2, "090")):  # the second was a bank receipt the accountant matched
        books.add_xero_payment(
            Receipt(
                receipt_id=f"pay-{n}",
                source=ReceiptSource.XERO_PAYMENT,
                received_at=datetime.combine(MON - timedelta(days=8), time(9), UTC),
                money=Money.of("45.00", "NZD"),
                text=(("reference", f"GC-{n}"),),
                gateway="xero",
                gateway_txn_id=f"pay-{n}",
                invoice_id=f"inv-{n}",
                invoice_number=f"INV-000{n}",
                raw_kind="ACCRECPAYMENT",
                account_code=account,
            ),
            updated_at=clock(),
        )
    terms = app.settings.gateways.get("xero")
    assert terms is not None and terms.terms.fees == {}  # no schedule: a person confirms the payout
    bank_line(books, "line-gc", Decimal("44.00"), MON, "GOCARDLESS")
    cycle(app)
    [payout] = payout_rows(app)
    assert payout.gateway == "xero" and payout.state == "mismatch"
    assert "no fee schedule for NZD" in payout.reason
    assert card_states(app) == {"pay-1": "notified"}  # only the payment on the clearing account is card money
