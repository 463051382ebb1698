"""Registrar settings: the manual process by default, or the LogicBoxes (ResellerClub) HTTP API."""

from __future__ import annotations

from dataclasses import dataclass

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistrarSettings:
    kind: str  # manual | logicboxes
    api_url: str
    reseller_id: str
    api_key: str
    timeout_seconds: float


def read_registrar(r: Reader) -> RegistrarSettings:
    kind = r.str("kind", "manual", choices=("manual", "logicboxes"))
    return RegistrarSettings(
        kind=kind,
        api_url=r.str("api_url", "https://test.httpapi.com/api"),
        reseller_id=r.str("reseller_id", "" if kind != "logicboxes" else None),
        api_key=r.secret("api_key", required=kind == "logicboxes"),
        timeout_seconds=float(r.int("timeout_seconds", 30, minimum=1, maximum=300)),
    )
