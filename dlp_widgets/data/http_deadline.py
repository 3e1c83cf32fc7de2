"""The deadline for a whole transfer. A socket timeout only limits each read, so a server that
sends a byte now and then would never time out; ``Deadline`` runs a watchdog that shuts the
watched socket down when the time is up, which wakes a read blocked anywhere inside
http.client. Separate because every step of a download (lookup, connect, TLS, proxy, body)
shares it and none of them owns it."""

from __future__ import annotations

import socket
import threading
import time


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
