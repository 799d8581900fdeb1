"""Unit tests of client-IP resolution: X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import ipaddress

import pytest

from callrec.api.client_ip import client_ip

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
