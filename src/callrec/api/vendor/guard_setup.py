"""Building the request guard from settings: in this process's memory, or shared in Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

from callrec.api.client_ip import ClientIpResolver
from callrec.api.forwarded_warning import UntrustedForwardedWarning, warn_at_startup
from callrec.api.lockout import FailureTracker, LockoutThresholds, MemoryFailureTracker
from callrec.api.lockout_redis import RedisFailureTracker
from callrec.api.rate_limit import MemoryTokenBuckets, RateLimit, RateLimiter, TokenBuckets
from callrec.api.rate_limit_redis import RedisTokenBuckets
from callrec.api.redis_guarded import GuardedRedis
from callrec.api.vendor.guard import RequestGuard
from callrec.settings import Settings


class GuardResources:
    """The guard and what must be closed with it (the Redis connection pool, if any)."""

    def __init__(self, guard: RequestGuard, redis: GuardedRedis | None) -> None:
        self.guard = guard
        self.redis = redis

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def build_guard(settings: Settings, clock: Callable[[], float] = time.time) -> GuardResources:
    """Shared through Redis when CALLREC_REDIS_URL is set, else this process's memory."""
    warn_at_startup(settings)
    thresholds = LockoutThresholds(
        settings.lockout_failures, settings.lockout_key_failures, settings.lockout_seconds
    )
    limit = RateLimit(settings.rate_limit_per_minute, settings.rate_limit_burst)
    redis: GuardedRedis | None = None
    failures: FailureTracker
    buckets: TokenBuckets
    if settings.redis_url:
        redis = GuardedRedis.from_url(
            settings.redis_url,
            settings.redis_timeout_ms / 1000,
            settings.redis_breaker_seconds,
            settings.redis_prefix,
            clock,
        )
        failures = RedisFailureTracker(redis, thresholds, clock)
        buckets = RedisTokenBuckets(redis, limit, clock)
    else:
        failures = MemoryFailureTracker(thresholds, clock)
        buckets = MemoryTokenBuckets(limit, clock)
    resolver = ClientIpResolver(settings.trusted_proxies, UntrustedForwardedWarning(clock))
    guard = RequestGuard(
        settings,
        failures,
        RateLimiter(limit, buckets),
        resolver,
        clock,
        redis.breaker if redis else None,
    )
    return GuardResources(guard, redis)
