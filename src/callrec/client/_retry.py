"""When to try a request again, and how long to wait first."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from callrec.client._errors import (
    ApiError,
    RateLimitedError,
    ServerSystemError,
    TransportError,
    UnexpectedResponseError,
)


def is_retryable(error: ApiError) -> bool:
    """Connection failures, timeouts, HTTP 5xx, ``-18`` and ``-15`` (rate limited): the same
    request may succeed later.

    Every other status (``-1``, ``-2``, ``-22``, ``-25``, ``-29``, ``-30``, ``-31`` and codes the
    contract does not know) gets the same answer however often it is asked. ``-16`` has its own
    rule: correct the clock and retry once (see ``RetryPolicy.correct_clock``).
    """
    if isinstance(error, TransportError):
        return error.transient
    if isinstance(error, UnexpectedResponseError):
        return error.http_status >= 500
    return isinstance(error, ServerSystemError | RateLimitedError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter; every attempt is signed afresh.

    The wait before retry *n* is drawn from ``[c/2, c]`` where
    ``c = min(max_delay, initial_delay * multiplier ** (n - 1))``: it grows for sure, and
    clients that failed together do not retry together. ``jitter`` returns a number in
    ``[0, 1)``; pass a fixed one in tests.
    """

    max_attempts: int = 5
    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 30.0
    correct_clock: bool = True
    jitter: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.initial_delay * self.multiplier ** (retry - 1))
        return ceiling / 2 + ceiling / 2 * self.jitter()

    def delay_after(self, attempt: int, error: ApiError) -> float | None:
        """The wait before the next attempt after ``attempt`` failed, or None to give up."""
        if attempt >= self.max_attempts or not is_retryable(error):
            return None
        return self.delay(attempt)


NO_RETRIES = RetryPolicy(max_attempts=1, correct_clock=False)
