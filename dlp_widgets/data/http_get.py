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

The parts live in their own modules: http_url (checking a URL, a hop's target), http_addresses
(which addresses are public), http_deadline (the deadline's watchdog), http_connect (lookup,
connection, TLS), http_proxy (proxy settings and tunnels), http_decoding (gzip and deflate)
and http_reply (the body up to its proper end). This module holds the transfer itself: its
hops, where each may lead, and what a failure anywhere says. What fetch.py and the tests import
from here is re-exported (``__all__``).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.parse

from .errors import DataError
from .http_addresses import PUBLIC_INTERNET, AddressRule, non_public_kind
from .http_connect import Address, Setup, connect_first, resolve_host, tls_if_https
from .http_deadline import Deadline
from .http_decoding import CHUNK
from .http_proxy import Proxy, proxy_for, request_tunnel, status_code
from .http_reply import Reply, where_text
from .http_url import Target, check_url, host_authority

__all__ = [
    "CHUNK",
    "PUBLIC_INTERNET",
    "AddressRule",
    "Deadline",
    "Reply",
    "check_url",
    "non_public_kind",
    "open_url",
    "proxy_for",
]

REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 10
# behind a proxy the local name service may not answer at all; judging a name must not eat the deadline
LOCAL_LOOKUP_LIMIT = 5.0


def _send_get(sock: socket.socket, target: Target, deadline: Deadline, proxy: Proxy | None) -> http.client.HTTPResponse:
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


# ---------------------------------------------------------------- redirects


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
        where = where_text(self.url, self.current)
        return where if self.proxy is None else f"{where} (through the proxy {self.proxy.name})"

    def run(self) -> Reply:
        target = Target.parse(self.url)
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

    def _open(self, came_from: str, target: Target) -> socket.socket:
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

    def _open_direct(self, came_from: str, target: Target) -> socket.socket:
        addresses = resolve_host(target.host, target.port, self.deadline)
        if self.public_seen:
            self._check_public(came_from, target, addresses)
        sock, peer = connect_first(target.host, addresses, self.deadline, tls_if_https(target, self.deadline))
        self.public_seen = self.public_seen or self.rule.kind(peer, target.port) is None
        return sock

    def _open_through(self, came_from: str, target: Target, proxy: Proxy) -> socket.socket:
        """Through a proxy the target is judged by what its name resolves to here, at best: the
        proxy resolves the name itself and may get another answer (its own name service, its own
        networks). A name that does not resolve here (common behind a proxy) cannot be judged, so
        it is let through, and counts as public for the hops after it."""
        try:
            addresses = resolve_host(target.host, target.port, self.deadline, LOCAL_LOOKUP_LIMIT)
        except (OSError, UnicodeError):
            addresses = []
        if self.public_seen:
            self._check_public(came_from, target, addresses)
        public = not addresses or any(self.rule.kind(sockaddr[0], target.port) is None for _f, sockaddr in addresses)
        self.public_seen = self.public_seen or public
        try:  # the proxy's address is the user's own setting: not judged
            proxy_addresses = resolve_host(proxy.host, proxy.port, self.deadline)
            sock, _peer = connect_first(proxy.host, proxy_addresses, self.deadline, self._tunnel_setup(target, proxy))
        except OSError as exc:
            raise self._proxy_failure(proxy, exc) from None
        return tls_if_https(target, self.deadline)(sock)

    def _tunnel_setup(self, target: Target, proxy: Proxy) -> Setup:
        if target.scheme == "http":
            return lambda sock: sock  # the GET itself goes to the proxy, in absolute form

        def tunnel(sock: socket.socket) -> socket.socket:
            status_line = request_tunnel(sock, target, proxy, self.deadline)
            status = status_code(status_line)
            if status is None or not 200 <= status < 300:
                raise self._tunnel_refused(proxy, target, status, status_line)
            return sock

        return tunnel

    def _tunnel_refused(self, proxy: Proxy, target: Target, status: int | None, status_line: str) -> DataError:
        answer = f"it answered {status_line!r}" if status is None else f"it answered {status_line}"
        hint = ""
        if status == 407:
            hint = (
                f" (the user name or password in {proxy.setting} was not accepted)"
                if proxy.authorization
                else f" (give them in {proxy.setting} as http://user:password@host:port)"
            )
        return DataError(
            f"{proxy.described()} did not open a tunnel to {host_authority(target.host, target.port)} for "
            f"{where_text(self.url, self.current)}: {answer}{hint}",
            source=self.url,
        )

    def _proxy_failure(self, proxy: Proxy, exc: OSError) -> DataError:
        where = where_text(self.url, self.current)
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
            f"the redirect from {where_text(self.url, came_from)} to {location[:200]!r} is not allowed: {reason}",
            source=self.url,
        )

    def _redirect_target(self, current: Target, location: str) -> Target:
        location = urllib.parse.urljoin(current.url, location.strip())
        try:
            check_url(location)
            return Target.parse(location)
        except DataError as exc:
            raise self._refuse(current.url, location, exc.message) from None
        except (ValueError, KeyError) as exc:  # a host name IDNA refuses
            raise self._refuse(current.url, location, f"it is not a URL that can be loaded ({exc})") from None

    def _check_public(self, came_from: str, target: Target, addresses: list[Address]) -> None:
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
