"""HTTP servers that misbehave on purpose, for the tests of URL sources: a server on
127.0.0.1 whose routes the test changes while it runs, routes that answer, redirect or drip,
and https with a self-signed certificate trusted only by a child process.

A server that should play a public one is named in ``AddressRule(public_for_tests=...)``: the
explicit seam the download code offers, instead of a patch of socket."""

from __future__ import annotations

import http.server
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from dlp_widgets.data import DataError
from dlp_widgets.data.fetch import AddressRule
from dlp_widgets.home import cache_dir

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class FaultServer:
    """An HTTP server on 127.0.0.1 whose routes (path -> function of the handler) may be
    changed while it runs; ``hits`` counts requests per path."""

    def __init__(self, routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> None:
        self.routes = dict(routes)
        self.hits: Counter[str] = Counter()
        self.request_headers: list[dict[str, str]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked transfer encoding needs 1.1

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                server.hits[path] += 1
                server.request_headers.append(dict(self.headers))
                self.close_connection = True
                route = server.routes.get(path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64  # many downloads connect at once

            def handle_error(self, request, client_address) -> None:
                pass  # a client refusing the test's certificate, or giving up: expected here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def public(self) -> AddressRule:
        """The rule under which this server counts as a public one."""
        return AddressRule(public_for_tests=frozenset({("127.0.0.1", self.port)}))

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def head(h, status: int = 200, **headers: str | int | None) -> None:
    h.send_response(status)
    headers.setdefault("Content_Type", "text/csv")
    for name, value in headers.items():
        if value is not None:
            h.send_header(name.replace("_", "-"), str(value))
    h.end_headers()


def body(data: bytes, **headers: str | int) -> Route:
    def route(h) -> None:
        head(h, Content_Length=len(data), **headers)
        h.wfile.write(data)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: head(h, status, Location=location, Content_Length=0)


def error(fn, *args, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    return info.value


def cache_files() -> list[str]:
    return sorted(p.name for p in cache_dir("downloads").iterdir())


ROWS = b"x,y\n" + b"".join(f"{i},{i * i}\n".encode() for i in range(60))  # 60 rows


def drip(piece: bytes, every: float, declared: int = 100_000, times: int = 60) -> Route:
    def route(h) -> None:
        head(h, Content_Length=declared)
        for _ in range(times):
            h.wfile.write(piece)
            h.wfile.flush()
            time.sleep(every)

    return route


def timed(fn, *args, **kwargs) -> tuple[DataError, float]:
    start = time.monotonic()
    err = error(fn, *args, **kwargs)
    return err, time.monotonic() - start


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1, and the server context that uses it."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


def download_trusting(cert, url: str, timeout: float = 10) -> subprocess.CompletedProcess:
    # a child process, so that trusting the test's certificate (SSL_CERT_FILE) touches nothing here
    code = (
        "import sys\nfrom dlp_widgets.data import DataError\nfrom dlp_widgets.data.fetch import download\n"
        f"try:\n    print(download({url!r}, timeout={timeout}).read_bytes().decode())\n"
        "except DataError as exc:\n    sys.exit(exc.message)\n"
    )
    env = {**os.environ, "SSL_CERT_FILE": str(cert)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
