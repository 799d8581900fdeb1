"""Failure counts in Redis, so every server process and machine enforces the same lockout."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import redis.asyncio as aioredis

from callrec.api.lockout import LockoutSubjects, LockoutThresholds
from callrec.api.redis_guarded import GuardedRedis


class RedisFailureTracker:
    """A sorted set per subject: members are failures, scores their times.

    If Redis cannot be reached (or the breaker has given up on it for a while) the tracker
    fails open: no lockout. The lockout protects against guessing, and an outage of its store
    should not take the query API down with it; signatures are still verified on every request.
    """

    def __init__(
        self,
        redis: GuardedRedis,
        thresholds: LockoutThresholds,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = redis.prefix + "lockout:"
        self._thresholds = thresholds
        self._clock = clock

    def _keys(self, subjects: LockoutSubjects) -> list[tuple[str, int]]:
        """Each subject's Redis key and threshold."""
        keys = [(self._prefix + "net:" + subjects.network, self._thresholds.network_failures)]
        if subjects.network_and_key is not None:
            keys.append(
                (self._prefix + "key:" + subjects.network_and_key, self._thresholds.key_failures)
            )
        return keys

    async def record_failure(self, subjects: LockoutSubjects) -> None:
        now = self._clock()
        window = self._thresholds.window_seconds
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"

        async def record(client: aioredis.Redis) -> None:
            async with client.pipeline(transaction=True) as pipe:
                for key, threshold in self._keys(subjects):
                    pipe.zadd(key, {member: now})
                    pipe.zremrangebyscore(key, "-inf", now - window)
                    # Reaching the threshold is all that matters: keep no more than that.
                    pipe.zremrangebyrank(key, 0, -threshold - 1)
                    pipe.expire(key, int(window) + 1)
                await pipe.execute()

        await self._redis.call("record a failure", record, None)

    async def is_locked_out(self, subjects: LockoutSubjects) -> bool:
        now = self._clock()
        keys = self._keys(subjects)

        async def counts(client: aioredis.Redis) -> list[int]:
            async with client.pipeline(transaction=False) as pipe:
                for key, _ in keys:
                    pipe.zcount(key, f"({now - self._thresholds.window_seconds}", "+inf")
                return [int(count) for count in await pipe.execute()]

        found = await self._redis.call("read failures", counts, [0] * len(keys))
        return any(count >= threshold for count, (_, threshold) in zip(found, keys, strict=True))
