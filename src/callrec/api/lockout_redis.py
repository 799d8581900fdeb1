"""Failure counts in Redis, so every server process and machine enforces the same lockout."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

import redis

log = logging.getLogger("callrec.api")


class RedisFailureTracker:
    """A sorted set per IP: members are failures, scores their times.

    If Redis cannot be reached the tracker fails open (no lockout, a warning in the log):
    the lockout protects against guessing, and an outage of its store should not take the
    query API down with it. Signatures are still verified on every request.
    """

    def __init__(
        self,
        client: redis.Redis,
        max_failures: int,
        window_seconds: float,
        key_prefix: str = "callrec:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = client
        self._prefix = key_prefix + "lockout:"
        self._max_failures = max_failures
        self._window = window_seconds
        self._clock = clock

    @classmethod
    def from_url(
        cls, url: str, max_failures: int, window_seconds: float, key_prefix: str = "callrec:"
    ) -> RedisFailureTracker:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, max_failures, window_seconds, key_prefix)

    def record_failure(self, ip: str) -> None:
        now = self._clock()
        key = self._prefix + ip
        try:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(key, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
                pipe.zremrangebyscore(key, "-inf", now - self._window)
                pipe.expire(key, int(self._window) + 1)
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("lockout: cannot record a failure in Redis: %s", exc)

    def is_locked_out(self, ip: str) -> bool:
        now = self._clock()
        key = self._prefix + ip
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.zcount(key, now - self._window, "+inf")
                (count,) = pipe.execute()
        except redis.RedisError as exc:
            log.warning("lockout: cannot read failures from Redis: %s", exc)
            return False
        return int(count) >= self._max_failures

    def close(self) -> None:
        self._redis.close()
