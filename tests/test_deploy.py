"""The deployment files say and do what a server needs: compose has its settings file and its database password,
the image refuses the example's placeholders, and the systemd unit's install steps and health command work as
written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from config.placeholders import placeholders, refuse_placeholders
from config.settings import load_settings
from config.sources import ConfigError
from tests.config.test_settings import _env_file

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def test_compose_mounts_your_settings_and_says_where_the_database_password_goes() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    worker = compose["services"]["worker"]
    assert any(v.split(":")[1] == "/etc/reseller-worker/worker.toml" for v in worker["volumes"] if ":" in v)
    assert "${POSTGRES_PASSWORD}" in worker["environment"]["RW_WORKER_DATABASE_URL"]
    header = (DEPLOY / "docker-compose.yml").read_text().split("name:")[0]
    for text in (header, (DEPLOY / "worker.env.example").read_text(), (ROOT / "README.md").read_text()):
        assert "POSTGRES_PASSWORD" in text and ".env" in text
    assert "db upgrade" in " ".join(worker["command"])


def test_the_example_settings_baked_into_the_image_are_refused_naming_each_placeholder() -> None:
    settings = load_settings(ROOT / "config" / "example.toml", _env_file(ROOT / "config" / "example.env"))
    found = placeholders(settings)
    assert "[inbox] host = 'imap.example.nz'" in found
    assert "[matching] trusted_authserv_id = 'mx.example.nz'" in found
    assert "[xero] client_secret = (the example's CHANGE-ME)" in found  # a secret is never printed
    with pytest.raises(ConfigError, match="090"):
        refuse_placeholders(settings)
    assert "COPY config/example.toml /etc/reseller-worker/worker.toml" in (ROOT / "Dockerfile").read_text()


def test_own_values_are_not_placeholders(tmp_path: Path) -> None:
    own = tmp_path / "worker.toml"
    own.write_text('[inbox]\nkind = "imap"\nhost = "imap.kiwiweb.co.nz"\nusername = "accounts@kiwiweb.co.nz"\n')
    settings = load_settings(own, {"RW_INBOX_PASSWORD": "s3cret", "RW_WORKER_DATA_DIR": str(tmp_path)})
    assert placeholders(settings) == []
    refuse_placeholders(settings)


def test_the_systemd_units_steps_and_health_command_work_as_written() -> None:
    unit = (DEPLOY / "reseller-worker.service").read_text()
    comments = [line.lstrip("# ") for line in unit.splitlines() if line.startswith("#")]
    steps = "\n".join(comments)
    make_dir = steps.index("install -d")
    assert make_dir < steps.index("/etc/reseller-worker/\n")
    documentation = re.search(r"^Documentation=file://(\S+)$", unit, re.M)
    assert documentation is not None and documentation.group(1) in steps  # the file it names is installed
    health = steps[steps.index("Health") :]
    assert "/etc/reseller-worker/worker.env" in health and "reseller-worker health" in health
    assert "EnvironmentFile=/etc/reseller-worker/worker.env" in unit
    assert "UMask=0077" in unit and "StateDirectoryMode=0700" in unit
    assert "ExecStartPre=/opt/reseller-worker/bin/reseller-worker db upgrade" in unit
