"""The contract's order of checks: when a request fails several, the first one answers.

-2, then -1 (headers), then -16, then -1 (key/sign), then -30, -29, -31, then -22, then -25.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.api.support import (
    default_body,
    post,
    query,
    start_of_fresh_second,
    wrong_sign_headers,
)
from tests.conftest import Tenant
from tests.helpers import RunningServer, page_body, signed_headers

FORTY_DAY_WINDOW = page_body("2024-01-01T00:00:00Z", "2024-02-10T00:00:00Z")
STALE = 3600  # seconds: far outside the default tolerance


def test_locked_out_ip_with_a_valid_sign_gets_minus_2(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=1)
    assert post(server, wrong_sign_headers(tenant), json=default_body())["status"] == "-1"
    assert query(server, tenant)["status"] == "-2"


def test_denied_ip_with_missing_headers_gets_minus_2(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server(deny_ips=(ipaddress.ip_network("127.0.0.1"),))
    document = post(server, {"Content-Type": "application/json"}, json=default_body())
    assert document["status"] == "-2"


def test_missing_sign_with_stale_timestamp_gets_minus_1(
    tenant: Tenant, server: RunningServer
) -> None:
    headers = signed_headers(tenant.api_key, tenant.secret, start_of_fresh_second() - STALE)
    del headers["Sign"]
    assert post(server, headers, json=default_body())["status"] == "-1"


def test_wrong_sign_with_stale_timestamp_gets_minus_16(
    tenant: Tenant, server: RunningServer
) -> None:
    headers = signed_headers(tenant.api_key, tenant.secret, start_of_fresh_second() - STALE)
    headers["Sign"] = "f" * 32
    assert post(server, headers, json=default_body())["status"] == "-16"


def test_unknown_key_with_stale_timestamp_gets_minus_16(server: RunningServer) -> None:
    headers = signed_headers("NoSuchKy", "secret", start_of_fresh_second() - STALE)
    assert post(server, headers, json=default_body())["status"] == "-16"


@pytest.mark.parametrize("switch", ["key", "workspace", "whitelist"])
def test_wrong_sign_beats_key_workspace_and_whitelist(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer, switch: str
) -> None:
    tenant = make_tenant(allow_ips=["10.0.0.0/8"] if switch == "whitelist" else None)
    if switch == "key":
        accounts.set_key_enabled(engine, tenant.api_key, False)
    elif switch == "workspace":
        accounts.set_workspace_enabled(engine, tenant.workspace.name, False)
    assert post(server, wrong_sign_headers(tenant), json=default_body())["status"] == "-1"


def test_disabled_key_beats_disabled_workspace_and_whitelist(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenant = make_tenant(allow_ips=["10.0.0.0/8"])
    accounts.set_key_enabled(engine, tenant.api_key, False)
    accounts.set_workspace_enabled(engine, tenant.workspace.name, False)
    assert query(server, tenant)["status"] == "-30"


def test_disabled_workspace_beats_whitelist(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenant = make_tenant(allow_ips=["10.0.0.0/8"])
    accounts.set_workspace_enabled(engine, tenant.workspace.name, False)
    assert query(server, tenant)["status"] == "-29"


@pytest.mark.parametrize(
    "body",
    [{"current": 1}, "not an object", FORTY_DAY_WINDOW],
    ids=["missing-fields", "not-an-object", "too-long-window"],
)
def test_disabled_key_with_a_bad_body_gets_minus_30(
    engine: Engine, tenant: Tenant, server: RunningServer, body: object
) -> None:
    accounts.set_key_enabled(engine, tenant.api_key, False)
    assert query(server, tenant, body=body)["status"] == "-30"


def test_whitelist_miss_with_a_bad_body_gets_minus_31(
    make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenant = make_tenant(allow_ips=["10.0.0.0/8"])
    assert query(server, tenant, body={"size": 0})["status"] == "-31"


def test_wrong_sign_with_a_bad_content_type_gets_minus_1(
    tenant: Tenant, server: RunningServer
) -> None:
    headers = wrong_sign_headers(tenant)
    headers["Content-Type"] = "text/plain"
    assert post(server, headers, content=b"nonsense")["status"] == "-1"


@pytest.mark.parametrize(
    "body",
    [
        {**FORTY_DAY_WINDOW, "size": 0},
        {**FORTY_DAY_WINDOW, "current": "one"},
        page_body("2024-01-01T00:00:00Z", "2024-02-10T00:00:00"),
    ],
    ids=["size-zero", "current-not-integer", "endTime-without-offset"],
)
def test_bad_body_with_a_too_long_window_gets_minus_22(
    tenant: Tenant, server: RunningServer, body: object
) -> None:
    assert query(server, tenant, body=body)["status"] == "-22"


def test_reversed_window_longer_than_the_limit_gets_minus_22(
    tenant: Tenant, server: RunningServer
) -> None:
    body = page_body("2024-03-01T00:00:00Z", "2024-01-01T00:00:00Z")
    assert query(server, tenant, body=body)["status"] == "-22"
