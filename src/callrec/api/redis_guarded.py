"""Redis calls for the request guard: async, bounded by a short timeout, behind a breaker.

Nothing here blocks the event loop. A call that fails, times out or is skipped because the
breaker is open returns the caller's fallback, so an outage of Redis degrades the guard (the
lockout and the rate limit fail open) instead of stalling or failing requests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from callrec.api.breaker import BreakerState, CircuitBreaker

log = logging.getLogger("callrec.api")

T = TypeVar("T")


class GuardedRedis:
    def __init__(
        self,
        client: aioredis.Redis,
        timeout_seconds: float,
        breaker: CircuitBreaker,
        key_prefix: str = "callrec:",
    ) -> None:
        self.client = client
        self.prefix = key_prefix
        self.breaker = breaker
        self._timeout = timeout_seconds

    @classmethod
    def from_url(
        cls,
        url: str,
        timeout_seconds: float,
        breaker_seconds: float,
        key_prefix: str = "callrec:",
        clock: Callable[[], float] = time.time,
    ) -> GuardedRedis:
        client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            # A retry would multiply the wait on a hung Redis; the breaker decides instead.
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
        )
        return cls(
            client, timeout_seconds, CircuitBreaker(breaker_seconds, clock=clock), key_prefix
        )

    @property
    def state(self) -> BreakerState:
        return self.breaker.state

    async def call(
        self, what: str, operation: Callable[[aioredis.Redis], Awaitable[T]], fallback: T
    ) -> T:
        if not self.breaker.allow():
            return fallback
        try:
            async with asyncio.timeout(self._timeout):
                result = await operation(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            if self.breaker.failed():
                log.warning(
                    "Redis unavailable (%s: %s): the guard fails open and skips Redis for a while",
                    what,
                    str(exc) or type(exc).__name__,
                )
            return fallback
        except BaseException:
            self.breaker.abandoned()
            raise
        if self.breaker.state is not BreakerState.CLOSED:
            log.warning("Redis answers again: the guard uses it again")
        self.breaker.succeeded()
        return result

    async def aclose(self) -> None:
        await self.client.aclose()
