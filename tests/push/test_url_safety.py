"""Push URLs: http(s) only, and no host that resolves to a non-public address."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable

import pytest

from callrec.push.url_safety import UnsafeUrl, check_push_url, refusal, resolve_push_url


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


# IPv6 forms that carry an IPv4 address: each is judged by the IPv4 address it leads to.
EMBEDDED_FORMS = [
    ("2002:7f00:1::", "loopback (6to4 embedding 127.0.0.1)"),
    ("2002:a9fe:a9fe::", "link-local (6to4 embedding 169.254.169.254)"),
    ("2002:a00:1:1::5", "private (6to4 embedding 10.0.0.1)"),
    ("2002:c0a8:101::1", "private (6to4 embedding 192.168.1.1)"),
    # Teredo: 2001:0:<server>:<flags>:<port ^ ffff>:<client ^ ffffffff>
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback (Teredo embedding 127.0.0.1)"),
    ("2001:0:4136:e378:8000:63bf:5601:5601", "link-local (Teredo embedding 169.254.169.254)"),
    ("2001:0:a00:1:8000:63bf:f7f7:f7f7", "private (Teredo server embedding 10.0.0.1)"),
    ("64:ff9b::7f00:1", "loopback (NAT64 embedding 127.0.0.1)"),
    ("64:ff9b::a9fe:a9fe", "link-local (NAT64 embedding 169.254.169.254)"),
    ("64:ff9b:1:7f00:0:100::", "loopback (NAT64 embedding 127.0.0.1)"),
    ("64:ff9b:1:a9fe:a9:fe00::", "link-local (NAT64 embedding 169.254.169.254)"),
    ("::127.0.0.1", "loopback (IPv4-compatible embedding 127.0.0.1)"),
    ("::10.1.2.3", "private (IPv4-compatible embedding 10.1.2.3)"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:0:127.0.0.1", "loopback (IPv4-translated embedding 127.0.0.1)"),
    ("::ffff:0:a9fe:a9fe", "link-local (IPv4-translated embedding 169.254.169.254)"),
    ("2600::5efe:7f00:1", "loopback (ISATAP embedding 127.0.0.1)"),
    ("2600:1:2:3:200:5efe:a9fe:a9fe", "link-local (ISATAP embedding 169.254.169.254)"),
    ("2600:1:2:3:200:5efe:a00:1", "private (ISATAP embedding 10.0.0.1)"),
]


@pytest.mark.parametrize(("address", "reason"), EMBEDDED_FORMS)
def test_ipv6_forms_embedding_a_non_public_ipv4_are_refused(address: str, reason: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(("address", "reason"), EMBEDDED_FORMS)
def test_push_urls_with_embedded_non_public_ipv4_literals_are_refused(
    address: str, reason: str
) -> None:
    with pytest.raises(UnsafeUrl) as refused:
        check_push_url(f"http://[{address}]/hook", allow_private=False)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "address",
    [
        "2002:808:808::1",  # 6to4 for 8.8.8.8
        "2600::5efe:808:808",  # ISATAP interface id carrying 8.8.8.8 under a global prefix
        "::ffff:8.8.8.8",
    ],
)
def test_embeddings_of_public_ipv4_stay_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    ["http://0x7f000001/hook", "http://127.1/hook", "http://017700000001/hook"],
    ids=["hex", "short", "octal"],
)
def test_other_spellings_of_loopback_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="loopback"):
        check_push_url(url, allow_private=False)


def _resolving_to(address: str) -> Callable[..., list[tuple[object, ...]]]:
    # No DNS server answers here: stand in for the resolver with one AAAA answer.
    def getaddrinfo(
        host: str, port: int, *args: object, **kwargs: object
    ) -> list[tuple[object, ...]]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    return getaddrinfo


@pytest.mark.parametrize(("address", "reason"), EMBEDDED_FORMS)
def test_host_names_resolving_to_embedded_non_public_ipv4_are_refused(
    monkeypatch: pytest.MonkeyPatch, address: str, reason: str
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to(address))
    with pytest.raises(UnsafeUrl) as refused:
        check_push_url("https://hooks.example.com/in", allow_private=False)
    assert reason in str(refused.value)

    async def resolve() -> None:
        loop = asyncio.get_running_loop()

        async def loop_getaddrinfo(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
            return _resolving_to(address)(*args, **kwargs)

        monkeypatch.setattr(loop, "getaddrinfo", loop_getaddrinfo)
        await resolve_push_url("https://hooks.example.com/in", allow_private=False)

    with pytest.raises(UnsafeUrl) as refused_async:
        asyncio.run(resolve())
    assert reason in str(refused_async.value)
