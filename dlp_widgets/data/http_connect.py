"""Reaching a server: the name lookup (bounded by the deadline), the connection to exactly the
addresses that were looked up and checked, and TLS with a handshake the deadline can cut
short. Separate from the transfer, which decides where to connect (directly or through a
proxy) and what to check; this module only makes the socket.

The connection goes to the addresses that were checked, so a name cannot resolve one way for
the check and another way for the connection."""

from __future__ import annotations

import functools
import socket
import ssl
import threading
from collections.abc import Callable

from .http_deadline import Deadline
from .http_url import Target

Address = tuple[int, tuple]  # socket family, socket address


def resolve_host(host: str, port: int, deadline: Deadline, limit: float | None = None) -> list[Address]:
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


def connect_first(host: str, addresses: list[Address], deadline: Deadline, setup: Setup) -> tuple[socket.socket, str]:
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


def tls_if_https(target: Target, deadline: Deadline) -> Setup:
    return lambda sock: _start_tls(sock, target, deadline) if target.scheme == "https" else sock


def _start_tls(sock: socket.socket, target: Target, deadline: Deadline) -> ssl.SSLSocket:
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
