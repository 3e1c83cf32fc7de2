"""URL sources through an HTTP proxy set in the standard variables (http_proxy, https_proxy,
all_proxy, no_proxy, and their upper-case forms).

The proxy is a small forwarding one the test runs on 127.0.0.1: an absolute-form GET is passed
on to the origin server, a CONNECT becomes a plain TCP relay. It records what it was asked, so
the tests can see which hops went through it. https runs in a child process that trusts the
test's self-signed certificate (SSL_CERT_FILE), as in test_data_network_faults.py (both use
fault_server.py)."""

from __future__ import annotations

import base64
import os
import socket
import threading
import time
import urllib.parse

import pytest

from dlp_widgets.data.fetch import AddressRule, download
from dlp_widgets.data.http_get import proxy_for
from fault_server import (
    ROWS,
    FaultServer,
    body,
    cache_files,
    download_trusting,
    drip,
    error,
    redirect,
    timed,
    tls_files,  # noqa: F401  (a fixture)
)

OK_CONNECT = b"HTTP/1.1 200 Connection established\r\n\r\n"


@pytest.fixture(autouse=True)
def _no_proxy_settings(monkeypatch):
    """Each test starts from no proxy settings, whatever the machine running it has."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)


def read_head(sock: socket.socket) -> bytes:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            raise ConnectionError("the client went away")
        head += byte
    return head


class ForwardingProxy:
    """An HTTP proxy on 127.0.0.1. ``requests`` holds each request line it got, ``headers`` their
    headers. ``connect_reply`` replaces its answer to CONNECT (to refuse), ``drip`` sends what
    goes to the client ``drip_size`` bytes at a time with that many seconds between, and
    ``hosts`` resolves names as the proxy's own name service would."""

    def __init__(
        self,
        connect_reply: bytes = OK_CONNECT,
        drip: float = 0.0,
        drip_size: int = 1,
        hosts: dict[str, str] | None = None,
    ) -> None:
        self.connect_reply = connect_reply
        self.drip, self.drip_size = drip, drip_size
        self.hosts = hosts or {}
        self.requests: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # so that the accept loop sees the stop flag
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()

    def __enter__(self) -> ForwardingProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:  # the timeout, or the listener closed
                continue
            client.settimeout(None)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            with client:
                head = read_head(client).decode("latin-1")
                line, *fields = head.split("\r\n")
                self.requests.append(line)
                self.headers.append(dict(f.split(": ", 1) for f in fields if f))
                method, target, _version = line.split(" ")
                if method == "CONNECT":
                    self._tunnel(client, target)
                else:
                    self._forward(client, line, fields)
        except OSError:
            pass  # the client gave up, as it should when a deadline passes

    def _upstream(self, host: str, port: int) -> socket.socket:
        return socket.create_connection((self.hosts.get(host, host), port), timeout=10)

    def _tunnel(self, client: socket.socket, authority: str) -> None:
        self._send(client, self.connect_reply)
        if not self.connect_reply.startswith(b"HTTP/1.1 200"):
            return
        host, port = authority.rsplit(":", 1)
        with self._upstream(host.strip("[]"), int(port)) as upstream:
            self._relay(client, upstream)

    def _forward(self, client: socket.socket, line: str, fields: list[str]) -> None:
        method, target, version = line.split(" ")
        url = urllib.parse.urlsplit(target)
        path = url.path + (f"?{url.query}" if url.query else "")
        kept = [f for f in fields if f and not f.lower().startswith("proxy-authorization:")]
        with self._upstream(url.hostname, url.port or 80) as upstream:
            upstream.sendall("\r\n".join([f"{method} {path} {version}", *kept, "", ""]).encode("latin-1"))
            self._relay(client, upstream)

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        def up() -> None:
            try:
                while data := client.recv(65536):
                    upstream.sendall(data)
                upstream.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        threading.Thread(target=up, daemon=True).start()
        while data := upstream.recv(65536):
            self._send(client, data)

    def _send(self, client: socket.socket, data: bytes) -> None:
        if not self.drip:
            client.sendall(data)
            return
        for start in range(0, len(data), self.drip_size):
            client.sendall(data[start : start + self.drip_size])
            time.sleep(self.drip)


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


