"""Who the caller is: key whitelists (``-31``) over IPv4 and IPv6, and X-Forwarded-For, which
is believed only from a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine

from callrec.settings import Settings
from tests.api.support import (
    default_body,
    ok_data,
    post,
    query,
    wrong_sign_headers,
)
from tests.conftest import Tenant
from tests.helpers import RunningServer, missing_prerequisite, run_server

OTHER_LOOPBACK = "127.0.0.2"
FORWARDED_CLIENT = "203.0.113.7"
OTHER_FORWARDED_CLIENT = "203.0.113.8"
LOOPBACK_PROXY = (ipaddress.ip_network("127.0.0.1/32"),)


@pytest.mark.parametrize(
    ("allow_ips", "status"),
    [
        (["127.0.0.1"], "0"),
        (["127.0.0.0/8"], "0"),
        (["10.0.0.0/8", "127.0.0.1/32"], "0"),
        (["127.0.0.2/32"], "-31"),
        (["10.0.0.0/8"], "-31"),
        (["::1/128"], "-31"),
    ],
    ids=["address", "network", "second-entry", "neighbour", "other-network", "ipv6-only"],
)
def test_ipv4_caller_against_key_whitelist(
    make_tenant: Callable[..., Tenant],
    server: RunningServer,
    allow_ips: list[str],
    status: str,
) -> None:
    tenant = make_tenant(allow_ips=allow_ips)
    document = query(server, tenant)
    assert document["status"] == status, document


def test_whitelist_admits_the_listed_address_and_refuses_its_neighbour(
    make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenant = make_tenant(allow_ips=[f"{OTHER_LOOPBACK}/32"])
    ok_data(query(server, tenant, local_address=OTHER_LOOPBACK))
    assert query(server, tenant)["status"] == "-31"


def test_key_without_whitelist_accepts_any_address(
    make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenant = make_tenant()
    ok_data(query(server, tenant))
    ok_data(query(server, tenant, local_address=OTHER_LOOPBACK))


def test_whitelist_miss_with_wrong_sign_is_minus_1(
    make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenant = make_tenant(allow_ips=["10.0.0.0/8"])
    assert post(server, wrong_sign_headers(tenant), json=default_body())["status"] == "-1"


@pytest.fixture
def ipv6_server(database_url: str, engine: Engine) -> Iterator[RunningServer]:
    try:
        server = run_server(Settings(database_url=database_url), host="::1")
    except OSError as exc:
        missing_prerequisite(f"no IPv6 loopback (::1) here: {exc}")
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("allow_ips", "status"),
    [
        (["::1"], "0"),
        (["::/0"], "0"),
        (["0:0:0:0:0:0:0:1/128"], "0"),
        (["fd00::/8"], "-31"),
        (["::2/128"], "-31"),
        (["127.0.0.1/32"], "-31"),
        (["0.0.0.0/0"], "-31"),
    ],
    ids=[
        "address",
        "any-ipv6",
        "long-form",
        "other-network",
        "neighbour",
        "ipv4-loopback",
        "any-ipv4",
    ],
)
def test_ipv6_caller_against_key_whitelist(
    make_tenant: Callable[..., Tenant],
    ipv6_server: RunningServer,
    allow_ips: list[str],
    status: str,
) -> None:
    tenant = make_tenant(allow_ips=allow_ips)
    document = query(ipv6_server, tenant)
    assert document["status"] == status, document


def test_forwarded_for_from_an_untrusted_peer_is_ignored_for_the_deny_list(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(deny_ips=(ipaddress.ip_network(FORWARDED_CLIENT),))
    ok_data(query(server, tenant, extra_headers={"X-Forwarded-For": FORWARDED_CLIENT}))


def test_forwarded_for_cannot_hide_a_denied_peer(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(deny_ips=(ipaddress.ip_network("127.0.0.1"),))
    document = query(server, tenant, extra_headers={"X-Forwarded-For": FORWARDED_CLIENT})
    assert document["status"] == "-2"


def test_forwarded_for_from_a_trusted_proxy_names_the_client_for_the_deny_list(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(
        trusted_proxies=LOOPBACK_PROXY, deny_ips=(ipaddress.ip_network(FORWARDED_CLIENT),)
    )
    denied = query(server, tenant, extra_headers={"X-Forwarded-For": FORWARDED_CLIENT})
    assert denied["status"] == "-2"
    ok_data(query(server, tenant, extra_headers={"X-Forwarded-For": OTHER_FORWARDED_CLIENT}))
    ok_data(query(server, tenant))  # the proxy itself is not denied


def test_forwarded_for_walks_past_a_chain_of_trusted_proxies(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(
        trusted_proxies=(*LOOPBACK_PROXY, ipaddress.ip_network("10.0.0.0/8")),
        deny_ips=(ipaddress.ip_network(FORWARDED_CLIENT),),
    )
    # A client-supplied left-most entry does not matter; the first untrusted hop from the
    # right is the client.
    chain = f"198.51.100.1, {FORWARDED_CLIENT}, 10.1.2.3"
    assert query(server, tenant, extra_headers={"X-Forwarded-For": chain})["status"] == "-2"
    spoofed = f"{FORWARDED_CLIENT}, {OTHER_FORWARDED_CLIENT}"
    ok_data(query(server, tenant, extra_headers={"X-Forwarded-For": spoofed}))


def test_lockout_applies_to_the_forwarded_client_behind_a_trusted_proxy(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(trusted_proxies=LOOPBACK_PROXY, lockout_failures=2)
    forwarded = {"X-Forwarded-For": FORWARDED_CLIENT}
    for _ in range(2):
        headers = {**wrong_sign_headers(tenant), **forwarded}
        assert post(server, headers, json=default_body())["status"] == "-1"
    assert query(server, tenant, extra_headers=forwarded)["status"] == "-2"
    ok_data(query(server, tenant, extra_headers={"X-Forwarded-For": OTHER_FORWARDED_CLIENT}))
    ok_data(query(server, tenant))


def test_lockout_ignores_forwarded_for_from_an_untrusted_peer(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=2)
    for client in (FORWARDED_CLIENT, OTHER_FORWARDED_CLIENT):
        headers = {**wrong_sign_headers(tenant), "X-Forwarded-For": client}
        assert post(server, headers, json=default_body())["status"] == "-1"
    # Both failures were the peer's own: a third forwarded address does not escape.
    third = {"X-Forwarded-For": "198.51.100.9"}
    assert query(server, tenant, extra_headers=third)["status"] == "-2"


def test_whitelist_uses_the_forwarded_client_behind_a_trusted_proxy(
    make_tenant: Callable[..., Tenant], start_server: Callable[..., RunningServer]
) -> None:
    tenant = make_tenant(allow_ips=[FORWARDED_CLIENT])
    server = start_server(trusted_proxies=LOOPBACK_PROXY)
    ok_data(query(server, tenant, extra_headers={"X-Forwarded-For": FORWARDED_CLIENT}))
    other = query(server, tenant, extra_headers={"X-Forwarded-For": OTHER_FORWARDED_CLIENT})
    assert other["status"] == "-31"


def test_whitelist_ignores_forwarded_for_from_an_untrusted_peer(
    make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    tenant = make_tenant(allow_ips=[FORWARDED_CLIENT])
    document = query(server, tenant, extra_headers={"X-Forwarded-For": FORWARDED_CLIENT})
    assert document["status"] == "-31"
