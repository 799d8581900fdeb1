"""Lockout shared through Redis: earned on one server, enforced on another."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import Callable

import httpx

from callrec.api.lockout import LockoutSubjects, LockoutThresholds, lockout_subjects
from callrec.api.lockout_redis import RedisFailureTracker
from callrec.api.redis_guarded import GuardedRedis
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, ManualClock, RunningServer, page_body, signed_headers

BODY = page_body("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")


def _tracker(url: str, thresholds: LockoutThresholds, clock: ManualClock) -> RedisFailureTracker:
    redis = GuardedRedis.from_url(url, 1.0, 30, f"test:{uuid.uuid4().hex}:", clock)
    return RedisFailureTracker(redis, thresholds, clock)


def _subjects(ip: str, api_key: str | None = None) -> LockoutSubjects:
    return lockout_subjects(ipaddress.ip_address(ip), api_key)


def test_redis_failures_age_out_of_the_window(redis_url: str) -> None:
    clock = ManualClock(1000)
    tracker = _tracker(redis_url, LockoutThresholds(3, 3, 60), clock)

    async def scenario() -> list[bool]:
        for _ in range(3):
            await tracker.record_failure(_subjects("203.0.113.9"))
            clock.advance(1)
        seen = [
            await tracker.is_locked_out(_subjects("203.0.113.9")),
            await tracker.is_locked_out(_subjects("203.0.113.10")),
        ]
        clock.now = 1000.0 + 60.5  # the first failure has left the window
        seen.append(await tracker.is_locked_out(_subjects("203.0.113.9")))
        await tracker.record_failure(_subjects("203.0.113.9"))
        seen.append(await tracker.is_locked_out(_subjects("203.0.113.9")))
        return seen

    assert asyncio.run(scenario()) == [True, False, False, True]


def test_redis_counts_a_key_and_an_ipv6_64_apart(redis_url: str) -> None:
    tracker = _tracker(redis_url, LockoutThresholds(4, 2, 60), ManualClock(1000))

    async def scenario() -> list[bool]:
        for _ in range(2):
            await tracker.record_failure(_subjects("2001:db8::1", "key-1"))
        seen = [
            await tracker.is_locked_out(_subjects("2001:db8::2", "key-1")),
            await tracker.is_locked_out(_subjects("2001:db8::2", "key-2")),
        ]
        await tracker.record_failure(_subjects("2001:db8::3", "key-2"))
        await tracker.record_failure(_subjects("2001:db8::4"))
        seen.append(await tracker.is_locked_out(_subjects("2001:db8::5", "key-3")))
        seen.append(await tracker.is_locked_out(_subjects("2001:db8:0:1::5", "key-1")))
        return seen

    assert asyncio.run(scenario()) == [True, False, True, False]


def test_an_unreachable_redis_fails_open() -> None:
    tracker = _tracker("redis://127.0.0.1:1/0", LockoutThresholds(1, 1, 60), ManualClock(1000))

    async def scenario() -> bool:
        await tracker.record_failure(_subjects("203.0.113.9"))
        return await tracker.is_locked_out(_subjects("203.0.113.9"))

    assert asyncio.run(scenario()) is False


def test_a_lockout_earned_on_one_server_is_enforced_on_another(
    redis_url: str, tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    shared = {
        "redis_url": redis_url,
        "redis_prefix": f"test:{uuid.uuid4().hex}:",
        "lockout_failures": 3,
    }
    first, second = start_server(**shared), start_server(**shared)
    good = signed_headers(tenant.api_key, tenant.secret)
    bad = {**good, "Sign": "0" * 32}
    with httpx.Client(timeout=10) as http:
        assert (
            http.post(second.base_url + QUERY_PAGE, headers=good, json=BODY).json()["status"] == "0"
        )
        for _ in range(3):
            answer = http.post(first.base_url + QUERY_PAGE, headers=bad, json=BODY).json()
            assert answer["status"] == "-1"
        assert http.post(second.base_url + QUERY_PAGE, headers=good, json=BODY).json() == {
            "status": "-2",
            "reason": "IP restricted",
        }