def basic(user_password: str) -> str:
    return "Basic " + base64.b64encode(user_password.encode()).decode()


# ---------------------------------------------------------------- which hops go through the proxy


@pytest.mark.parametrize(
    "variable, value",
    [("http_proxy", "{url}"), ("HTTP_PROXY", "{url}"), ("all_proxy", "{url}"), ("http_proxy", "127.0.0.1:{port}")],
)
def test_an_http_url_goes_to_the_proxy_in_absolute_form(monkeypatch, variable, value):
    with FaultServer({"/data.csv": body(ROWS)}) as server, ForwardingProxy() as proxy:
        monkeypatch.setenv(variable, value.format(url=proxy.url, port=proxy.port))
        assert download(f"{server.base}/data.csv?x=1").read_bytes() == ROWS
        assert server.hits["/data.csv"] == 1
    assert proxy.requests == [f"GET {server.base}/data.csv?x=1 HTTP/1.1"]
    assert proxy.headers[0]["Host"] == f"127.0.0.1:{server.port}"
    assert "Proxy-Authorization" not in proxy.headers[0]


def test_an_https_url_is_tunnelled_with_connect_and_tls_checks_the_target(tls_files, monkeypatch):  # noqa: F811
    cert, context = tls_files
    routes = {"/data.csv": body(ROWS), "/drip.csv": drip(b"1,2\n", 0.3)}
    with FaultServer(routes, tls=context) as server, ForwardingProxy() as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        done = download_trusting(cert, f"{server.base}/data.csv")
        assert done.returncode == 0, done.stderr
        assert done.stdout.encode() == ROWS + b"\n"
        assert proxy.requests == [f"CONNECT 127.0.0.1:{server.port} HTTP/1.1"]
        assert proxy.headers[0]["Host"] == f"127.0.0.1:{server.port}"
        assert server.request_headers[0]["Host"] == f"127.0.0.1:{server.port}"  # the GET itself went in TLS
        # the certificate is checked against the target's name, not the proxy's
        wrong_name = download_trusting(cert, f"https://localhost:{server.port}/data.csv")
        assert proxy.requests[-1] == f"CONNECT localhost:{server.port} HTTP/1.1"
        assert f"cannot reach https://localhost:{server.port}/data.csv (through the proxy {proxy.url})" in (
            wrong_name.stderr
        )
        assert "securely" in wrong_name.stderr and "CERTIFICATE_VERIFY_FAILED" in wrong_name.stderr
        start = time.monotonic()
        late = download_trusting(cert, f"{server.base}/drip.csv", timeout=1.5)
        took = time.monotonic() - start
        print(
            f"https through the proxy, dripping 4 bytes every 0.3 s, timeout 1.5 s: the child ended after {took:.2f} s"
        )
        assert "did not finish within 1.5 s" in late.stderr


def test_no_proxy_decides_for_each_hop(monkeypatch):
    with FaultServer({"/data.csv": body(ROWS)}) as inside, FaultServer({}) as front, ForwardingProxy() as proxy:
        front.routes["/to-name"] = redirect(f"http://localhost:{inside.port}/data.csv")
        front.routes["/to-ip"] = redirect(f"{inside.base}/data.csv")
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.setenv("no_proxy", "example.com, localhost")
        assert download(f"{front.base}/to-name").read_bytes() == ROWS  # the proxy, then directly
        assert proxy.requests == [f"GET {front.base}/to-name HTTP/1.1"] and inside.hits["/data.csv"] == 1
        monkeypatch.setenv("no_proxy", f"127.0.0.1:{front.port}")  # with a port: only that server
        assert download(f"{front.base}/to-ip", refresh=True).read_bytes() == ROWS  # directly, then the proxy
        assert proxy.requests[1:] == [f"GET {inside.base}/data.csv HTTP/1.1"] and front.hits["/to-ip"] == 1
        monkeypatch.setenv("NO_PROXY", "*")
        monkeypatch.delenv("no_proxy")
        assert download(f"{front.base}/to-ip", refresh=True).read_bytes() == ROWS
        assert len(proxy.requests) == 2


