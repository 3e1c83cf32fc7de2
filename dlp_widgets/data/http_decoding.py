"""Content encodings of a response body. gzip and deflate are decoded a bounded piece at a time
(``CHUNK`` bytes at most), so the caller can cap the decoded size before a "gzip bomb" fills
anything; any other encoding is refused with a message. Separate because it is pure data
handling: it knows nothing of sockets or deadlines."""

from __future__ import annotations

import http.client
import zlib
from collections.abc import Iterator

from .errors import DataError

CHUNK = 1 << 16
GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's way of asking for a gzip header and trailer


def content_encoding(response: http.client.HTTPResponse, where: str, url: str) -> str | None:
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


class Inflater:
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
