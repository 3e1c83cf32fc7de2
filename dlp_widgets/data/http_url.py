"""A URL for a download, checked and taken apart: ``check_url`` refuses what cannot be loaded
(another scheme, no host, spaces, a broken port) before anything is fetched, and ``Target``
holds what one hop's request needs (the host as DNS takes it, the port, the path as the
request line sends it). Separate so that the connection, proxy, reply and transfer modules
share one idea of a target without depending on each other."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from .errors import DataError

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
# characters a request target may hold as they are; anything else (non-ASCII) is percent-encoded
TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


def check_url(url: str) -> str:
    try:
        parsed = urllib.parse.urlsplit(url)
        host, _port = parsed.hostname, parsed.port  # each raises on a broken [IPv6] address or port
    except ValueError as exc:
        raise DataError(f"{url[:80]!r} is not a valid URL: {exc}", source=url) from None
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise DataError(f"the URL {url[:80]!r} contains spaces or control characters; encode them (%20)", source=url)
    if parsed.scheme.lower() not in ALLOWED_SCHEMES:
        scheme = parsed.scheme or "no scheme"
        raise DataError(f"only http:// and https:// URLs can be loaded, not {scheme}:// ({url[:80]})", source=url)
    if not parsed.netloc or not host:
        raise DataError(f"the URL {url[:80]} has no host", source=url)
    return url


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # ASCII: a name in IDNA form, or an IP address without brackets
    port: int
    path: str  # path and query, as sent in the request line

    @classmethod
    def parse(cls, url: str) -> Target:
        parsed = urllib.parse.urlsplit(url)
        scheme = parsed.scheme.lower()
        host = parsed.hostname or ""
        if ":" not in host:  # a name (or IPv4 address) in the form DNS takes; UnicodeError if IDNA refuses it
            host = host.encode("idna").decode("ascii")
        target = parsed.path or "/"
        if parsed.query:
            target += "?" + parsed.query
        path = urllib.parse.quote(target, safe=TARGET_SAFE)
        port = DEFAULT_PORTS[scheme] if parsed.port is None else parsed.port
        return cls(url, scheme, host, port, path)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def host_authority(host: str, port: int) -> str:
    """host:port, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
