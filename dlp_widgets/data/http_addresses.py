"""Which IP addresses count as public, and the rule a download applies to them: once a public
address has answered, no redirect may lead into a loopback, private, link-local, multicast,
reserved or unspecified address. Separate because it judges addresses only (no sockets, no
URLs): the transfer asks it, and tests call it on its own or hand it a rule of their own."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (::ffff:a.b.c.d, 6to4, NAT64), if any:
    ::ffff:127.0.0.1 reaches 127.0.0.1, so it must be judged as 127.0.0.1."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def non_public_kind(address: str) -> str | None:
    """None for a public IP address; otherwise what it is: "unspecified", "loopback",
    "link-local", "multicast", "private", "reserved" or "non-public"."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),  # ipaddress calls some multicast ranges global
        ("reserved", ip.is_reserved),
        ("private", ip.is_private or getattr(ip, "is_site_local", False)),
    )
    for kind, matches in checks:
        if matches:
            return kind
    return None if ip.is_global else "non-public"  # shared (100.64/10) and the like


@dataclass(frozen=True)
class AddressRule:
    """Decides which connected or resolved addresses count as public (see non_public_kind).

    ``public_for_tests`` lists (address, port) pairs to count as public anyway: tests can only
    run servers on loopback, and this is their explicit way to play a public server."""

    public_for_tests: frozenset[tuple[str, int]] = frozenset()

    def kind(self, address: str, port: int) -> str | None:
        if (address, port) in self.public_for_tests:
            return None
        return non_public_kind(address)


PUBLIC_INTERNET = AddressRule()
