"""Which provider the `[inbox]` settings name, the tokens the worker keeps from it, and `inbox connect`'s sign-in."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from config.inbox import InboxSettings
from integrations.errors import NotConfigured
from integrations.mailsignin.google import GoogleMailSignIn
from integrations.mailsignin.microsoft import MicrosoftMailSignIn
from integrations.mailsignin.tokens import PROVIDERS, MailTokens, sign_in_state, token_store
from integrations.tokens import TokenSet, utc_now


def signin_for(inbox: InboxSettings, provider: str = "") -> MicrosoftMailSignIn | GoogleMailSignIn:
    """The provider `[inbox] auth` names (or `provider`, for `inbox connect --provider`)."""
    provider = provider or inbox.auth
    if provider == "microsoft":
        return MicrosoftMailSignIn(
            client_id=inbox.client_id, tenant=inbox.tenant, timeout_seconds=inbox.timeout_seconds
        )
    if provider == "google":
        return GoogleMailSignIn(
            client_id=inbox.client_id, client_secret=inbox.client_secret, timeout_seconds=inbox.timeout_seconds
        )
    raise NotConfigured(
        f"no sign-in for {provider!r}: choose one of {', '.join(PROVIDERS)} ([inbox] auth or --provider)",
        system="imap",
    )


def mail_tokens(inbox: InboxSettings, data_dir: Path, **kwargs: Any) -> MailTokens:
    """The worker's own mailbox tokens (`[inbox] auth = "microsoft"` or `"google"`), from `inbox connect`'s file."""
    return MailTokens(signin=signin_for(inbox), store=token_store(data_dir), **kwargs)


def connect_mailbox(
    inbox: InboxSettings,
    data_dir: Path,
    *,
    provider: str = "",
    show: Callable[[str], None] = print,
    port: int | None = None,
    wait_seconds: float = 900.0,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenSet:
    """Sign in once as the mailbox's owner and store the token set (0600, replacing any ended one).

    Microsoft: the device code; `show` gets Microsoft's own instructions (a page and a code to type on any
    device). Google: `show` gets the consent URL; its redirect comes back to a loopback port on this machine.
    """
    signin = signin_for(inbox, provider)
    if isinstance(signin, MicrosoftMailSignIn):
        flow = signin.start()
        show(str(flow.get("message") or f"Open {flow['verification_uri']} and enter the code {flow['user_code']}"))
        tokens = signin.finish(flow, now=clock, sleep=sleep)
    else:
        tokens = signin.sign_in(
            show=show,
            now=clock,
            port=inbox.redirect_port if port is None else port,
            wait_seconds=wait_seconds,
            account=inbox.username,
        )
    store = token_store(data_dir)
    with store.lock():  # not while a refresher holds it: its answer would overwrite this sign-in
        store.save(tokens)
    return tokens


def sign_in_problem(inbox: InboxSettings, data_dir: Path, now: datetime) -> str:
    """Empty while the worker's own mailbox sign-in works (or is not used); else the one line a person must act
    on. Reads the token file only: `health`, `status` and the report never ask the provider."""
    if inbox.kind != "imap" or inbox.auth not in PROVIDERS:
        return ""
    usable, line = sign_in_state(token_store(data_dir), provider=inbox.auth, now=now)
    return "" if usable else line
