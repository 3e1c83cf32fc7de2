"""One HTTP(S) GET for a URL data source, built on http.client so that each step is checked.

- **A deadline for the whole transfer.** Name lookup, connect, TLS, headers, every redirect
  and the body share one time limit. A socket timeout only limits each read, so a server that
  sends a byte now and then would never time out; a watchdog shuts the connection down when
  the deadline passes, which wakes a read blocked anywhere inside http.client.
- **Where redirects may lead.** The address the user typed is allowed whatever it is. Once a
  public address has answered, no redirect may lead into a loopback, private, link-local,
  multicast, reserved or unspecified address. Host names are judged by what they resolve to,
  and the connection goes to exactly the addresses that were checked, so a name cannot
  resolve one way for the check and another way for the connection.
- **The body's proper end.** A declared Content-Length must arrive in full and a chunked body
  must reach its last chunk. gzip and deflate content encodings are decoded a bounded piece
  at a time, so the caller can cap the decoded size before a "gzip bomb" fills anything.
- **Proxies.** The standard settings (http_proxy, https_proxy, all_proxy, no_proxy, upper-case
  too, read by urllib.request) choose a proxy for each hop: http goes to the proxy in absolute
  form, https through a CONNECT tunnel with TLS to the target itself. Only HTTP proxies are
  supported. The proxy's own address is the user's configuration and is not judged; redirect
  targets are judged by what their names resolve to here (see _Transfer._open_through).
"""

from __future__ import annotations

import base64
import functools
import http.client
import ipaddress
import os
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import DataError

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 10
CHUNK = 1 << 16
GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's way of asking for a gzip header and trailer
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
# characters a request target may hold as they are; anything else (non-ASCII) is percent-encoded
TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"
# behind a proxy the local name service may not answer at all; judging a name must not eat the deadline
LOCAL_LOOKUP_LIMIT = 5.0
MAX_PROXY_HEAD = 1 << 16  # bytes of a proxy's answer to CONNECT
PROXY_KINDS = "HTTP proxies (http://host:port, or http://user:password@host:port)"


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


# ---------------------------------------------------------------- which addresses are public


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


# ---------------------------------------------------------------- the deadline


def _shutdown(sock: socket.socket) -> None:
    try:
        # socket.socket's own shutdown, also for an SSLSocket: it cuts the connection under a
        # TLS read in another thread without touching the TLS object that read is using
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class Deadline:
    """A time limit for a whole transfer. While it runs (``with Deadline(s):``), a watchdog
    shuts the watched socket down when the time is up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.passed = False
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self.watch(None)

    def remaining(self) -> float:
        """Seconds left; TimeoutError once none are."""
        left = self._end - time.monotonic()
        if left <= 0 or self.passed:
            raise TimeoutError("the deadline has passed")
        return left

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if sock is not None and self.passed:
                _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            if self._sock is not None:
                _shutdown(self._sock)


# ---------------------------------------------------------------- one request


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII: a name in IDNA form, or an IP address without brackets
    port: int
    path: str  # path and query, as sent in the request line

    @classmethod
    def parse(cls, url: str) -> _Target:
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


def _authority(host: str, port: int) -> str:
    """host:port, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


Address = tuple[int, tuple]  # socket family, socket address


def _lookup(host: str, port: int, deadline: Deadline, limit: float | None = None) -> list[Address]:
    """getaddrinfo, bounded by the deadline (and by ``limit`` seconds, if given): a lookup cannot
    be interrupted, so it runs in a daemon thread that is left behind if it takes too long."""
    try:  # an IP address needs no lookup and cannot hang
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        return [(info[0], info[4]) for info in found]
    except socket.gaierror:
        pass
    results: list = []

    def lookup() -> None:
        try:
            results.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except Exception as exc:  # handed to the caller's thread below
            results.append(exc)

    worker = threading.Thread(target=lookup, name="dlp-dns", daemon=True)
    worker.start()
    worker.join(deadline.remaining() if limit is None else min(limit, deadline.remaining()))
    if not results:
        raise TimeoutError(f"looking up {host} took too long")
    if isinstance(results[0], Exception):
        raise results[0]
    return [(info[0], info[4]) for info in results[0]]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