def test_a_name_only_the_proxy_can_resolve_loads(monkeypatch):
    # behind a proxy the local name service often knows no outside names: that must not matter
    with (
        FaultServer({"/data.csv": body(ROWS)}) as server,
        ForwardingProxy(hosts={"data.invalid": "127.0.0.1"}) as proxy,
    ):
        monkeypatch.setenv("http_proxy", proxy.url)
        url = f"http://data.invalid:{server.port}/data.csv"  # .invalid never resolves here
        assert download(url, timeout=10).read_bytes() == ROWS
    assert proxy.requests == [f"GET {url} HTTP/1.1"]


def test_proxy_for_reads_the_standard_settings(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://upper.example:3128")
    monkeypatch.setenv("https_proxy", "http://lower.example")
    monkeypatch.setenv("no_proxy", ".internal.example,[::1]")
    proxy = proxy_for("https://data.example.org/x.csv")
    assert (proxy.host, proxy.port, proxy.setting) == ("lower.example", 80, "https_proxy")  # lower-case wins
    assert proxy_for("http://data.example.org/x.csv") is None  # https_proxy is for https only
    assert proxy_for("https://files.internal.example/x.csv") is None
    assert proxy_for("https://[::1]:8443/x.csv") is None


# ---------------------------------------------------------------- failures at the proxy


def test_a_proxy_that_refuses_connect_gives_a_clear_error(monkeypatch):
    refusal = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden"
    with ForwardingProxy(connect_reply=refusal) as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        err = error(download, "https://127.0.0.1:9/data.csv", timeout=5)
    assert err.message == (
        f"the proxy {proxy.url} (set in https_proxy) did not open a tunnel to 127.0.0.1:9 for "
        "https://127.0.0.1:9/data.csv: it answered HTTP/1.1 403 Forbidden"
    )
    assert cache_files() == []


def test_a_proxy_that_cannot_be_reached_is_named(monkeypatch):
    port = closed_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    err = error(download, "http://127.0.0.1:9/data.csv", timeout=5)
    assert err.message.startswith(
        f"cannot reach the proxy http://127.0.0.1:{port} (set in HTTP_PROXY) to load http://127.0.0.1:9/data.csv: "
    )


def test_basic_credentials_reach_the_proxy_and_never_a_message(monkeypatch):
    secret = "s3cret-pa55"
    with FaultServer({"/data.csv": body(ROWS)}) as server, ForwardingProxy() as proxy:
        monkeypatch.setenv("http_proxy", f"http://alice:{secret}%40x@127.0.0.1:{proxy.port}")  # %40 is @
        assert download(f"{server.base}/data.csv").read_bytes() == ROWS
    assert proxy.headers[0]["Proxy-Authorization"] == basic(f"alice:{secret}@x")

    required = b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n"
    with ForwardingProxy(connect_reply=required) as proxy:
        monkeypatch.setenv("https_proxy", f"http://alice:{secret}@127.0.0.1:{proxy.port}")
        err = error(download, "https://127.0.0.1:9/data.csv", timeout=5)
        assert proxy.headers[0]["Proxy-Authorization"] == basic(f"alice:{secret}")
        assert "407 Proxy Authentication Required" in err.message
        assert "the user name or password in https_proxy was not accepted" in err.message
        monkeypatch.setenv("https_proxy", proxy.url)
        err_without = error(download, "https://127.0.0.1:9/data.csv", timeout=5)
        assert "Proxy-Authorization" not in proxy.headers[1]
        assert "give them in https_proxy as http://user:password@host:port" in err_without.message

    monkeypatch.setenv("http_proxy", f"http://alice:{secret}@127.0.0.1:{closed_port()}")
    unreachable = error(download, "http://127.0.0.1:9/data.csv", timeout=5)
    for message in (err.message, unreachable.message):
        assert secret not in message and "alice" not in message and "http://127.0.0.1:" in message


@pytest.mark.parametrize(
    "variable, value, url, shown",
    [
        ("all_proxy", "socks5://127.0.0.1:1080", "http://127.0.0.1:9/a.csv", "socks5://127.0.0.1:1080"),
        ("ALL_PROXY", "socks4://127.0.0.1", "https://127.0.0.1:9/a.csv", "socks4://127.0.0.1"),
        (
            "HTTPS_PROXY",
            "socks5h://alice:pw-123@proxy.example:1080",
            "https://127.0.0.1:9/a.csv",
            "socks5h://proxy.example:1080",
        ),
        ("https_proxy", "https://127.0.0.1:3128", "https://127.0.0.1:9/a.csv", "https://127.0.0.1:3128"),
    ],
)
def test_proxies_other_than_http_are_refused_clearly(monkeypatch, variable, value, url, shown):
    monkeypatch.setenv(variable, value)
    err, took = timed(download, url, timeout=5)
    assert err.message.startswith(f"cannot load {url}: {variable} names the proxy {shown}, which cannot be used: ")
    assert "only HTTP proxies (http://host:port, or http://user:password@host:port) are supported" in err.message
    assert "pw-123" not in err.message and took < 1
    assert ("write http:// instead" in err.message) == value.startswith("https:")


# ---------------------------------------------------------------- the deadline through a proxy


def test_the_deadline_holds_through_a_proxy_that_drips(monkeypatch):
    data = ROWS * 20
    with FaultServer({"/data.csv": body(data)}) as server, ForwardingProxy(drip=0.1, drip_size=64) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        err, took = timed(download, f"{server.base}/data.csv", timeout=1.5)
    print(f"a proxy passing on 64 bytes every 0.1 s, timeout 1.5 s: failed after {took:.2f} s")
    assert took < 1.5 + 1
    assert "did not finish within 1.5 s" in err.message and f" of {len(data):,} bytes arrived" in err.message
    assert cache_files() == []


def test_the_deadline_covers_a_slow_answer_to_connect(monkeypatch):
    with ForwardingProxy(drip=0.2) as proxy:
        monkeypatch.setenv("https_proxy", proxy.url)
        err, took = timed(download, "https://127.0.0.1:9/data.csv", timeout=1)
    print(f"a proxy answering CONNECT a byte every 0.2 s, timeout 1 s: failed after {took:.2f} s")
    assert took < 2
    assert err.message == (
        "https://127.0.0.1:9/data.csv did not answer within 1 s, the time limit for the whole download "
        f"(redirects included): the proxy {proxy.url} (set in https_proxy) had not opened the way to it; "
        "no data arrived"
    )


# ---------------------------------------------------------------- the address rule through a proxy


def test_through_a_proxy_redirects_are_judged_by_the_target_not_the_proxy(monkeypatch):
    with (
        FaultServer({"/data.csv": body(ROWS)}) as inside,
        FaultServer({}) as public,
        FaultServer({"/data.csv": body(ROWS)}) as other_public,
        ForwardingProxy() as proxy,
    ):
        monkeypatch.setenv("http_proxy", proxy.url)
        public.routes["/to-public"] = redirect(f"{other_public.base}/data.csv")
        public.routes["/to-inside"] = redirect(f"{inside.base}/data.csv")
        both = AddressRule(public_for_tests=frozenset({("127.0.0.1", public.port), ("127.0.0.1", other_public.port)}))
        # the proxy listens on loopback, yet a public chain through it is fine: its address is not judged
        assert download(f"{public.base}/to-public", address_rule=both).read_bytes() == ROWS
        err = error(download, f"{public.base}/to-inside", address_rule=both)
        assert f"to '{inside.base}/data.csv' is not allowed" in err.message
        assert "127.0.0.1, a loopback address" in err.message
        assert inside.hits["/data.csv"] == 0
    assert proxy.requests == [
        f"GET {public.base}/to-public HTTP/1.1",
        f"GET {other_public.base}/data.csv HTTP/1.1",
        f"GET {public.base}/to-inside HTTP/1.1",
    ]
