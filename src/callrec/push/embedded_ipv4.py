"""IPv4 addresses carried inside IPv6 ones, so the push URL guard can judge what is reached.

A packet to ``2002:7f00:1::`` (6to4) or to a Teredo, NAT64 or ISATAP address ends up at the
IPv4 address it embeds. Python's ``ipaddress`` calls some of these forms global, so each one
is unpacked here and its IPv4 judged like any other address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 SIIT
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated IPv4-compatible, RFC 4291
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215, RFC 6052 /48 layout
_ISATAP_MARKER = 0x00005EFE  # RFC 5214 interface id 00-00-5E-FE (u/g bits may be set)
_ISATAP_MASK = 0xFCFFFFFF


@dataclass(frozen=True, slots=True)
class Embedded:
    """One IPv4 address an IPv6 address leads to, and the mechanism that carries it."""

    form: str
    address: ipaddress.IPv4Address


def _ipv4(value: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(value & 0xFFFFFFFF)


def _nat64_slash48(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    # RFC 6052 section 2.2 for a /48 prefix: bits 48-63, then the "u" octet, then 72-87.
    packed = address.packed
    return ipaddress.IPv4Address(packed[6:8] + packed[9:11])


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[Embedded]:
    """Every IPv4 address this IPv6 address embeds, by every form that may apply."""
    value = int(address)
    found: list[Embedded] = []
    if address in _MAPPED:
        found.append(Embedded("IPv4-mapped", _ipv4(value)))
    if address in _TRANSLATED:
        found.append(Embedded("IPv4-translated", _ipv4(value)))
    if address in _COMPATIBLE and value > 1:  # "::" and "::1" are not IPv4 addresses
        found.append(Embedded("IPv4-compatible", _ipv4(value)))
    if address in _NAT64_WELL_KNOWN:
        found.append(Embedded("NAT64", _ipv4(value)))
    if address in _NAT64_LOCAL_USE:
        found.append(Embedded("NAT64", _nat64_slash48(address)))
    if address.sixtofour is not None:
        found.append(Embedded("6to4", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo  # the client address is un-XORed by ipaddress
        found.append(Embedded("Teredo", client))
        found.append(Embedded("Teredo server", server))
    if (value >> 32) & _ISATAP_MASK == _ISATAP_MARKER:
        found.append(Embedded("ISATAP", _ipv4(value)))
    return found