Setup = Callable[[socket.socket], socket.socket]


def _connect(host: str, addresses: list[Address], deadline: Deadline, setup: Setup) -> tuple[socket.socket, str]:
    """A socket connected to the first of ``addresses`` (those of ``host``) that answers and
    passes ``setup`` (TLS, a proxy's tunnel), and that address."""
    failure: OSError = OSError(f"{host} has no address")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        deadline.watch(sock)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect(sockaddr)
            return setup(sock), sockaddr[0]
        except BaseException as exc:
            deadline.watch(None)
            sock.close()
            if not isinstance(exc, OSError) or isinstance(exc, (TimeoutError, ssl.SSLError)) or deadline.passed:
                raise  # another address would not help
            failure = exc
    raise failure


def _tls_if_https(target: _Target, deadline: Deadline) -> Setup:
    return lambda sock: _start_tls(sock, target, deadline) if target.scheme == "https" else sock


def _start_tls(sock: socket.socket, target: _Target, deadline: Deadline) -> ssl.SSLSocket:
    # the handshake is started by hand so that the watchdog can cut it short too
    tls = _tls_context().wrap_socket(sock, server_hostname=target.host, do_handshake_on_connect=False)
    deadline.watch(tls)
    try:
        tls.settimeout(deadline.remaining())
        tls.do_handshake()
    except BaseException:
        deadline.watch(None)
        tls.close()
        raise
    return tls


