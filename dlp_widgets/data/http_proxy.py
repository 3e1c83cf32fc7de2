"""Proxies for a download. The standard settings (http_proxy, https_proxy, all_proxy, no_proxy,
upper-case too, read by urllib.request) choose a proxy for each hop: http goes to the proxy in
absolute form, https through a CONNECT tunnel with TLS to the target itself. Only HTTP proxies
are supported. The proxy's own address is the user's configuration and is not judged. This
module reads the settings, parses the proxy (its credentials never appear in a message) and
asks it for a tunnel; separate because none of it is needed for a direct download."""

from __future__ import annotations

import base64
import os
import socket
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .errors import DataError
from .http_deadline import Deadline
from .http_url import Target, host_authority

MAX_PROXY_HEAD = 1 << 16  # bytes of a proxy's answer to CONNECT
PROXY_KINDS = "HTTP proxies (http://host:port, or http://user:password@host:port)"


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy a hop goes through. It is the user's own configuration, so the address
    rule never judges its address."""

    host: str
    port: int
    setting: str  # where it was configured, for messages: "https_proxy", or the system settings
    authorization: str | None = None  # the Proxy-Authorization value, when the URL holds credentials

    @property
    def name(self) -> str:
        """The proxy as messages show it: never with its user name or password."""
        return f"http://{host_authority(self.host, self.port)}"

    def described(self) -> str:
        return f"the proxy {self.name} (set in {self.setting})"


def proxy_for(url: str) -> Proxy | None:
    """The proxy the standard settings choose for ``url`` (an http(s) URL that check_url
    accepted), or None to connect directly. urllib.request reads the settings: http_proxy,
    https_proxy, then all_proxy, each also upper-case, minus the hosts no_proxy names (and on
    macOS and Windows the system settings). DataError for a proxy that cannot be used."""
    target = Target.parse(url)
    proxies = urllib.request.getproxies()
    key = target.scheme if target.scheme in proxies else "all"
    value = proxies.get(key)
    # urllib asks with the URL's host[:port]; the bare host too, so that an IPv6 entry matches
    if not value or any(urllib.request.proxy_bypass(name) for name in (target.host_header, target.host)):
        return None
    return _parse_proxy(value, _setting_name(key, value))


def _setting_name(key: str, value: str) -> str:
    # getproxies() merges the lower- and upper-case variables (lower-case wins), and on some
    # systems the system settings: name the one in use, so that the user knows what to change
    names = [name for name in os.environ if name.lower() == f"{key}_proxy" and os.environ[name] == value]
    return min(names, key=str.isupper) if names else "the system proxy settings"


def _parse_proxy(value: str, setting: str) -> Proxy:
    # a bare host:port means an HTTP proxy, as urllib and curl read it
    url = value.strip() if "://" in value else f"http://{value.strip()}"
    try:
        parsed = urllib.parse.urlsplit(url)
        host, port = parsed.hostname or "", parsed.port
        if ":" not in host:
            host = host.encode("idna").decode("ascii")
    except ValueError:  # the value itself is never shown: it may hold a password
        raise DataError(f"the proxy set in {setting} is not a valid URL; {PROXY_KINDS} are supported") from None
    scheme = parsed.scheme.lower()
    if scheme != "http":
        shown = f"{scheme}://{host if port is None else host_authority(host, port)}"  # without the credentials
        raise DataError(f"{setting} names the proxy {shown}, which cannot be used: {_supported(scheme)}")
    if not host:
        raise DataError(f"the proxy set in {setting} has no host; {PROXY_KINDS} are supported")
    return Proxy(host, 80 if port is None else port, setting, _basic_authorization(parsed))


def _supported(scheme: str) -> str:
    supported = f"only {PROXY_KINDS} are supported"
    if scheme == "https":  # TLS to the proxy itself: often written by mistake for an ordinary proxy
        return f"{supported}; if yours takes plain HTTP, as most do, write http:// instead"
    return supported


def _basic_authorization(parsed: urllib.parse.SplitResult) -> str | None:
    if parsed.username is None:
        return None
    pair = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def request_tunnel(sock: socket.socket, target: Target, proxy: Proxy, deadline: Deadline) -> str:
    """Ask the proxy (connected on ``sock``) for a tunnel to the target; its status line."""
    authority = host_authority(target.host, target.port)
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}", "User-Agent: dlp_widgets"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    sock.settimeout(deadline.remaining())
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
    head = _read_head(sock, deadline)
    status_line = head.split(b"\n", 1)[0].decode("latin-1").strip()
    return "".join(c if c.isprintable() else "?" for c in status_line[:200])  # it is shown in messages


def _read_head(sock: socket.socket, deadline: Deadline) -> bytes:
    """The status line and headers of a proxy's answer to CONNECT, read a byte at a time: any
    byte after them belongs to the TLS connection, so none may be read ahead."""
    head = bytearray()
    while not (head.endswith(b"\r\n\r\n") or head.endswith(b"\n\n")):
        byte = sock.recv(1)
        if not byte:
            if deadline.passed:  # the watchdog's cut looks like an ordinary end
                raise TimeoutError("the deadline passed while the proxy answered")
            raise ConnectionError("it closed the connection without answering CONNECT")
        head += byte
        if len(head) > MAX_PROXY_HEAD:
            raise ConnectionError(f"its answer to CONNECT is longer than {MAX_PROXY_HEAD:,} bytes")
    return bytes(head)


def status_code(status_line: str) -> int | None:
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None
    return int(parts[1])
