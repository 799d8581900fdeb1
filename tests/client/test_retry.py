"""The retry policy, with network faults injected at the transport."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.client import (
    ApiError,
    Client,
    RateLimitedError,
    RetryPolicy,
    ServerSystemError,
    TimestampExpiredError,
    TransportError,
    UnexpectedResponseError,
)
from callrec.wire.sign import compute_sign
from tests.client.support import (
    FakeTime,
    ScriptedServer,
    WatchingTransport,
    empty_page,
    envelope,
    store,
)
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

DAY = ("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
# Waits of 1.5, 3, 6, 12 s with the jitter pinned at the middle: far enough apart that every
# attempt falls in a new second, so a fresh Timestamp is visible.
SLOW_BACKOFF = RetryPolicy(max_attempts=5, initial_delay=2.0, jitter=lambda: 0.5)


def _request() -> httpx.Request:
    return httpx.Request("POST", "https://api.laaffic.com/v3/number/record/queryPage")


def _client(scripted: ScriptedServer, fake: FakeTime, retry: RetryPolicy = SLOW_BACKOFF) -> Client:
    return Client(
        "key1", "secret1", transport=scripted.transport(), retry=retry,
        clock=fake.time, sleep=fake.sleep,
    )  # fmt: skip


def test_faults_are_retried_and_every_attempt_is_signed_afresh() -> None:
    scripted = ScriptedServer([
        httpx.ConnectError("connection refused", request=_request()),
        httpx.Response(502, text="bad gateway"),
        httpx.ReadTimeout("timed out", request=_request()),
        envelope("-18", "system error (request id 1234)"),
        empty_page(),
    ])  # fmt: skip
    fake = FakeTime()
    page = _client(scripted, fake).query_page(*DAY)
    assert page.total == 0
    assert len(scripted.requests) == 5
    assert fake.sleeps == [1.5, 3.0, 6.0, 12.0]
    timestamps = [request.headers["Timestamp"] for request in scripted.requests]
    assert timestamps == ["1700000000", "1700000001", "1700000004", "1700000010", "1700000022"]
    for request in scripted.requests:
        assert request.headers["Sign"] == compute_sign(
            "key1", "secret1", request.headers["Timestamp"]
        )
    assert len({request.headers["Sign"] for request in scripted.requests}) == 5
    assert len({request.content for request in scripted.requests}) == 1  # same question


@pytest.mark.parametrize(
    ("fault", "raised"),
    [
        (httpx.ConnectError("refused", request=_request()), TransportError),
        (httpx.ConnectTimeout("timed out", request=_request()), TransportError),
        (httpx.ReadTimeout("timed out", request=_request()), TransportError),
        (httpx.RemoteProtocolError("server disconnected", request=_request()), TransportError),
        (httpx.Response(502, text="bad gateway"), UnexpectedResponseError),
        (httpx.Response(503, text="unavailable"), UnexpectedResponseError),
        (envelope("-18", "system error"), ServerSystemError),
        (envelope("-15", "query too frequently"), RateLimitedError),
    ],
)
def test_a_fault_that_persists_is_raised_after_the_last_attempt(
    fault: BaseException | httpx.Response, raised: type[ApiError]
) -> None:
    scripted = ScriptedServer([fault])
    fake = FakeTime()
    with pytest.raises(raised) as caught:
        _client(scripted, fake, RetryPolicy(max_attempts=3, jitter=lambda: 0.0)).query_page(*DAY)
    assert len(scripted.requests) == 3
    assert caught.value.attempts == 3
    assert fake.sleeps == [0.25, 0.5]  # the lower half of 0.5 s, then of 1 s


@pytest.mark.parametrize(
    "answer",
    [
        envelope("-1", "authentication failed"),
        envelope("-2", "IP restricted"),
        envelope("-22", "size must be an integer from 1 to 100"),
        envelope("-25", "the window exceeds 31 days"),
        envelope("-29", "workspace disabled"),
        envelope("-30", "API key disabled"),
        envelope("-31", "IP not in the API key's whitelist"),
        envelope("-99", "a code nobody knows"),
        httpx.Response(404, text="not found"),
    ],
)
def test_answers_that_will_not_change_are_never_retried(
    answer: dict[str, str] | httpx.Response,
) -> None:
    scripted = ScriptedServer([answer, empty_page()])
    fake = FakeTime()
    with pytest.raises(ApiError):
        _client(scripted, fake).query_page(*DAY)
    assert len(scripted.requests) == 1
    assert fake.sleeps == []


def test_waits_grow_exponentially_with_jitter_up_to_the_cap() -> None:
    draws = iter([0.0, 0.99, 0.5, 0.0, 0.99, 0.3])
    policy = RetryPolicy(
        initial_delay=1.0, multiplier=2.0, max_delay=8.0, jitter=lambda: next(draws)
    )
    waits = [policy.delay(retry) for retry in range(1, 7)]
    ceilings = [1, 2, 4, 8, 8, 8]
    for wait, ceiling in zip(waits, ceilings, strict=True):
        assert ceiling / 2 <= wait <= ceiling
    assert waits[:2] == [0.5, 1.99]
    assert len(set(waits)) == 6  # jitter: no two waits alike


def test_the_clock_offset_is_learned_from_the_date_header_and_the_request_retried_once() -> None:
    fake = FakeTime(now=1_700_000_000.0)
    server_now = fake.now + 5000  # this machine's clock is 5000 s slow
    expired = httpx.Response(
        200,
        json=envelope("-16", "Timestamp is more than 1800 seconds from the server's time"),
        headers={"Date": formatdate(server_now, usegmt=True)},
    )
    scripted = ScriptedServer([expired, empty_page(), empty_page()])
    client = _client(scripted, fake)
    client.query_page(*DAY)
    first, second = scripted.requests
    assert first.headers["Timestamp"] == "1700000000"
    assert second.headers["Timestamp"] == str(int(server_now))
    assert second.headers["Sign"] == compute_sign("key1", "secret1", str(int(server_now)))
    assert fake.sleeps == []
    client.query_page(*DAY)  # the learned offset stays
    assert scripted.requests[2].headers["Timestamp"] == str(int(server_now))


def test_a_second_timestamp_expired_is_raised() -> None:
    expired = httpx.Response(
        200, json=envelope("-16", "expired"), headers={"Date": formatdate(usegmt=True)}
    )
    scripted = ScriptedServer([expired])
    with pytest.raises(TimestampExpiredError):
        _client(scripted, FakeTime()).query_page(*DAY)
    assert len(scripted.requests) == 2


def test_without_a_date_header_timestamp_expired_is_raised_at_once() -> None:
    scripted = ScriptedServer([envelope("-16", "expired"), empty_page()])
    with pytest.raises(TimestampExpiredError):
        _client(scripted, FakeTime()).query_page(*DAY)
    assert len(scripted.requests) == 1


def test_a_slow_clock_is_corrected_against_the_real_server(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [make_record("c1", "2024-01-01T09:00:00Z")])
    watcher = WatchingTransport()
    with Client(
        tenant.api_key, tenant.secret, base_url=server.base_url, transport=watcher,
        clock=lambda: time.time() - 5000,
    ) as client:  # fmt: skip
        page = client.query_page(*DAY)
    assert [r.callid for r in page.records] == ["c1"]
    assert [a["status"] for a in watcher.answers] == ["-16", "0"]
    assert abs(client.clock_offset - 5000) < 5


def test_faults_before_the_real_server_are_retried_with_fresh_signs(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(engine, tenant, [make_record("c1", "2024-01-01T09:00:00Z")])
    faults = [
        httpx.ConnectError("refused", request=_request()),
        httpx.ReadTimeout("timed out", request=_request()),
    ]
    watcher = WatchingTransport(faults=faults)
    sleeps: list[float] = []
    with Client(
        tenant.api_key, tenant.secret, base_url=server.base_url, transport=watcher,
        sleep=sleeps.append,
    ) as client:  # fmt: skip
        page = client.query_page(*DAY)
    assert [r.callid for r in page.records] == ["c1"]
    assert len(watcher.requests) == 3
    assert len(sleeps) == 2
    for request in watcher.requests:
        expected = compute_sign(tenant.api_key, tenant.secret, request.headers["Timestamp"])
        assert request.headers["Sign"] == expected


@pytest.fixture
def silent_listener() -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP port that accepts connections and never answers: every read times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_real_read_timeouts_are_retried_then_raised(
    silent_listener: tuple[str, list[socket.socket]],
) -> None:
    base_url, accepted = silent_listener
    sleeps: list[float] = []
    client = Client(
        "k", "s", base_url=base_url, timeout=0.2, sleep=sleeps.append,
        retry=RetryPolicy(max_attempts=3),
    )  # fmt: skip
    with pytest.raises(TransportError, match="ReadTimeout") as caught:
        client.query_page(*DAY)
    assert caught.value.attempts == 3
    assert len(sleeps) == 2
    assert len(accepted) == 3


def test_a_real_refused_connection_is_retried_then_raised(unused_port: int) -> None:
    sleeps: list[float] = []
    client = Client(
        "k", "s", base_url=f"http://127.0.0.1:{unused_port}", sleep=sleeps.append,
        retry=RetryPolicy(max_attempts=4),
    )  # fmt: skip
    with pytest.raises(TransportError, match="ConnectError") as caught:
        client.query_page(*DAY)
    assert caught.value.attempts == 4
    assert len(sleeps) == 3