def _send_get(
    sock: socket.socket, target: _Target, deadline: Deadline, proxy: Proxy | None
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(target.host, target.port)
    conn.sock = sock  # already connected: to the address that was checked, or to the proxy
    sock.settimeout(deadline.remaining())
    headers = {
        "Host": target.host_header,
        "User-Agent": "dlp_widgets",
        "Accept-Encoding": "gzip, deflate",
        "Connection": "close",
    }
    request_target = target.path
    if proxy is not None and target.scheme == "http":
        # an HTTP proxy takes the whole URL (absolute form), and the credentials meant for it
        request_target = f"http://{target.host_header}{target.path}"
        if proxy.authorization:
            headers["Proxy-Authorization"] = proxy.authorization
    conn.request("GET", request_target, headers=headers)
    return conn.getresponse()


# ---------------------------------------------------------------- proxies


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
        return f"http://{_authority(self.host, self.port)}"

    def described(self) -> str:
        return f"the proxy {self.name} (set in {self.setting})"


def proxy_for(url: str) -> Proxy | None:
    """The proxy the standard settings choose for ``url`` (an http(s) URL that check_url
    accepted), or None to connect directly. urllib.request reads the settings: http_proxy,
    https_proxy, then all_proxy, each also upper-case, minus the hosts no_proxy names (and on
    macOS and Windows the system settings). DataError for a proxy that cannot be used."""
    target = _Target.parse(url)
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
        shown = f"{scheme}://{host if port is None else _authority(host, port)}"  # without the credentials
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


def _request_tunnel(sock: socket.socket, target: _Target, proxy: Proxy, deadline: Deadline) -> str:
    """Ask the proxy (connected on ``sock``) for a tunnel to the target; its status line."""
    authority = _authority(target.host, target.port)
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


def _status(status_line: str) -> int | None:
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None
    return int(parts[1])


# ---------------------------------------------------------------- content encodings


def _content_encoding(response: http.client.HTTPResponse, where: str, url: str) -> str | None:
    codings = ",".join(response.headers.get_all("Content-Encoding") or []).lower().split(",")
    codings = [c.strip() for c in codings if c.strip() not in ("", "identity")]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return "deflate" if codings[0] == "deflate" else "gzip"
    raise DataError(
        f"{where} sent its data with content encoding {', '.join(codings)}, which cannot be decoded "
        "(only gzip and deflate can)",
        source=url,
    )


def _is_zlib_header(head: bytes) -> bool:
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class _Inflater:
    """Decodes gzip or deflate in pieces of at most CHUNK bytes, so that a small body that
    expands enormously costs no more than CHUNK of memory before the caller's cap stops it."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._head = b""
        self._z = zlib.decompressobj(GZIP_WBITS) if encoding == "gzip" else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._z is None:
            # "deflate" should be zlib-wrapped, but some servers send raw deflate: the first two
            # bytes tell which
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._z = zlib.decompressobj(zlib.MAX_WBITS if _is_zlib_header(data) else -zlib.MAX_WBITS)
        more = True
        while data or more:
            piece = self._z.decompress(data, CHUNK)
            more = len(piece) == CHUNK and not self._z.eof  # output was cut at CHUNK: more may wait
            data = self._z.unconsumed_tail
            if self._z.eof and self._z.unused_data:
                data = self._z.unused_data
                if self.encoding != "gzip":
                    data = b""  # nothing belongs after a deflate stream; ignore it
                else:
                    self._z = zlib.decompressobj(GZIP_WBITS)  # a gzip body may hold several members
            if piece:
                yield piece

    def check_complete(self) -> None:
        if self._head or (self._z is not None and not self._z.eof):
            raise zlib.error(f"the {self.encoding} data stops before its end")


# ---------------------------------------------------------------- the reply


class Reply:
    """A response whose headers have arrived; read the body with ``chunks()``, then close."""

    def __init__(
        self,
        url: str,
        target: _Target,
        sock: socket.socket,
        response: http.client.HTTPResponse,
        deadline: Deadline,
    ) -> None:
        self.url = url
        self.final_url = target.url
        self.where = _where(url, target.url)
        self.headers = response.headers
        self.declared: int | None = response.length  # None when unknown, and for chunked bodies
        self.received = 0  # bytes on the wire, before decoding
        self.encoding = _content_encoding(response, self.where, url)
        self._sock = sock
        self._response = response
        self._deadline = deadline

    def __enter__(self) -> Reply:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._deadline.watch(None)
        self._response.close()
        self._sock.close()

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def chunks(self) -> Iterator[bytes]:
        """The body, decoded, in pieces; DataError if it stops before its proper end or the
        deadline passes."""
        inflater = _Inflater(self.encoding) if self.encoding else None
        try:
            while raw := self._read():
                self.received += len(raw)
                yield from (inflater.feed(raw) if inflater else (raw,))
            self._check_length()
            if inflater and self.received:  # an empty body is empty, whatever its headers say
                inflater.check_complete()
        except zlib.error as exc:
            raise DataError(f"{self.where} sent damaged {self.encoding} data: {exc}", source=self.url) from None

    def _read(self) -> bytes:
        if self._response.isclosed():  # http.client closes it after a chunked body's last chunk
            return b""
        try:
            self._sock.settimeout(self._deadline.remaining())
            data = self._response.read1(CHUNK)  # read() would wait for CHUNK bytes, read after read
        except http.client.IncompleteRead:
            self._raise_if_late()
            raise DataError(
                f"{self.where} broke off: the chunked transfer stopped after {self.received:,} bytes, "
                "before its last chunk",
                source=self.url,
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            self._raise_if_late(exc)
            raise DataError(f"downloading {self.where} failed: {exc}", source=self.url) from None
        if not data:
            self._raise_if_late()  # the watchdog's shutdown looks like an ordinary end
        return data

    def _raise_if_late(self, exc: BaseException | None = None) -> None:
        if isinstance(exc, TimeoutError) or self._deadline.passed:
            of = f" of {self.declared:,}" if self.declared is not None else ""
            raise DataError(
                f"{self.where} did not finish within {self._deadline.seconds:g} s, the time limit for the "
                f"whole download: {self.received:,}{of} bytes arrived (a large file or a slow connection needs a "
                "larger timeout)",
                source=self.url,
            ) from None

    def _check_length(self) -> None:
        if self.declared is not None and self.received < self.declared:
            raise DataError(
                f"{self.where} broke off: {self.received:,} bytes arrived of the {self.declared:,} it declared "
                "(Content-Length)",
                source=self.url,
            )


# ---------------------------------------------------------------- redirects


def _where(url: str, current: str) -> str:
    return url if current == url else f"{url} (redirected to {current})"


class _Transfer:
    """The hops of one GET, kept so that a failure anywhere names the URL it happened at."""

    def __init__(self, url: str, deadline: Deadline, rule: AddressRule) -> None:
        self.url = url
        self.current = url
        self.deadline = deadline
        self.rule = rule
        self.public_seen = False  # once a public address has answered, redirects must stay public
        self.proxy: Proxy | None = None  # the current hop's

    @property
    def where(self) -> str:
        where = _where(self.url, self.current)
        return where if self.proxy is None else f"{where} (through the proxy {self.proxy.name})"

    def run(self) -> Reply:
        target = _Target.parse(self.url)
        for _hop in range(MAX_REDIRECTS + 1):
            previous, self.current = self.current, target.url
            sock = self._open(previous, target)
            response = None
            try:
                response = _send_get(sock, target, self.deadline, self.proxy)
                if self.deadline.passed:  # the watchdog's cut ends the headers early, like a blank line
                    raise TimeoutError("the deadline passed while the headers arrived")
                location = response.getheader("Location") if response.status in REDIRECT_CODES else None
                if location is None:
                    if not 200 <= response.status < 300:
                        raise DataError(f"{self.where} answered {response.status} {response.reason}", source=self.url)
                    return Reply(self.url, target, sock, response, self.deadline)
            except BaseException:
                self._close(sock, response)
                raise
            self._close(sock, response)
            target = self._redirect_target(target, location)
        raise DataError(
            f"{self.url} redirected more than {MAX_REDIRECTS} times (the last time to {target.url!r})", source=self.url
        )

    def _open(self, came_from: str, target: _Target) -> socket.socket:
        """A connection on which to send the GET for ``target``: to the target itself, or to the
        proxy the settings choose for it."""
        self.proxy = None
        try:
            proxy = proxy_for(target.url)
        except DataError as exc:
            raise DataError(f"cannot load {self.where}: {exc.message}", source=self.url) from None
        if proxy is None:
            return self._open_direct(came_from, target)
        self.proxy = proxy
        return self._open_through(came_from, target, proxy)

    def _open_direct(self, came_from: str, target: _Target) -> socket.socket:
        addresses = _lookup(target.host, target.port, self.deadline)
        if self.public_seen:
            self._check_public(came_from, target, addresses)
        sock, peer = _connect(target.host, addresses, self.deadline, _tls_if_https(target, self.deadline))
        self.public_seen = self.public_seen or self.rule.kind(peer, target.port) is None
        return sock

    def _open_through(self, came_from: str, target: _Target, proxy: Proxy) -> socket.socket:
        """Through a proxy the target is judged by what its name resolves to here, at best: the
        proxy resolves the name itself and may get another answer (its own name service, its own
        networks). A name that does not resolve here (common behind a proxy) cannot be judged, so
        it is let through, and counts as public for the hops after it."""
        try:
            addresses = _lookup(target.host, target.port, self.deadline, LOCAL_LOOKUP_LIMIT)
        except (OSError, UnicodeError):
            addresses = []
        if self.public_seen:
            self._check_public(came_from, target, addresses)
        public = not addresses or any(self.rule.kind(sockaddr[0], target.port) is None for _f, sockaddr in addresses)
        self.public_seen = self.public_seen or public
        try:  # the proxy's address is the user's own setting: not judged
            proxy_addresses = _lookup(proxy.host, proxy.port, self.deadline)
            sock, _peer = _connect(proxy.host, proxy_addresses, self.deadline, self._tunnel_setup(target, proxy))
        except OSError as exc:
            raise self._proxy_failure(proxy, exc) from None
        return _tls_if_https(target, self.deadline)(sock)

    def _tunnel_setup(self, target: _Target, proxy: Proxy) -> Setup:
        if target.scheme == "http":
            return lambda sock: sock  # the GET itself goes to the proxy, in absolute form

        def tunnel(sock: socket.socket) -> socket.socket:
            status_line = _request_tunnel(sock, target, proxy, self.deadline)
            status = _status(status_line)
            if status is None or not 200 <= status < 300:
                raise self._tunnel_refused(proxy, target, status, status_line)
            return sock

        return tunnel

    def _tunnel_refused(self, proxy: Proxy, target: _Target, status: int | None, status_line: str) -> DataError:
        answer = f"it answered {status_line!r}" if status is None else f"it answered {status_line}"
        hint = ""
        if status == 407:
            hint = (
                f" (the user name or password in {proxy.setting} was not accepted)"
                if proxy.authorization
                else f" (give them in {proxy.setting} as http://user:password@host:port)"
            )
        return DataError(
            f"{proxy.described()} did not open a tunnel to {_authority(target.host, target.port)} for "
            f"{_where(self.url, self.current)}: {answer}{hint}",
            source=self.url,
        )

    def _proxy_failure(self, proxy: Proxy, exc: OSError) -> DataError:
        where = _where(self.url, self.current)
        if isinstance(exc, TimeoutError) or self.deadline.passed:
            return DataError(
                f"{where} did not answer within {self.deadline.seconds:g} s, the time limit for the whole download "
                f"(redirects included): {proxy.described()} had not opened the way to it; no data arrived",
                source=self.url,
            )
        return DataError(f"cannot reach {proxy.described()} to load {where}: {exc.strerror or exc}", source=self.url)

    def _close(self, sock: socket.socket, response: http.client.HTTPResponse | None) -> None:
        self.deadline.watch(None)
        if response is not None:
            response.close()
        sock.close()

    def _refuse(self, came_from: str, location: str, reason: str) -> DataError:
        return DataError(
            f"the redirect from {_where(self.url, came_from)} to {location[:200]!r} is not allowed: {reason}",
            source=self.url,
        )

    def _redirect_target(self, current: _Target, location: str) -> _Target:
        location = urllib.parse.urljoin(current.url, location.strip())
        try:
            check_url(location)
            return _Target.parse(location)
        except DataError as exc:
            raise self._refuse(current.url, location, exc.message) from None
        except (ValueError, KeyError) as exc:  # a host name IDNA refuses
            raise self._refuse(current.url, location, f"it is not a URL that can be loaded ({exc})") from None

    def _check_public(self, came_from: str, target: _Target, addresses: list[Address]) -> None:
        # every address the name resolves to is checked, and only these are connected to
        for _family, sockaddr in addresses:
            kind = self.rule.kind(sockaddr[0], target.port)
            if kind is not None:
                name = sockaddr[0] if sockaddr[0] == target.host else f"{target.host}, which resolves to {sockaddr[0]}"
                article = "an" if kind[0] in "aeiou" else "a"
                raise self._refuse(
                    came_from,
                    target.url,
                    f"it leads to {name}, {article} {kind} address, and a public server may not send a download "
                    "into a private network",
                )


def open_url(url: str, deadline: Deadline, rule: AddressRule = PUBLIC_INTERNET) -> Reply:
    """GET ``url`` (already checked by check_url), following redirects as the module says;
    the Reply's headers have arrived. Every failure is a DataError that names the URL."""
    transfer = _Transfer(url, deadline, rule)
    try:
        return transfer.run()
    except DataError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _failure(transfer, exc) from None


def _failure(transfer: _Transfer, exc: BaseException) -> DataError:
    where, url = transfer.where, transfer.url
    if isinstance(exc, TimeoutError) or transfer.deadline.passed:
        return DataError(
            f"{where} did not answer within {transfer.deadline.seconds:g} s, the time limit for the whole "
            "download (redirects included); no data arrived",
            source=url,
        )
    if isinstance(exc, ssl.SSLError):
        return DataError(f"cannot reach {where} securely: {exc}", source=url)
    if isinstance(exc, http.client.RemoteDisconnected):
        return DataError(f"{where} closed the connection without an answer", source=url)
    if isinstance(exc, http.client.HTTPException):
        return DataError(f"{where} did not answer in HTTP: {exc!r}", source=url)
    if isinstance(exc, OSError):
        return DataError(f"cannot reach {where}: {exc.strerror or exc} (offline?)", source=url)
    return DataError(f"{where[:200]} is not a URL that can be loaded: {exc}", source=url)
