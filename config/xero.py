"""Settings for the Xero connection: how to authenticate, where, and how frugally to call."""

from __future__ import annotations

from dataclasses import dataclass

from config.sources import Reader


@dataclass(frozen=True, kw_only=True, slots=True)
class XeroSettings:
    mode: str  # sandbox | custom_connection | oauth2
    base_url: str  # empty for Xero itself; the sandbox URL otherwise
    client_id: str
    client_secret: str
    tenant_id: str
    daily_budget: int
    timeout_seconds: float
    bank_account_code: str
    item_codes: dict[str, str]  # item code -> order kind


def read_xero(r: Reader) -> XeroSettings:
    mode = r.str("mode", "sandbox", choices=("sandbox", "custom_connection", "oauth2"))
    needs_credentials = mode != "sandbox"
    return XeroSettings(
        mode=mode,
        base_url=r.str("base_url", ""),
        client_id=r.secret("client_id", required=needs_credentials),
        client_secret=r.secret("client_secret", required=needs_credentials),
        tenant_id=r.str("tenant_id", ""),
        daily_budget=r.int("daily_budget", 1000, minimum=50),
        timeout_seconds=float(r.int("timeout_seconds", 20, minimum=1, maximum=300)),
        bank_account_code=r.str("bank_account_code", "090"),
        item_codes={
            str(k): str(v)
            for k, v in r.mapping(
                "item_codes",
                {"DOM-REG": "domain_registration", "DOM-REN": "domain_renewal", "HOST": "hosting", "SETUP": "setup"},
            ).items()
        },
    )
