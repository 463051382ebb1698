"""Golden readings of real notices from the dev corpus, one or more per gateway format and per kind of mail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.notices import NoticeStream, SenderTrust, read_notice, read_notices, zone_lookup
from integrations.notices.headers import date_hint
from rules.model import DecisionKind
from tests.notices.support import MAIL, fixture_mail, load_context, outcome

# file, amount, currency, payer name, payer e-mail, gateway, transaction id, text pairs
RECEIPTS = [
    (
        "dev-00001.eml",
        "30.00",
        "NZD",
        "Ethan Taylor",
        "ethan.taylor@outlook.com",
        "paypal",
        "T4XYM2WA4E1A1N1XR",
        (("memo", "taylortiling.com"),),
    ),
    (
        "dev-00003.eml",
        "60.00",
        "NZD",
        "Oliver Chen",
        "oliver.chen@outlook.com",
        "paypal",
        "LS5T3Y69P6F52DMN4",
        (("memo", "Invoices INV-0832 INV-0835"),),
    ),
    (
        "dev-00012.eml",
        "45.00",
        "NZD",
        "Olivia Young",
        "olivia.young@outlook.com",
        "paypal",
        "5K8E9XGPXHCUGPDRK",
        (("memo", "inv-0732"),),
    ),
    ("dev-00036.eml", "35.00", "AUD", "Losa Nguyen", "losa.nguyen@outlook.com", "paypal", "CV4WANPVJ7X0ULCHM", ()),
    (
        "dev-00019.eml",
        "90.00",
        "NZD",
        "",
        "ana.tipene@anatipenenz.com.au",
        "stripe",
        "pi_3Fxhzwf16D66kH7HrCr9Fe",
        (("memo", "Invoices INV-0769 INV-0772"),),
    ),
    (
        "dev-00075.eml",
        "134.00",
        "AUD",
        "",
        "ava.ngata@gmail.com",
        "stripe",
        "pi_3F6C9Er2EvA0FdznDiasnz",
        (("memo", "Invoice INV-0874"),),
    ),
    ("dev-00005.eml", "129.00", "NZD", "HEMI TAYLOR", "", "windcave", "000000032f29a0d", ()),
    ("dev-00020.eml", "25.00", "NZD", "LOSA OCONNOR", "", "windcave", "00000001c9aeef5", (("reference", "0914"),)),
    ("dev-00073.eml", "30.00", "AUD", "MAIA CLARK", "", "windcave", "00000002cdd4598", (("reference", "INV 0809"),)),
    (
        "dev-00002.eml",
        "134.00",
        "NZD",
        "Ava Patel",
        "",
        "xero",
        "f6dc7d94-64de-4d7f-a625-b73b739ba788",
        (("invoice", "INV-0859"),),
    ),
]


@pytest.mark.parametrize(("name", "amount", "currency", "payer", "email", "gateway", "txn", "text"), RECEIPTS)
def test_payment_notice_reads_into_a_receipt(
    trust: SenderTrust,
    name: str,
    amount: str,
    currency: str,
    payer: str,
    email: str,
    gateway: str,
    txn: str,
    text: tuple[tuple[str, str], ...],
) -> None:
    """Each gateway's genuine payment notice gives amount, currency, payer, transaction id and free text."""
    reading = read_notice(fixture_mail(name), trust)
    assert outcome(reading) == "receipt", reading.reason
    receipt = reading.receipt
    assert receipt is not None
    assert receipt.money.amount == Decimal(amount) and receipt.money.currency == currency
    assert (receipt.payer_name, receipt.payer_email) == (payer, email)
    assert receipt.gateway == reading.gateway == gateway
    assert receipt.gateway_txn_id == reading.gateway_txn_id == txn
    assert receipt.text == text
    assert receipt.receipt_id == reading.message_id and "<" not in reading.message_id
    assert receipt.received_at.tzinfo is UTC and receipt.received_at == reading.received_at
    assert not reading.forwarded


