"""``GET /readyz``: 200 when the database answers, degraded (still 200) when Redis does not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from callrec.api.database import DatabaseRunner
from callrec.api.readiness import readiness
from callrec.store import make_engine
from tests.api.hung_peer import HungPeer
from tests.helpers import RunningServer


def test_ready_without_redis_reports_the_database(server: RunningServer) -> None:
    with server.client() as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


def test_ready_with_redis_reports_it_and_its_breaker(
    redis_url: str, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(redis_url=redis_url)
    with server.client() as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "redisBreaker": "closed",
    }


def test_a_hung_redis_is_degraded_not_down_and_the_breaker_shows_open(
    start_server: Callable[..., RunningServer],
) -> None:
    with HungPeer() as peer:
        server = start_server(redis_url=peer.url, redis_timeout_ms=50)
        with server.client() as client:
            answers = [client.get("/readyz") for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4
    first, last = answers[0].json(), answers[-1].json()
    assert first["status"] == "degraded"
    assert first["database"] == "ok"
    assert first["redis"].startswith("unreachable")
    # Three failures in a row open the breaker; later probes do not wait on the hung peer.
    assert last["redisBreaker"] == "open"
    assert last["status"] == "degraded"


def test_an_unreachable_database_is_503() -> None:
    # A real engine whose server is not there: nothing listens on port 1 of loopback.
    database = DatabaseRunner(make_engine("postgresql://root@127.0.0.1:1/test?connect_timeout=1"))
    try:
        status, report = asyncio.run(readiness(database, None))
    finally:
        database.close()
    assert status == 503
    assert report == {"status": "error", "database": "unreachable"}
