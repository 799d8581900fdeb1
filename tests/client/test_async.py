"""``AsyncClient`` has ``Client``'s methods and behaviour, awaited."""

from __future__ import annotations

import asyncio
import inspect
from datetime import timedelta
from decimal import Decimal
from email.utils import formatdate

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    ParameterError,
    Record,
    RetryPolicy,
    TransportError,
)
from callrec.wire.sign import compute_sign
from tests.client.support import FakeTime, ScriptedServer, empty_page, envelope, eur_record, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

START, END = "2024-01-01T00:00:00-03:00", "2024-03-11T00:00:00-03:00"  # 70 days: three windows
START_AND_DAY = ("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")


def test_the_async_client_has_the_same_public_methods() -> None:
    def public(cls: type) -> set[str]:
        return {name for name in vars(cls) if not name.startswith("_")}

    assert public(Client) - {"close"} == public(AsyncClient) - {"aclose"}
    for name in ("query_page", "count", "iter_records"):
        sync_params = inspect.signature(getattr(Client, name)).parameters
        async_params = inspect.signature(getattr(AsyncClient, name)).parameters
        assert list(sync_params) == list(async_params)


def test_it_walks_a_long_window_like_the_blocking_client(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    store(
        engine,
        tenant,
        [eur_record(f"c{i:03}", f"2024-01-{1 + i % 28:02}T12:00:00Z") for i in range(60)],
    )
    store(
        engine,
        tenant,
        [make_record(f"m{i:03}", f"2024-03-{1 + i % 9:02}T23:00:00-03:00") for i in range(30)],
    )

    async def walk() -> tuple[list[Record], int, Decimal]:
        async with AsyncClient(tenant.api_key, tenant.secret, base_url=server.base_url) as client:
            records = [record async for record in client.iter_records(START, END, size=9)]
            count = await client.count(START, END)
            page = await client.query_page(START, "2024-01-02T00:00:00-03:00")
            return records, count, page.records[0].pay

    records, count, pay = asyncio.run(walk())
    with Client(tenant.api_key, tenant.secret, base_url=server.base_url) as client:
        expected = list(client.iter_records(START, END, size=9))
    assert [r.callid for r in records] == [r.callid for r in expected]
    assert len(records) == count == 90
    assert pay == Decimal("0.025600")
    assert {r.start_time.utcoffset() for r in records} == {timedelta(hours=-3)}


def test_statuses_map_to_the_same_exceptions(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    async def ask(secret: str, size: int) -> None:
        async with AsyncClient(tenant.api_key, secret, base_url=server.base_url) as client:
            await client.query_page(START, "2024-01-02T00:00:00-03:00", size=size)

    with pytest.raises(AuthenticationError):
        asyncio.run(ask("wrong", 10))
    with pytest.raises(ParameterError):
        asyncio.run(ask(tenant.secret, 0))


def _request() -> httpx.Request:
    return httpx.Request("POST", "https://api.laaffic.com/v3/number/record/queryPage")


def test_faults_are_retried_with_awaited_backoff_and_fresh_signs() -> None:
    scripted = ScriptedServer([
        httpx.ConnectError("refused", request=_request()),
        httpx.Response(502),
        envelope("-18", "system error"),
        empty_page(),
    ])  # fmt: skip
    fake = FakeTime()

    async def ask() -> None:
        async with AsyncClient(
            "k", "s", transport=scripted.transport(), clock=fake.time, sleep=fake.async_sleep,
            retry=RetryPolicy(initial_delay=2.0, jitter=lambda: 0.5),
        ) as client:  # fmt: skip
            await client.query_page(*START_AND_DAY)

    asyncio.run(ask())
    assert fake.sleeps == [1.5, 3.0, 6.0]
    timestamps = [r.headers["Timestamp"] for r in scripted.requests]
    assert timestamps == ["1700000000", "1700000001", "1700000004", "1700000010"]
    assert all(
        r.headers["Sign"] == compute_sign("k", "s", r.headers["Timestamp"])
        for r in scripted.requests
    )


def test_a_persistent_fault_is_raised_after_the_last_attempt() -> None:
    scripted = ScriptedServer([httpx.ReadTimeout("timed out", request=_request())])
    fake = FakeTime()

    async def ask() -> None:
        async with AsyncClient(
            "k", "s", transport=scripted.transport(), sleep=fake.async_sleep,
            retry=RetryPolicy(max_attempts=2),
        ) as client:  # fmt: skip
            await client.query_page(*START_AND_DAY)

    with pytest.raises(TransportError):
        asyncio.run(ask())
    assert len(scripted.requests) == 2


def test_the_clock_is_corrected_once_from_the_date_header() -> None:
    fake = FakeTime()
    expired = httpx.Response(
        200,
        json=envelope("-16", "expired"),
        headers={"Date": formatdate(fake.now - 4000, usegmt=True)},
    )
    scripted = ScriptedServer([expired, empty_page()])

    async def ask() -> None:
        async with AsyncClient("k", "s", transport=scripted.transport(), clock=fake.time) as client:
            await client.query_page(*START_AND_DAY)

    asyncio.run(ask())
    assert [r.headers["Timestamp"] for r in scripted.requests] == ["1700000000", "1699996000"]
