"""Client-IP resolution: X-Forwarded-For (every line of it) only from trusted proxies.

Unit tests of the rule, then the same rule over HTTP against a real server.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest

from callrec.api.client_ip import client_ip
from tests.api.support import default_body, envelope
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, signed_headers

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.1", None, "198.51.100.1"),
        ("198.51.100.1", "203.0.113.7", "198.51.100.1"),
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "203.0.113.7", "203.0.113.7"),
        ("10.0.0.1", "203.0.113.7, 10.0.0.2", "203.0.113.7"),
        ("10.0.0.1", "1.1.1.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        ("10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),
        ("10.0.0.1", "203.0.113.7, garbage", "10.0.0.1"),
        ("10.0.0.1", "garbage, 10.0.0.2", "10.0.0.2"),
        ("10.0.0.1", "", "10.0.0.1"),
        ("fd00::1", "2001:db8::7", "2001:db8::7"),
        ("::ffff:10.0.0.1", "203.0.113.7", "203.0.113.7"),
        ("::ffff:198.51.100.1", None, "198.51.100.1"),
        ("10.0.0.1", "::ffff:203.0.113.7", "203.0.113.7"),
    ],
    ids=[
        "direct",
        "untrusted-peer-header-ignored",
        "trusted-peer-no-header",
        "trusted-peer",
        "proxy-chain",
        "spoofed-left-entry-ignored",
        "all-trusted",
        "malformed-hop-stops-at-last-proxy",
        "malformed-beyond-trusted-hop",
        "empty-header",
        "ipv6",
        "ipv4-mapped-peer",
        "ipv4-mapped-direct",
        "ipv4-mapped-hop",
    ],
)
def test_client_ip(peer: str, forwarded: str | None, expected: str) -> None:
    assert str(client_ip(peer, forwarded, PROXIES)) == expected


def test_unparseable_peer_is_unknown() -> None:
    assert client_ip("not-an-ip", "203.0.113.7", PROXIES) is None
    assert client_ip(None, None, PROXIES) is None


TRUSTED = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["203.0.113.7"], "203.0.113.7"),
        (["10.9.8.7", "203.0.113.7"], "203.0.113.7"),
        (["10.9.8.7, 203.0.113.7"], "203.0.113.7"),
        (["198.51.100.9", "10.9.8.7", "203.0.113.7"], "203.0.113.7"),
        (["198.51.100.9, 10.9.8.7", "203.0.113.7, 10.0.0.5"], "203.0.113.7"),
        (["198.51.100.9", "203.0.113.7, 10.0.0.5", "10.0.0.6"], "203.0.113.7"),
        (["203.0.113.7", "10.0.0.5", "10.0.0.6"], "203.0.113.7"),
        (["10.0.0.4", "10.0.0.5, 10.0.0.6"], "10.0.0.4"),
        (["garbage", "203.0.113.7"], "203.0.113.7"),
        (["203.0.113.7", "garbage"], "127.0.0.1"),
        (["", "203.0.113.7"], "203.0.113.7"),
        (["203.0.113.7", ""], "203.0.113.7"),
        ([], "127.0.0.1"),
    ],
    ids=[
        "one-line",
        "forged-line-then-proxy-line",
        "forged-and-proxy-in-one-line",
        "two-forged-lines-then-proxy-line",
        "lists-across-lines",
        "trusted-hops-across-lines",
        "each-trusted-hop-its-own-line",
        "all-trusted-across-lines",
        "malformed-line-beyond-the-client",
        "malformed-last-line",
        "empty-first-line",
        "empty-last-line",
        "no-lines",
    ],
)
def test_every_forwarded_for_line_is_read_rightmost_untrusted_first(
    lines: list[str], expected: str
) -> None:
    assert str(client_ip("127.0.0.1", lines, TRUSTED)) == expected


def test_lines_from_an_untrusted_peer_are_all_ignored() -> None:
    assert str(client_ip("198.51.100.1", ["10.9.8.7", "10.0.0.5"], TRUSTED)) == "198.51.100.1"


WHITELISTED = "10.9.8.7"


def _query_with_forwarded_lines(
    server: RunningServer, tenant: Tenant, lines: list[str]
) -> dict[str, Any]:
    """A signed query whose X-Forwarded-For arrives as ``lines``, one header line each."""
    headers = list(signed_headers(tenant.api_key, tenant.secret).items())
    headers += [("X-Forwarded-For", line) for line in lines]
    with server.client() as http:
        return envelope(http.post(QUERY_PAGE, headers=headers, json=default_body()))


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        ([WHITELISTED], "0"),
        ([WHITELISTED, "203.0.113.5"], "-31"),
        ([f"{WHITELISTED}, 203.0.113.5"], "-31"),
        (["203.0.113.5", WHITELISTED], "0"),
        ([WHITELISTED, "203.0.113.5", "127.0.0.1"], "-31"),
        (["203.0.113.5", f"{WHITELISTED}, 127.0.0.1"], "0"),
        ([WHITELISTED, "203.0.113.5, 127.0.0.1"], "-31"),
    ],
    ids=[
        "one-line",
        "haproxy-adds-a-line-after-a-forged-one",
        "nginx-appends-to-a-forged-one",
        "real-client-last",
        "forged-line-then-two-proxy-lines",
        "client-then-proxy-in-last-line",
        "forged-line-then-client-and-proxy",
    ],
)
def test_a_forged_forwarded_for_line_cannot_borrow_a_whitelisted_ip(
    make_tenant: Callable[..., Tenant],
    start_server: Callable[..., RunningServer],
    lines: list[str],
    status: str,
) -> None:
    tenant = make_tenant(allow_ips=[f"{WHITELISTED}/32"])
    server = start_server(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    assert _query_with_forwarded_lines(server, tenant, lines)["status"] == status
