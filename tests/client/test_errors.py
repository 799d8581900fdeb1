"""Every status code of the contract, provoked on the real server, raises its own exception."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from callrec.client import (
    ERRORS_BY_STATUS,
    NO_RETRIES,
    ApiError,
    AuthenticationError,
    Client,
    IpNotWhitelistedError,
    IpRestrictedError,
    KeyDisabledError,
    ParameterError,
    RetryPolicy,
    ServerSystemError,
    TimeRangeError,
    TimestampExpiredError,
    TransportError,
    UnexpectedResponseError,
    WorkspaceDisabledError,
)
from callrec.settings import parse_networks
from callrec.store import accounts
from callrec.wire.status import Status
from tests.client.support import ScriptedServer, envelope, store
from tests.conftest import Tenant
from tests.helpers import RunningServer, make_record

DAY_START, DAY_END = "2024-01-01T00:00:00+08:00", "2024-01-02T00:00:00+08:00"


def test_every_contract_status_has_its_own_subclass() -> None:
    failures = {status.value for status in Status if status is not Status.SUCCESS}
    assert set(ERRORS_BY_STATUS) == failures
    assert len(set(ERRORS_BY_STATUS.values())) == len(failures)
    for status, cls in ERRORS_BY_STATUS.items():
        assert issubclass(cls, ApiError)
        assert cls is not ApiError
        assert cls.status_code == status


@dataclass(frozen=True)
class World:
    engine: Engine
    tenant: Tenant
    make_tenant: Callable[..., Tenant]
    start_server: Callable[..., RunningServer]


def _client(server: RunningServer, tenant: Tenant, **kwargs: Any) -> Client:
    kwargs.setdefault("retry", NO_RETRIES)
    return Client(tenant.api_key, tenant.secret, base_url=server.base_url, **kwargs)


def _wrong_secret(w: World) -> object:
    client = Client(w.tenant.api_key, "not-the-secret", base_url=w.start_server().base_url)
    return client.query_page(DAY_START, DAY_END)


def _denied_ip(w: World) -> object:
    server = w.start_server(deny_ips=parse_networks("127.0.0.1", "deny"))
    return _client(server, w.tenant).query_page(DAY_START, DAY_END)


def _clock_two_hours_slow(w: World) -> object:
    client = _client(w.start_server(), w.tenant, clock=lambda: time.time() - 7200)
    return client.query_page(DAY_START, DAY_END)


def _broken_database(w: World) -> object:
    server = w.start_server()
    store(w.engine, w.tenant, [make_record("c1", "2024-01-01T09:00:00+08:00")])
    # The record's table goes away under the running server: reading the page fails.
    with w.engine.begin() as conn:
        conn.execute(text("ALTER TABLE call_records RENAME TO call_records_gone"))
    return _client(server, w.tenant).query_page(DAY_START, DAY_END)


def _page_too_large(w: World) -> object:
    return _client(w.start_server(), w.tenant).query_page(DAY_START, DAY_END, size=101)


def _window_of_40_days(w: World) -> object:
    return _client(w.start_server(), w.tenant).query_page(DAY_START, "2024-02-10T00:00:00+08:00")


def _workspace_disabled(w: World) -> object:
    accounts.set_workspace_enabled(w.engine, w.tenant.workspace.name, False)
    return _client(w.start_server(), w.tenant).query_page(DAY_START, DAY_END)


def _key_disabled(w: World) -> object:
    accounts.set_key_enabled(w.engine, w.tenant.api_key, False)
    return _client(w.start_server(), w.tenant).query_page(DAY_START, DAY_END)


def _not_whitelisted(w: World) -> object:
    fenced = w.make_tenant("fenced", allow_ips=["10.0.0.0/8"])
    return _client(w.start_server(), fenced).query_page(DAY_START, DAY_END)


@pytest.mark.parametrize(
    ("scenario", "expected", "status"),
    [
        (_wrong_secret, AuthenticationError, "-1"),
        (_denied_ip, IpRestrictedError, "-2"),
        (_clock_two_hours_slow, TimestampExpiredError, "-16"),
        (_broken_database, ServerSystemError, "-18"),
        (_page_too_large, ParameterError, "-22"),
        (_window_of_40_days, TimeRangeError, "-25"),
        (_workspace_disabled, WorkspaceDisabledError, "-29"),
        (_key_disabled, KeyDisabledError, "-30"),
        (_not_whitelisted, IpNotWhitelistedError, "-31"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_status_from_the_real_server_raises_its_exception(
    engine: Engine,
    tenant: Tenant,
    make_tenant: Callable[..., Tenant],
    start_server: Callable[..., RunningServer],
    scenario: Callable[[World], object],
    expected: type[ApiError],
    status: str,
) -> None:
    with pytest.raises(expected) as caught:
        scenario(World(engine, tenant, make_tenant, start_server))
    assert type(caught.value) is expected
    assert caught.value.status == status
    assert caught.value.reason
    assert str(caught.value).startswith(f"{status}: ")
    response = caught.value.response
    assert isinstance(response, httpx.Response)
    assert response.status_code == 200  # the contract's statuses all travel in HTTP 200
    assert response.json()["status"] == status


def test_a_status_the_contract_does_not_know_raises_the_base_error() -> None:
    scripted = ScriptedServer([envelope("-99", "something new")])
    client = Client("k", "s", transport=scripted.transport(), retry=NO_RETRIES)
    with pytest.raises(ApiError) as caught:
        client.query_page(DAY_START, DAY_END)
    assert type(caught.value) is ApiError
    assert (caught.value.status, caught.value.reason) == ("-99", "something new")


@pytest.mark.parametrize(
    ("response", "problem"),
    [
        (httpx.Response(404, text="<html>not found</html>"), "HTTP 404"),
        (httpx.Response(200, text="<html>a login page</html>"), "not JSON"),
        (httpx.Response(200, json={"data": {}}), "no status"),
        (httpx.Response(200, json=envelope("0", "success", {"total": 1})), "size"),
    ],
)
def test_an_answer_that_is_not_an_envelope_is_an_unexpected_response(
    response: httpx.Response, problem: str
) -> None:
    client = Client("k", "s", transport=ScriptedServer([response]).transport(), retry=NO_RETRIES)
    with pytest.raises(UnexpectedResponseError, match=problem) as caught:
        client.query_page(DAY_START, DAY_END)
    assert caught.value.status is None
    assert caught.value.http_status == response.status_code


def test_a_refused_connection_is_a_transport_error(unused_port: int) -> None:
    client = Client(
        "k", "s", base_url=f"http://127.0.0.1:{unused_port}", retry=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(TransportError, match="ConnectError") as caught:
        client.query_page(DAY_START, DAY_END)
    assert caught.value.status is None
    assert caught.value.transient
    assert isinstance(caught.value, ApiError)
