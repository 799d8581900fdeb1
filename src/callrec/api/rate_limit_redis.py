"""Token buckets in Redis, shared by every server process and machine.

One Lua script refills and takes in a single atomic step, so concurrent requests on several
workers never spend the same token twice. If Redis is unavailable the limit fails open.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import redis.asyncio as aioredis

from callrec.api.rate_limit import RateLimit
from callrec.api.redis_guarded import GuardedRedis

# KEYS[1] bucket; ARGV: tokens per second, burst, now (seconds). Returns 1 to admit, 0 not.
TAKE_TOKEN = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1]) or burst
local at = tonumber(saved[2]) or now
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local admitted = 0
if tokens >= 1 then
  tokens = tokens - 1
  admitted = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return admitted
"""


class RedisTokenBuckets:
    def __init__(
        self, redis: GuardedRedis, limit: RateLimit, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._prefix = redis.prefix + "rate:"
        self._limit = limit
        self._clock = clock
        self._script = redis.client.register_script(TAKE_TOKEN)

    async def take(self, api_key: str) -> bool:
        digest = hashlib.sha256(api_key.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        arguments = [repr(self._limit.tokens_per_second), self._limit.burst, repr(self._clock())]

        async def take(_: aioredis.Redis) -> bool:
            admitted = await self._script(keys=[self._prefix + digest], args=arguments)
            return bool(int(admitted))

        return await self._redis.call("take a rate-limit token", take, True)
