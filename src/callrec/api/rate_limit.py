"""Per-key request rate limits: a token bucket per API key (``-15`` when it is empty).

Each key's bucket holds up to ``burst`` tokens and refills at ``per_minute / 60`` tokens a
second; a request takes one. ``per_minute == 0`` turns the limit off.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_minute: int
    burst: int

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    @property
    def tokens_per_second(self) -> float:
        return self.per_minute / 60


class TokenBuckets(Protocol):
    async def take(self, api_key: str) -> bool:
        """Take one token from the key's bucket; False when it is empty."""
        ...


class MemoryTokenBuckets:
    """Buckets in this process's memory (each worker limits on its own).

    At most ``max_tracked`` keys are remembered, least recently used forgotten first; a
    forgotten bucket comes back full, which errs on the caller's side.
    """

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], float] = time.time,
        max_tracked: int = 100_000,
    ) -> None:
        self._limit = limit
        self._clock = clock
        self._max_tracked = max_tracked
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    async def take(self, api_key: str) -> bool:
        now = self._clock()
        tokens, at = self._buckets.pop(api_key, (float(self._limit.burst), now))
        if now > at:
            tokens = min(self._limit.burst, tokens + (now - at) * self._limit.tokens_per_second)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[api_key] = (tokens, max(now, at))
        if len(self._buckets) > self._max_tracked:
            self._buckets.popitem(last=False)
        return allowed


class RateLimiter:
    """The limit the guard applies after the sign is verified, and how often it said no."""

    def __init__(self, limit: RateLimit, buckets: TokenBuckets) -> None:
        self.limit = limit
        self._buckets = buckets
        self.rejected = 0  # requests answered -15, for a metrics layer to read

    @property
    def enabled(self) -> bool:
        return self.limit.enabled

    async def admit(self, api_key: str) -> bool:
        if not self.limit.enabled:
            return True
        if await self._buckets.take(api_key):
            return True
        self.rejected += 1
        return False
