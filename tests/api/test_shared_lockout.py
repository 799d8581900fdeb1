"""Lockout shared through Redis: earned on one server, enforced on another."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import redis

from callrec.api.lockout_redis import RedisFailureTracker
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, page_body, signed_headers

BODY = page_body("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")


def test_redis_failures_age_out_of_the_window(redis_url: str) -> None:
    now = [1000.0]
    tracker = RedisFailureTracker(
        redis.Redis.from_url(redis_url), 3, 60, f"test:{uuid.uuid4().hex}:", lambda: now[0]
    )
    for _ in range(3):
        tracker.record_failure("203.0.113.9")
        now[0] += 1
    assert tracker.is_locked_out("203.0.113.9")
    assert not tracker.is_locked_out("203.0.113.10")
    now[0] = 1000.0 + 60.5  # the first failure has left the window
    assert not tracker.is_locked_out("203.0.113.9")
    tracker.record_failure("203.0.113.9")
    assert tracker.is_locked_out("203.0.113.9")


def test_an_unreachable_redis_fails_open() -> None:
    tracker = RedisFailureTracker.from_url("redis://127.0.0.1:1/0", 1, 60)
    tracker.record_failure("203.0.113.9")
    assert not tracker.is_locked_out("203.0.113.9")


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
