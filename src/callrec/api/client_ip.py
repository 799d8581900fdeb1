"""Who is calling: the socket peer, or X-Forwarded-For when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress

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


def in_networks(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[IPNetwork, ...]
) -> IPAddress | None:
    """Walk X-Forwarded-For from the right past trusted proxies; the first other hop is the client.

    A header from an untrusted peer is ignored entirely, so a caller cannot choose its own IP.
    """
    address = _parse(peer) if peer else None
    if address is None or not forwarded_for or not in_networks(address, trusted_proxies):
        return address
    for hop in reversed(forwarded_for.split(",")):
        hop_address = _parse(hop)
        if hop_address is None:
            # A malformed hop cannot be attributed; the last trusted proxy is all we know.
            return address
        address = hop_address
        if not in_networks(address, trusted_proxies):
            return address
    return address
