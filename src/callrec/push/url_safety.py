"""Which push URLs callrec will send to: http(s) to public addresses only.

A customer picks the URL, the server makes the request: without this check a customer
could aim the server at its own network (databases, cloud metadata at 169.254.169.254).
The host is resolved and every address it resolves to must be global; the check runs when
the URL is set and again before every delivery, which then connects to the address it
checked, so a name that later resolves elsewhere cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from callrec.push.embedded_ipv4 import embedded_ipv4

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2000


class UnsafeUrl(ValueError):
    """The URL may not be pushed to; the message says why."""


@dataclass(frozen=True, slots=True)
class CheckedTarget:
    """A push URL with the addresses its host resolved to, every one of them allowed."""

    url: httpx.URL
    addresses: tuple[IPAddress, ...]

    def pinned_urls(self) -> list[httpx.URL]:
        """The URL once per checked address, to connect to exactly what was checked."""
        return [self.url.copy_with(host=str(address)) for address in self.addresses]


def parse_push_url(text: str) -> httpx.URL:
    """The URL if its form is acceptable (scheme, host); addresses are checked separately."""
    text = text.strip()
    if len(text) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"push URL is longer than {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:
        raise UnsafeUrl(f"push URL {text!r} is not a valid URL: {exc}") from exc
    if url.scheme not in SCHEMES:
        raise UnsafeUrl(f"push URL {text!r} must start with http:// or https://")
    if not url.host:
        raise UnsafeUrl(f"push URL {text!r} has no host")
    return url


def _plain(address: IPAddress) -> IPAddress:
    """IPv4-mapped IPv6 is judged as the IPv4 address it carries (``::ffff:10.0.0.1``)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _own_refusal(address: IPAddress) -> str | None:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "non-public"
    return None


def refusal(address: IPAddress) -> str | None:
    """Why this address may not be pushed to, or None when it is a public unicast address.

    An IPv6 address that embeds an IPv4 one (6to4, Teredo, NAT64, ISATAP, ...) is refused
    when the IPv4 address would be, whatever Python thinks of the IPv6 address itself.
    """
    address = _plain(address)
    if isinstance(address, ipaddress.IPv6Address):
        for embedded in embedded_ipv4(address):
            reason = _own_refusal(embedded.address)
            if reason is not None:
                return f"{reason} ({embedded.form} embedding {embedded.address})"
    return _own_refusal(address)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def hostname(url: httpx.URL) -> str:
    """The host as sent on the wire: IDNA-encoded, IPv6 without brackets."""
    return url.raw_host.decode("ascii")


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _addresses(infos: list[tuple[object, ...]]) -> tuple[IPAddress, ...]:
    found: list[IPAddress] = []
    for info in infos:
        sockaddr = info[4]
        assert isinstance(sockaddr, tuple)
        # IPv6 scope ids ("fe80::1%eth0") are not part of the address.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return tuple(found)


def judge(url: httpx.URL, addresses: tuple[IPAddress, ...], allow_private: bool) -> CheckedTarget:
    if not addresses:
        raise UnsafeUrl(f"push URL host {url.host!r} did not resolve to any address")
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise UnsafeUrl(
                    f"push URL host {url.host!r} resolves to {address}, a {reason} address; "
                    "set CALLREC_PUSH_ALLOW_PRIVATE=1 to allow private receivers"
                )
    return CheckedTarget(url, addresses)


def check_push_url(text: str, allow_private: bool) -> CheckedTarget:
    """Parse, resolve and judge a push URL (blocking: for the CLI)."""
    url = parse_push_url(text)
    literal = _literal(hostname(url))
    if literal is not None:
        return judge(url, (literal,), allow_private)
    try:
        infos = socket.getaddrinfo(hostname(url), _port(url), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"push URL host {url.host!r} cannot be resolved: {exc}") from exc
    return judge(url, _addresses(list(infos)), allow_private)


async def resolve_push_url(text: str, allow_private: bool) -> CheckedTarget:
    """The same check without blocking the event loop: before every delivery."""
    url = parse_push_url(text)
    literal = _literal(hostname(url))
    if literal is not None:
        return judge(url, (literal,), allow_private)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(hostname(url), _port(url), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"push URL host {url.host!r} cannot be resolved: {exc}") from exc
    return judge(url, _addresses(list(infos)), allow_private)
