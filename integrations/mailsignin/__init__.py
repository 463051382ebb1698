"""The payments mailbox's own sign-in at Microsoft 365 or Google, and the tokens the worker keeps fresh from it."""

from __future__ import annotations

from integrations.mailsignin.tokens import (
    NOT_SIGNED_IN,
    PROVIDERS,
    SIGN_IN_AGAIN,
    MailSignIn,
    MailTokens,
    SignInNeeded,
    sign_in_state,
    token_store,
)

__all__ = [
    "NOT_SIGNED_IN",
    "PROVIDERS",
    "SIGN_IN_AGAIN",
    "MailSignIn",
    "MailTokens",
    "SignInNeeded",
    "sign_in_state",
    "token_store",
]
