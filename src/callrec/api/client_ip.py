"""Who is calling: the socket peer, or X-Forwarded-For when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from starlette.requests import Request

from callrec.api.forwarded_warning import UntrustedForwardedWarning
from callrec.settings import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# A socket peer's address, parsed once: a server sees the same few peers again and again
# (a proxy, the clients of a keep-alive pool). Peers are short; hops from headers are not
# cached, so a caller cannot fill the cache with text of its choosing.
_parse_peer = lru_cache(maxsize=1024)(_parse)


def in_networks(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def _hops(forwarded_for: str | Sequence[str] | None) -> list[str]:
    """Every hop of every header line, in order.

    A proxy may append to the last line (nginx) or add a line of its own (HAProxy's
    ``option forwardfor``); both mean the same list, so lines are joined before walking it.
    Blank lines carry no hop.
    """
    if not forwarded_for:
        return []
    lines = [forwarded_for] if isinstance(forwarded_for, str) else forwarded_for
    return [hop for line in lines if line.strip() for hop in line.split(",")]


def client_ip(
    peer: str | None,
    forwarded_for: str | Sequence[str] | None,
    trusted_proxies: tuple[IPNetwork, ...],
) -> IPAddress | None:
    """Walk X-Forwarded-For from the right past trusted proxies; the first other hop is the client.

    ``forwarded_for`` is the header's value, or all its lines in the order they arrived. A
    header from an untrusted peer is ignored entirely, so a caller cannot choose its own IP.
    """
    address = _parse_peer(peer) if peer else None
    hops = _hops(forwarded_for)
    if address is None or not hops or not in_networks(address, trusted_proxies):
        return address
    for hop in reversed(hops):
        hop_address = _parse(hop)
        if hop_address is None:
            # A malformed hop cannot be attributed; the last trusted proxy is all we know.
            return address
        address = hop_address
        if not in_networks(address, trusted_proxies):
            return address
    return address


def forwarded_for_lines(request: Request) -> list[str]:
    return request.headers.getlist("x-forwarded-for")


def peer_host(request: Request) -> str | None:
    return request.client.host if request.client else None


class ClientIpResolver:
    """The client of a request (``client_ip`` over every X-Forwarded-For line).

    Every endpoint that needs a client IP asks this, so one rule applies everywhere. It also
    notices X-Forwarded-For sent by a peer that is not a trusted proxy, for the warning.
    """

    def __init__(
        self, trusted_proxies: tuple[IPNetwork, ...], warning: UntrustedForwardedWarning
    ) -> None:
        self._trusted = trusted_proxies
        self.warning = warning

    def __call__(self, request: Request) -> IPAddress | None:
        peer, lines = peer_host(request), forwarded_for_lines(request)
        if lines:
            peer_address = _parse_peer(peer) if peer else None
            if peer_address is None or not in_networks(peer_address, self._trusted):
                self.warning.notice(peer)
        return client_ip(peer, lines, self._trusted)

    def is_https(self, request: Request) -> bool:
        """Whether the client reached us over HTTPS: directly, or through a trusted proxy
        that says so in X-Forwarded-Proto (from anyone else the header is ignored)."""
        if request.url.scheme == "https":
            return True
        peer = peer_host(request)
        peer_address = _parse_peer(peer) if peer else None
        if peer_address is None or not in_networks(peer_address, self._trusted):
            return False
        proto = request.headers.get("x-forwarded-proto", "")
        # The nearest proxy's word is the last value when several proxies appended theirs.
        return proto.rsplit(",", 1)[-1].strip().lower() == "https"
