"""The [matching] settings reach the policy the job and replay use; mistakes are reported at start."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import load_settings
from config.sources import ConfigError
from worker.jobs.match import match_policy


def test_settings_become_the_policy(tmp_path: Path) -> None:
    """Tolerance, candidates, windows, own account names, extra words and the home currency ([worker]) all come
    from the file."""
    cfg = tmp_path / "rw.toml"
    cfg.write_text(
        '[matching]\nfee_tolerance = "0.50"\nmax_candidates = 3\nnotice_confirm_hours = 48\n'
        'own_account_names = ["KiwiWeb Savings"]\n[worker]\nhome_currency = "AUD"\n'
        '[matching.extra_patterns]\nsettlement_payees = ["Laybuy"]\nnoise_words = ["koha"]\n'
    )
    policy = match_policy(load_settings(cfg, {}))
    assert policy.auto_tolerance == Decimal("0.50")
    assert policy.max_candidates == 3
    assert policy.notice_confirm_window == timedelta(hours=48)
    assert policy.own_names == ("KiwiWeb Savings",)
    assert policy.home_currency == "AUD"
    assert "laybuy" in policy.patterns.settlement_payees and "koha" in policy.patterns.noise_words


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[matching.extra_patterns]\nbogus = ["x"]\n', "is not a pattern list"),
        ("[matching.extra_patterns]\nnoise_words = 3\n", "must be a list of strings"),
        ('[matching]\nfee_tolerance = "-1"\n', "must not be negative"),
        ("[matching]\nfee_tolerance = 0.5\n", "as strings"),
        ("[matching]\nmax_candidates = 0\n", "at least 1"),
    ],
)
def test_mistakes_are_reported(tmp_path: Path, text: str, problem: str) -> None:
    """A wrong matching setting stops the start with a message saying what is wrong."""
    cfg = tmp_path / "rw.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=problem):
        load_settings(cfg, {})
