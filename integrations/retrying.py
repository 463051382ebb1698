"""The one retry policy for calls to outside systems: transient errors only, bounded in attempts and time.

Adapters retry for seconds; the outbox retries for hours. Tests pass `attempts=1` to switch it off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from integrations.errors import RateLimited, TransientError

F = TypeVar("F", bound=Callable[..., Any])


def transient_retry(
    *, attempts: int = 3, max_seconds: float = 30.0, initial_wait: float = 0.5, max_wait: float = 10.0
) -> Callable[[F], F]:
    """Retry on `TransientError`; a 429 waits its Retry-After, unless it is longer than `max_wait`
    (a day-limit 429 always is), in which case it is raised at once so the caller parks the work."""

    def retryable(exc: BaseException) -> bool:
        if isinstance(exc, RateLimited):
            return exc.limit != "day" and exc.retry_after <= max_wait
        return isinstance(exc, TransientError)

    backoff = wait_exponential_jitter(initial=initial_wait, max=max_wait)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RateLimited):
            return exc.retry_after
        return float(backoff(state))

    decorator = retry(
        retry=retry_if_exception(retryable),
        stop=stop_after_attempt(attempts) | stop_after_delay(max_seconds),
        wait=wait,
        reraise=True,
    )
    return decorator  # type: ignore[return-value]
