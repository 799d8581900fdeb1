"""Push URLs: http(s) only, and no host that resolves to a non-public address."""

from __future__ import annotations

import ipaddress

import pytest

from callrec.push.url_safety import UnsafeUrl, check_push_url, refusal


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("::ffff:192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("240.0.0.1", "reserved"),
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address: str, reason: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/hook", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("example.com/hook", "must start with http:// or https://"),
        ("http:///hook", "no host"),
        ("http://127.0.0.1:8080/hook", "127.0.0.1, a loopback address"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://10.0.0.5/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://2130706433/hook", "loopback"),  # 127.0.0.1 written as one number
        ("https://host.invalid/hook", "cannot be resolved"),
    ],
)
def test_unsafe_urls_are_refused(url: str, fragment: str) -> None:
    with pytest.raises(UnsafeUrl) as refused:
        check_push_url(url, allow_private=False)
    assert fragment in str(refused.value)


def test_the_operator_may_allow_private_receivers() -> None:
    checked = check_push_url("http://127.0.0.1:8080/hook", allow_private=True)
    assert [str(a) for a in checked.addresses] == ["127.0.0.1"]
    assert [str(u) for u in checked.pinned_urls()] == ["http://127.0.0.1:8080/hook"]
    with pytest.raises(UnsafeUrl, match="must start with http"):
        check_push_url("gopher://127.0.0.1/", allow_private=True)


def test_a_public_address_literal_is_accepted_and_pinned() -> None:
    checked = check_push_url("https://[2606:4700:4700::1111]:8443/h?x=1", allow_private=False)
    assert [str(u) for u in checked.pinned_urls()] == ["https://[2606:4700:4700::1111]:8443/h?x=1"]
