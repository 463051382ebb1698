"""Settings for the Xero connection: how to authenticate, where, and how frugally to call."""

from __future__ import annotations

from dataclasses import dataclass, field

from config.sources import Reader

DEFAULT_ITEM_CODES = {
    "DOM-REG": "domain_registration",
    "DOM-REN": "domain_renewal",
    "HOST": "hosting",
    "SETUP": "setup",
}
# Granular scopes (apps created since 2026-03 cannot use accounting.transactions); offline_access only matters for
# the OAuth2 code flow, finance.bankstatementsplus.read only for partners.
DEFAULT_SCOPES = (
    "openid",
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.banktransactions",  # spend money (payout fees) and bank transfers (payouts) as well as reading
    "accounting.contacts",
    "accounting.settings.read",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class XeroSettings:
    mode: str  # sandbox | custom_connection | oauth2
    base_url: str  # empty for Xero itself; the sandbox URL otherwise (its token endpoint and APIs live under it)
    client_id: str = field(repr=False)  # read as a secret: only from the environment
    client_secret: str = field(repr=False)  # secret
    tenant_id: str
    daily_budget: int
    timeout_seconds: float
    bank_account_code: str
    item_codes: dict[str, str]  # item code -> order kind
    bank_account_id: str = ""  # the Finance API needs the AccountID; looked up by code once when empty
    bank_feed: str = "auto"  # auto (finance scope if the token has it) | finance | bank_transactions
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    redirect_port: int = 8765  # loopback port `xero connect` listens on for the OAuth2 redirect
    overlap_seconds: int = 300  # If-Modified-Since is the watermark minus this, against clock skew
    max_in_flight: int = 2


def read_xero(r: Reader) -> XeroSettings:
    mode = r.str("mode", "sandbox", choices=("sandbox", "custom_connection", "oauth2"))
    needs_credentials = mode != "sandbox"
    return XeroSettings(
        mode=mode,
        base_url=r.str("base_url", "").rstrip("/"),
        client_id=r.secret("client_id", required=needs_credentials),
        client_secret=r.secret("client_secret", required=needs_credentials),
        tenant_id=r.str("tenant_id", ""),
        daily_budget=r.int("daily_budget", 1000, minimum=50),
        timeout_seconds=float(r.int("timeout_seconds", 20, minimum=1, maximum=300)),
        bank_account_code=r.str("bank_account_code", "090"),
        item_codes={str(k): str(v) for k, v in r.mapping("item_codes", DEFAULT_ITEM_CODES).items()},
        bank_account_id=r.str("bank_account_id", ""),
        bank_feed=r.str("bank_feed", "auto", choices=("auto", "finance", "bank_transactions")),
        scopes=r.list("scopes", DEFAULT_SCOPES),
        redirect_port=r.int("redirect_port", 8765, minimum=1024, maximum=65535),
        overlap_seconds=r.int("overlap_seconds", 300, minimum=0, maximum=86400),
        max_in_flight=r.int("max_in_flight", 2, minimum=1, maximum=5),
    )
