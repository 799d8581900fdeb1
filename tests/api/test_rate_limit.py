"""``-15``: a token bucket per API key, checked only after the sign is verified.

In memory per process, or shared through Redis (one atomic Lua script) across servers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from callrec.api.rate_limit import MemoryTokenBuckets, RateLimit
from callrec.api.rate_limit_redis import RedisTokenBuckets
from callrec.api.redis_guarded import GuardedRedis
from tests.api.support import default_body, ok_data, post, query, wrong_sign_headers
from tests.conftest import Tenant
from tests.helpers import ManualClock, RunningServer

THROTTLED = {"status": "-15", "reason": "query too frequently"}
NO_LOCKOUT = {"lockout_failures": 1000, "lockout_key_failures": 1000}


def _limited(
    start_server: Callable[..., RunningServer], clock: ManualClock, **extra: object
) -> RunningServer:
    return start_server(
        rate_limit_per_minute=60, rate_limit_burst=3, clock=clock, **NO_LOCKOUT, **extra
    )


def test_a_key_gets_its_burst_then_minus_15_then_one_request_per_refill(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    clock = ManualClock()
    server = _limited(start_server, clock)
    for _ in range(3):
        ok_data(query(server, tenant))
    assert query(server, tenant) == THROTTLED
    clock.advance(1)  # 60 a minute: one token a second
    ok_data(query(server, tenant))
    assert query(server, tenant) == THROTTLED
    assert server.state.guard.limiter.rejected == 2


def test_strangers_cannot_spend_a_customers_requests(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = _limited(start_server, ManualClock())
    for _ in range(10):
        assert post(server, wrong_sign_headers(tenant), json=default_body())["status"] == "-1"
    for _ in range(3):
        ok_data(query(server, tenant))


def test_each_key_has_its_own_bucket(
    make_tenant: Callable[..., Tenant], start_server: Callable[..., RunningServer]
) -> None:
    busy, quiet = make_tenant(), make_tenant()
    server = _limited(start_server, ManualClock())
    for _ in range(3):
        ok_data(query(server, busy))
    assert query(server, busy) == THROTTLED
    ok_data(query(server, quiet))


def test_minus_15_comes_before_the_bodys_verdict(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = _limited(start_server, ManualClock())
    for _ in range(3):
        assert query(server, tenant, body={"current": 0})["status"] == "-22"
    assert query(server, tenant, body={"current": 0}) == THROTTLED


def test_no_limit_by_default(tenant: Tenant, server: RunningServer) -> None:
    for _ in range(15):
        ok_data(query(server, tenant))
    assert server.state.guard.limiter.rejected == 0


def test_a_bucket_shared_through_redis_spends_each_token_once_across_servers(
    redis_url: str, tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    clock = ManualClock()  # held still: no token comes back during the test
    shared = {"redis_url": redis_url, "redis_prefix": f"test:{uuid.uuid4().hex}:"}
    servers = [
        start_server(
            rate_limit_per_minute=60, rate_limit_burst=5, clock=clock, **NO_LOCKOUT, **shared
        )
        for _ in range(2)
    ]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: query(servers[n % 2], tenant)["status"], range(16)))
    assert sorted(answers) == ["-15"] * 11 + ["0"] * 5
    clock.advance(1)
    assert query(servers[1], tenant)["status"] == "0"
    assert query(servers[0], tenant) == THROTTLED


def test_memory_buckets_refill_up_to_the_burst_and_no_further() -> None:
    clock = ManualClock(1000)
    buckets = MemoryTokenBuckets(RateLimit(per_minute=120, burst=2), clock)

    async def takes(count: int) -> list[bool]:
        return [await buckets.take("key") for _ in range(count)]

    assert asyncio.run(takes(3)) == [True, True, False]
    clock.advance(0.5)  # two a second: one token back
    assert asyncio.run(takes(2)) == [True, False]
    clock.advance(3600)  # a long pause refills to the burst, not beyond
    assert asyncio.run(takes(3)) == [True, True, False]


def test_redis_buckets_refill_up_to_the_burst_and_no_further(redis_url: str) -> None:
    clock = ManualClock(1000)

    async def scenario() -> list[bool]:
        redis = GuardedRedis.from_url(redis_url, 1.0, 30, f"test:{uuid.uuid4().hex}:", clock)
        buckets = RedisTokenBuckets(redis, RateLimit(per_minute=120, burst=2), clock)
        seen = [await buckets.take("key") for _ in range(3)]
        clock.advance(0.5)
        seen += [await buckets.take("key") for _ in range(2)]
        clock.advance(3600)
        seen += [await buckets.take("key") for _ in range(3)]
        seen.append(await buckets.take("other key"))
        await redis.aclose()
        return seen

    assert asyncio.run(scenario()) == [True, True, False, True, False, True, True, False, True]