def test_date_becomes_utc(trust: SenderTrust) -> None:
    """The Date header (+1300) is stored as the same instant in UTC."""
    reading = read_notice(fixture_mail("dev-00001.eml"), trust)
    assert reading.received_at == datetime(2026, 10, 21, 7, 56, 3, tzinfo=UTC)
    assert reading.message_id == "179567087986.28827.5425054584774071842@paypal.com"


def test_xero_notice_carries_the_invoice_number(trust: SenderTrust) -> None:
    """A Xero notice names its invoice so Matching can confirm it against Xero's own payment record."""
    reading = read_notice(fixture_mail("dev-00002.eml"), trust)
    assert reading.receipt is not None
    assert reading.receipt.invoice_number == "INV-0859"
    assert reading.receipt.gateway == "xero"


# Gateway mail that is no payment: ignored, with the kind named in the reason.
NOT_PAYMENTS = [
    ("dev-00016.eml", "money request"),
    ("dev-00084.eml", "payout"),
    ("dev-00030.eml", "payout"),
    ("dev-00017.eml", "policy"),
    ("dev-00072.eml", "statement"),
    ("dev-00021.eml", "invoice, bill"),
]


@pytest.mark.parametrize(("name", "why"), NOT_PAYMENTS)
def test_gateway_mail_that_is_no_payment_is_ignored(trust: SenderTrust, name: str, why: str) -> None:
    """Payouts, money requests, statements, policy mail and bills sent to us are ignored with the reason."""
    reading = read_notice(fixture_mail(name), trust)
    assert outcome(reading) == "ignore"
    assert why in reading.reason
    assert reading.gateway in {"paypal", "stripe", "windcave", "xero"}


SPOOFS = [
    ("dev-00004.eml", "no DKIM signature"),  # forged Authentication-Results below ours
    ("dev-00011.eml", "no DKIM signature"),  # unsigned
    ("dev-00013.eml", "look-alike of paypal.com"),
    ("dev-00018.eml", "does not verify"),  # subject altered after signing
    ("dev-00029.eml", "body altered after signing"),
    ("dev-00028.eml", "claims to be paypal"),  # freemail sender with a PayPal display name
]


@pytest.mark.parametrize(("name", "why"), SPOOFS)
def test_forged_notices_are_rejected(trust: SenderTrust, name: str, why: str) -> None:
    """Unsigned, tampered, look-alike and freemail notices are rejected, and the reason says why."""
    reading = read_notice(fixture_mail(name), trust)
    assert outcome(reading) == "reject"
    assert why in reading.reason


@pytest.mark.parametrize("name", ["dev-00048.eml", "dev-00077.eml"])
def test_staff_forward_is_a_receipt_that_cannot_prove_payment(trust: SenderTrust, name: str) -> None:
    """A notice forwarded from our own domain is read (amount, payer) but marked forwarded."""
    reading = read_notice(fixture_mail(name), trust)
    assert outcome(reading) == "receipt"
    assert reading.forwarded
    assert reading.receipt is not None
    assert reading.receipt.gateway == "paypal"
    assert reading.receipt.money.currency == "NZD"
    assert "forwarded" in reading.reason


def test_forwarded_memo_is_kept(trust: SenderTrust) -> None:
    """The forwarded notice's memo line reaches the receipt's text."""
    reading = read_notice(fixture_mail("dev-00077.eml"), trust)
    assert reading.receipt is not None
    assert ("memo", "INV 0598 singhbakery.com") in reading.receipt.text
    assert reading.receipt.payer_name == "Liam Singh"


def test_reading_twice_gives_the_same_answer(trust: SenderTrust) -> None:
    """Reading is a pure function of the bytes and the trust settings."""
    raw = fixture_mail("dev-00063.eml")
    assert read_notice(raw, trust) == read_notice(raw, trust)


def test_wrong_key_in_dns_rejects(trust: SenderTrust) -> None:
    """With the published key swapped for another, a genuine notice no longer verifies."""
    records = dict(load_context()["dns_txt"])  # type: ignore[call-overload]
    records["pp2026._domainkey.paypal.com"] = records["test1._domainkey.paypal.com"]
    other = replace(trust, dns_txt=zone_lookup(records))
    reading = read_notice(fixture_mail("dev-00001.eml"), other)
    assert reading.verdict is DecisionKind.REJECT


