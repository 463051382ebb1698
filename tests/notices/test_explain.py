"""`reseller-worker notices explain FILE.eml... [--json]`: what the inbox's reader makes of a message and why, through
the real command line, with the settings' trust (DKIM keys from a keys file here, as the demo does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from integrations.notices.explain import JSON_KEYS
from tests.notices.support import build_message, load_context, sign
from worker.cli import main

NOTICE = (
    "You received a payment of $45.00 NZD from Jo Bloggs (jo@kauricafe.co.nz).\n\nTransaction ID: 9AB12345CD678901E\n"
    "Note from Jo Bloggs: INV-0042 kauricafe.co.nz\n"
)


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    context = load_context()
    keys = tmp_path / "dkim-keys.json"
    keys.write_text(json.dumps(context["dns_txt"]))
    config = tmp_path / "worker.toml"
    config.write_text(
        f'[worker]\ndata_dir = "{tmp_path / "var"}"\n[matching]\ntrusted_authserv_id = "mx.kiwiweb.example"\n'
        f'own_domains = ["kiwiweb.example"]\nreceiving_addresses = ["accounts@kiwiweb.example"]\n'
        f'dkim_keys_file = "{keys}"\n'
    )
    monkeypatch.setenv("RW_CONFIG", str(config))
    return tmp_path


def test_json_has_exactly_the_keys_and_what_was_read(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    genuine = configured / "genuine.eml"
    genuine.write_bytes(sign(build_message(body=NOTICE)))
    forged = configured / "forged.eml"
    forged.write_bytes(build_message(body=NOTICE.replace("45.00", "4500.00")))
    capsys.readouterr()
    assert main(["notices", "explain", str(genuine), str(forged), "--json"]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert set(first) == set(JSON_KEYS) == set(second)
    assert first["authenticated"] is True and "DKIM d=paypal.com verified" in first["auth_reasons"]
    read = (first["service"], first["kind"], first["amount"], first["currency"])
    assert read == ("paypal", "payment", "45.00", "NZD")
    assert (first["payer"], first["transaction_id"]) == ("Jo Bloggs", "9AB12345CD678901E")
    assert first["payer_text"] == [{"field": "memo", "text": "INV-0042 kauricafe.co.nz"}]
    assert first["references"] == ["INV-0042", "kauricafe.co.nz"]
    assert second["authenticated"] is False and second["file"].endswith("forged.eml")
    assert any("no DKIM signature" in reason for reason in second["auth_reasons"])
    assert second["amount"] == "4500.00"  # what it claims, shown; the inbox never reads it


def test_text_says_what_the_inbox_makes_of_it(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refund = configured / "refund.eml"
    body = "You issued a refund of $5.00 NZD.\n"
    refund.write_bytes(sign(build_message(subject="You've issued a refund", body=body)))
    notice = configured / "notice.eml"
    notice.write_bytes(sign(build_message(body=NOTICE)))
    capsys.readouterr()
    assert main(["notices", "explain", str(notice), str(refund)]) == 0
    text = capsys.readouterr().out
    assert "becomes         a receipt made-up-1@paypal.com: 45.00 NZD from Jo Bloggs" in text
    assert "kind            refund" in text and "becomes         ignore:" in text


def test_a_file_that_cannot_be_read_is_said_and_the_rest_explained(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notice = configured / "notice.eml"
    notice.write_bytes(sign(build_message(body=NOTICE)))
    capsys.readouterr()
    assert main(["notices", "explain", str(configured / "missing.eml"), str(notice)]) == 1
    said = capsys.readouterr()
    assert "missing.eml: cannot be read" in said.err and "45.00 NZD" in said.out
