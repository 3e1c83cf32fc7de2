"""The reply to a download's GET once its headers have arrived, and its body up to the proper
end: a declared Content-Length must arrive in full, a chunked body must reach its last chunk,
and the deadline bounds every read. Separate from the transfer (redirects, proxies, where a
connection may go), which hands over a Reply once a server has answered 2xx."""

from __future__ import annotations

import http.client
import socket
import zlib
from collections.abc import Iterator

from .errors import DataError
from .http_deadline import Deadline
from .http_decoding import CHUNK, Inflater, content_encoding
from .http_url import Target


def where_text(url: str, current: str) -> str:
    return url if current == url else f"{url} (redirected to {current})"


class Reply:
    """A response whose headers have arrived; read the body with ``chunks()``, then close."""

    def __init__(
        self,
        url: str,
        target: Target,
        sock: socket.socket,
        response: http.client.HTTPResponse,
        deadline: Deadline,
    ) -> None:
        self.url = url
        self.final_url = target.url
        self.where = where_text(url, target.url)
        self.headers = response.headers
        self.declared: int | None = response.length  # None when unknown, and for chunked bodies
        self.received = 0  # bytes on the wire, before decoding
        self.encoding = content_encoding(response, self.where, url)
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
        inflater = Inflater(self.encoding) if self.encoding else None
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