def test_batch_reading_matches_one_by_one(trust: SenderTrust) -> None:
    """read_notices over forked workers gives the same readings, in the same order, as read_notice one by one."""
    raws = [path.read_bytes() for path in sorted(MAIL.glob("*.eml"))] * 12
    assert read_notices(raws, trust, workers=2) == [read_notice(raw, trust) for raw in raws]


def test_a_stream_reads_ahead_in_order_and_stops_its_workers(trust: SenderTrust) -> None:
    """NoticeStream hands readings back in input order while its forked workers read ahead; closing it early
    stops them, and a second stream opened meanwhile reads in-process instead of forking again."""
    import multiprocessing

    raws = [path.read_bytes() for path in sorted(MAIL.glob("*.eml"))] * 12
    expected = [read_notice(raw, trust) for raw in raws[:5]]
    with NoticeStream(raws, trust, workers=2) as stream:
        assert len(multiprocessing.active_children()) == 2
        with NoticeStream(raws[:5], trust, workers=2) as inner:
            assert list(inner) == expected
        assert [next(stream) for _ in range(5)] == expected
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stream_of_files_in_date_order(trust: SenderTrust, tmp_path: Path, workers: int) -> None:
    """Given files, the workers read them (dates first, then the messages in date order); a file that cannot
    be read raises OSError at its turn, and the stream goes on past it."""
    sources = sorted(MAIL.glob("*.eml"))
    files = []
    for copy in range(12):
        for source in sources:
            target = tmp_path / f"{copy:02d}-{source.name}"
            target.write_bytes(source.read_bytes())
            files.append(target)
    lost = tmp_path / "lost.eml"
    lost.symlink_to(tmp_path / "nowhere.eml")
    files.insert(7, lost)
    got: list[object] = []
    with NoticeStream(files, trust, workers=workers, by_date=True) as stream:
        dates = [stream.dates[i] or datetime(1970, 1, 1, tzinfo=UTC) for i in stream.order]
        assert dates == sorted(dates)
        assert sorted(stream.order) == list(range(len(files)))
        for _ in files:
            try:
                got.append(next(stream))
            except OSError:
                got.append("lost")
    assert got.count("lost") == 1 and stream.order[got.index("lost")] == 7
    expected = [read_notice(files[i].read_bytes(), trust) for i in stream.order if i != 7]
    assert [g for g in got if g != "lost"] == expected


def test_date_hint_is_the_date_a_reading_carries(trust: SenderTrust) -> None:
    """The Date read ahead of the message (to put messages in time order) is the date its reading carries."""
    for path in sorted(MAIL.glob("*.eml")):
        raw = path.read_bytes()
        reading = read_notice(raw, trust)
        if reading.received_at is not None:
            assert date_hint(raw) == reading.received_at, path.name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"From: a@b.example\r\nDate: Mon, 19 Oct 2026 19:36:28 +1300\r\n\r\nbody", datetime(2026, 10, 19, 6, 36, 28)),
        (b"Date: Mon, 19 Oct 2026\n 19:36:28 -0000\nFrom: a@b.example\n\nbody", datetime(2026, 10, 19, 19, 36, 28)),
        (
            b"DATE: Mon, 19 Oct 2026 19:36:28 +0000\nDate: Tue, 20 Oct 2026 1:00:00 +0000\n\n",
            datetime(2026, 10, 19, 19, 36, 28),
        ),
        (b"From: a@b.example\n\nDate: Mon, 19 Oct 2026 19:36:28 +0000\n", None),
        (b"From: a@b.example\nX-Date: Mon, 19 Oct 2026 19:36:28 +0000\n\n", None),
        (b"Date: yesterday\n\n", None),
        (b"\x00\xff" * 100, None),
    ],
    ids=["crlf", "folded", "first-of-two", "in-body", "other-header", "garbage-date", "garbage"],
)
def test_date_hint(raw: bytes, expected: datetime | None) -> None:
    assert date_hint(raw) == (expected.replace(tzinfo=UTC) if expected else None)
