"""A Redis that accepts connections and never answers: requests must not wait on each other.

Redis calls run on the event loop without blocking it, each under a short timeout, behind a
circuit breaker that stops calling a Redis that keeps failing; the lockout fails open.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from callrec.api.breaker import FAILURES_TO_OPEN, BreakerState
from tests.api.hung_peer import HungPeer
from tests.api.support import query, wrong_sign_headers
from tests.conftest import Tenant
from tests.helpers import ManualClock, RunningServer

CONCURRENT = 5


def test_requests_waiting_on_a_hung_redis_leave_the_event_loop_free(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    with HungPeer() as peer:
        # A long timeout, so the requests are still waiting when /healthz is asked.
        server = start_server(redis_url=peer.url, redis_timeout_ms=8000)
        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = [pool.submit(query, server, tenant) for _ in range(CONCURRENT)]
            # A blocking call would hold the loop: Redis would never see two at once.
            assert peer.wait_for_open(CONCURRENT), f"only {peer.open} Redis calls at once"
            with server.client() as http:
                health = http.get("/healthz")
            assert health.status_code == 200
            assert peer.open >= CONCURRENT, "the requests were no longer waiting on Redis"
            statuses = [answer.result(timeout=60)["status"] for answer in answers]
    assert statuses == ["0"] * CONCURRENT  # the lockout fails open


def test_the_breaker_opens_and_stops_calling_a_hung_redis(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    clock = ManualClock()
    with HungPeer() as peer:
        server = start_server(redis_url=peer.url, redis_timeout_ms=50, clock=clock)
        assert server.state.guard.redis_breaker.state is BreakerState.CLOSED
        statuses = [query(server, tenant)["status"] for _ in range(FAILURES_TO_OPEN + 10)]
        assert statuses == ["0"] * (FAILURES_TO_OPEN + 10)
        assert peer.accepted == FAILURES_TO_OPEN
        assert server.state.guard.redis_breaker.state is BreakerState.OPEN

        # Failures are not recorded while it is open either.
        with server.client() as http:
            http.post("/v3/number/record/queryPage", headers=wrong_sign_headers(tenant), json={})
        assert peer.accepted == FAILURES_TO_OPEN

        # After the cool-down one request tries Redis again; it still hangs, so it re-opens.
        clock.advance(server.state.settings.redis_breaker_seconds + 1)
        assert server.state.guard.redis_breaker.state is BreakerState.HALF_OPEN
        assert [query(server, tenant)["status"] for _ in range(5)] == ["0"] * 5
        assert peer.accepted == FAILURES_TO_OPEN + 1
        assert server.state.guard.redis_breaker.state is BreakerState.OPEN


def test_the_breaker_closes_again_when_redis_answers(
    redis_url: str, tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    clock = ManualClock()
    server = start_server(redis_url=redis_url, clock=clock, lockout_failures=1)
    breaker = server.state.guard.redis_breaker
    for _ in range(FAILURES_TO_OPEN):
        breaker.failed()
    assert breaker.state is BreakerState.OPEN
    clock.advance(server.state.settings.redis_breaker_seconds + 1)
    assert query(server, tenant)["status"] == "0"
    assert breaker.state is BreakerState.CLOSED
