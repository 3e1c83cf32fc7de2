"""URL sources against servers that misbehave on purpose: bodies cut short, servers that drip,
redirects into private networks, downloads racing each other, gzip (and gzip bombs).

Every server here runs on 127.0.0.1, started by the test. A server that should play a public
one is named in ``AddressRule(public_for_tests=...)``: the explicit seam the download code
offers, instead of a patch of socket. The servers and routes are in fault_server.py."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib

import pytest

from datagen import IRIS_CSV
from dlp_widgets.data import load_table
from dlp_widgets.data.fetch import AddressRule, download
from dlp_widgets.data.http_get import non_public_kind
from fault_server import (
    ROWS,
    FaultServer,
    Route,
    body,
    cache_files,
    download_trusting,
    drip,
    error,
    head,
    redirect,
    timed,
    tls_files,  # noqa: F401  (a fixture)
)

# ---------------------------------------------------------------- 1. bodies cut short


def cut_short(data: bytes, missing: int, **headers: str | int | None) -> Route:
    def route(h) -> None:
        headers.setdefault("Content_Length", len(data))
        head(h, **headers)
        h.wfile.write(data[:-missing])  # then the connection closes

    return route


def test_a_body_shorter_than_its_content_length_fails_names_both_sizes_and_is_not_cached():
    with FaultServer({"/data.csv": cut_short(ROWS, 3)}) as server:
        url = f"{server.base}/data.csv"
        err = error(load_table, url)
        assert f"{len(ROWS) - 3:,} bytes arrived of the {len(ROWS):,} it declared" in err.message
        assert url in err.message
        assert cache_files() == []  # nothing partial, not even a temporary file
        server.routes["/data.csv"] = body(ROWS)
        frame, _ = load_table(url)  # downloads again rather than reusing anything
        assert len(frame) == 60 and server.hits["/data.csv"] == 2
    assert len(cache_files()) == 1


def chunked(pieces: list[bytes], finish: bool, **headers: str) -> Route:
    def route(h) -> None:
        head(h, Transfer_Encoding="chunked", **headers)
        for piece in pieces:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        if finish:
            h.wfile.write(b"0\r\n\r\n")

    return route


def test_a_chunked_body_must_reach_its_last_chunk():
    def cut_mid_chunk(h) -> None:
        head(h, Transfer_Encoding="chunked")
        h.wfile.write(b"400\r\n" + ROWS[:100])  # a chunk of 0x400 bytes, 100 of them sent

    pieces = [ROWS[:200], ROWS[200:]]
    routes = {"/whole.csv": chunked(pieces, True), "/no-end.csv": chunked(pieces, False), "/mid.csv": cut_mid_chunk}
    with FaultServer(routes) as server:
        assert len(load_table(f"{server.base}/whole.csv")[0]) == 60
        for path in ("/no-end.csv", "/mid.csv"):
            err = error(download, f"{server.base}{path}")
            assert "broke off" in err.message and "before its last chunk" in err.message
            assert f"{server.base}{path}" in err.message
    assert len(cache_files()) == 1  # only whole.csv


# ---------------------------------------------------------------- 2. one deadline for everything


def drip_headers(h) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for byte in b"Content-Type: text/csv\r\nX-Padding: " + b"x" * 100:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(0.2)


@pytest.mark.parametrize("piece, every", [(b"1,2\n" * 10, 0.4), (b"1", 0.9)])
def test_the_timeout_is_a_deadline_for_the_whole_body(piece, every):
    # each read arrives well within the timeout: only a deadline for the whole stops this
    with FaultServer({"/drip.csv": drip(piece, every)}) as server:
        err, took = timed(download, f"{server.base}/drip.csv", timeout=1.5)
    print(f"dripping {len(piece)} bytes every {every} s, timeout 1.5 s: failed after {took:.2f} s")
    assert took < 1.5 + 1
    assert "did not finish within 1.5 s" in err.message and "bytes arrived" in err.message
    arrived = int(err.message.split("download: ")[1].split(" of ")[0].replace(",", ""))
    assert arrived >= len(piece) and " of 100,000 bytes arrived" in err.message
    assert cache_files() == []


def test_the_deadline_covers_slow_headers_and_each_redirect():
    def slow_redirect(location: str) -> Route:
        def route(h) -> None:
            time.sleep(0.7)
            redirect(location)(h)

        return route

    with FaultServer({"/headers.csv": drip_headers}) as server:
        err, took = timed(download, f"{server.base}/headers.csv", timeout=1)
        print(f"headers dripping a byte every 0.2 s, timeout 1 s: failed after {took:.2f} s")
        assert took < 2 and "did not answer within 1 s" in err.message
        server.routes["/a"] = slow_redirect("/b")
        server.routes["/b"] = slow_redirect("/data.csv")
        server.routes["/data.csv"] = body(ROWS)
        err, took = timed(download, f"{server.base}/a", timeout=1)
        print(f"two redirects of 0.7 s each, timeout 1 s: failed after {took:.2f} s")
        assert took < 2 and "did not answer within 1 s" in err.message and "(redirected to" in err.message


def test_the_deadline_covers_a_server_that_accepts_and_never_speaks():
    # also what a stalled TLS handshake looks like: the connection is open, nothing comes
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        port = listener.getsockname()[1]
        err, took = timed(download, f"https://127.0.0.1:{port}/data.csv", timeout=1)
        print(f"a silent https server, timeout 1 s: failed after {took:.2f} s")
        assert took < 2 and "did not answer within 1 s" in err.message
    finally:
        listener.close()


def test_https_downloads_and_its_deadline(tls_files):  # noqa: F811
    cert, context = tls_files
    routes = {"/data.csv": body(ROWS), "/drip.csv": drip(b"1,2\n", 0.3)}
    with FaultServer(routes, tls=context) as server:
        done = download_trusting(cert, f"{server.base}/data.csv")
        assert done.returncode == 0, done.stderr
        assert done.stdout.encode() == ROWS + b"\n"
        start = time.monotonic()
        late = download_trusting(cert, f"{server.base}/drip.csv", timeout=1.5)
        print(
            f"https dripping 4 bytes every 0.3 s, timeout 1.5 s: the child ended after {time.monotonic() - start:.2f} s"
        )
        assert "did not finish within 1.5 s" in late.stderr
        wrong_name = download_trusting(cert, f"https://localhost:{server.port}/data.csv")
        assert "cannot reach https://localhost" in wrong_name.stderr and "securely" in wrong_name.stderr


# ---------------------------------------------------------------- 3. where redirects may lead


@pytest.mark.parametrize(
    "address, kind",
    [
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        ("2001:4860:4860::8888", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),  # NAT64 of a public address (DNS64 networks)
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fec0::1", "private"),  # deprecated site-local
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("::ffff:10.0.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%1", "link-local"),
        ("127.0.0.1", "loopback"),
        ("127.1.2.3", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # shared address space (carrier-grade NAT)
    ],
)
def test_which_addresses_are_public(address, kind):
    assert non_public_kind(address) == kind


def test_the_seam_counts_only_the_named_server_as_public():
    rule = AddressRule(public_for_tests=frozenset({("127.0.0.1", 8000)}))
    assert rule.kind("127.0.0.1", 8000) is None
    assert rule.kind("127.0.0.1", 8001) == "loopback" and rule.kind("::1", 8000) == "loopback"
    assert AddressRule().kind("127.0.0.1", 8000) == "loopback"


@pytest.mark.parametrize(
    "location, words",
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a link-local address"),
        ("http://10.0.0.1/data.csv", "10.0.0.1, a private address"),
        ("http://0.0.0.0:{port}/data.csv", "0.0.0.0, an unspecified address"),
        ("http://[::1]:{port}/data.csv", "::1, a loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/data.csv", "::ffff:127.0.0.1, a loopback address"),
        ("http://[fe80::1]/data.csv", "fe80::1, a link-local address"),
        ("http://127.0.0.1:{port}/data.csv", "127.0.0.1, a loopback address"),
        ("http://localhost:{port}/data.csv", "localhost, which resolves to"),  # the name's address counts
    ],
)
def test_a_public_server_cannot_redirect_into_a_private_network(location, words):
    with FaultServer({"/data.csv": body(ROWS)}) as inside, FaultServer({}) as public:
        location = location.format(port=inside.port)
        public.routes["/go"] = redirect(location)
        err, took = timed(download, f"{public.base}/go", address_rule=public.public, timeout=5)
        assert f"the redirect from {public.base}/go to '{location}' is not allowed" in err.message
        assert words in err.message
        assert "a public server may not send a download into a private network" in err.message
        assert inside.hits["/data.csv"] == 0 and took < 1  # refused before connecting
    assert cache_files() == []


def test_typed_private_addresses_and_redirects_between_them_are_allowed():
    with FaultServer({"/data.csv": body(ROWS)}) as inside, FaultServer({}) as front:
        front.routes["/go"] = redirect(f"http://localhost:{inside.port}/data.csv")
        assert len(load_table(f"http://localhost:{inside.port}/data.csv")[0]) == 60  # typed: allowed
        assert len(load_table(f"{front.base}/go")[0]) == 60  # private to private: allowed


def test_public_to_public_redirects_are_allowed_and_relative_locations_work():
    with FaultServer({"/data.csv": body(ROWS)}) as second, FaultServer({"/rel": redirect("/here.csv")}) as first:
        first.routes["/go"] = redirect(f"{second.base}/data.csv", 301)
        first.routes["/here.csv"] = body(ROWS)
        both = AddressRule(public_for_tests=frozenset({("127.0.0.1", first.port), ("127.0.0.1", second.port)}))
        assert download(f"{first.base}/go", address_rule=both).read_bytes() == ROWS
        assert download(f"{first.base}/rel", address_rule=first.public).read_bytes() == ROWS


def test_once_a_public_server_answers_the_chain_stays_public():
    # typed private -> public -> private: the private hop is chosen by the public server
    with FaultServer({"/secret.csv": body(ROWS)}) as inside, FaultServer({}) as public:
        inside.routes["/start"] = redirect(f"{public.base}/bounce")
        public.routes["/bounce"] = redirect(f"{inside.base}/secret.csv")
        err = error(download, f"{inside.base}/start", address_rule=public.public)
        assert f"to '{inside.base}/secret.csv' is not allowed" in err.message
        assert f"(redirected to {public.base}/bounce)" in err.message
        assert inside.hits["/secret.csv"] == 0


def test_other_redirect_failures_name_the_target():
    with FaultServer({}) as server:
        server.routes["/to-gopher"] = redirect("gopher://127.0.0.1/data.csv")
        server.routes["/to-bad-name"] = redirect("http://a..b/data.csv")
        server.routes["/loop"] = redirect("/loop")
        assert "to 'gopher://127.0.0.1/data.csv' is not allowed" in error(download, f"{server.base}/to-gopher").message
        assert "to 'http://a..b/data.csv' is not allowed" in error(download, f"{server.base}/to-bad-name").message
        err = error(download, f"{server.base}/loop")
        assert f"redirected more than 10 times (the last time to '{server.base}/loop')" in err.message
        server.routes["/to-nowhere"] = redirect("http://nowhere.invalid/data.csv")  # .invalid never resolves
        err = error(download, f"{server.base}/to-nowhere", timeout=5)
        assert "(redirected to http://nowhere.invalid/data.csv)" in err.message


# ---------------------------------------------------------------- 5. downloads racing each other


def slow_body(data: bytes, pieces: int = 20, pause: float = 0.02) -> Route:
    def route(h) -> None:
        head(h, Content_Length=len(data))
        step = -(-len(data) // pieces)
        for start in range(0, len(data), step):
            h.wfile.write(data[start : start + step])
            h.wfile.flush()
            time.sleep(pause)

    return route


@pytest.mark.parametrize("refresh", [False, True])
def test_concurrent_downloads_of_one_url_all_get_the_whole_file(refresh):
    data = b"a,b,c\n" + b"".join(f"{i},{i % 7},{i * 3}\n".encode() for i in range(20_000))
    with FaultServer({"/big.csv": slow_body(data)}) as server:
        url = f"{server.base}/big.csv"
        start = threading.Barrier(8)
        results: list[bytes | BaseException] = []

        def fetch() -> None:
            start.wait()
            try:
                results.append(download(url, refresh=refresh).read_bytes())
            except BaseException as exc:  # reported by the assertion below
                results.append(exc)

        threads = [threading.Thread(target=fetch) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert [r if isinstance(r, BaseException) else len(r) for r in results] == [len(data)] * 8
    assert all(r == data for r in results)
    assert len(cache_files()) == 1 and not any(name.endswith(".part") for name in cache_files())


# ---------------------------------------------------------------- 6. content encodings


def test_gzip_and_deflate_encoded_csv_loads():
    gz = gzip.compress(IRIS_CSV)
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw_deflate = raw_deflate.compress(IRIS_CSV) + raw_deflate.flush()
    two_members = gzip.compress(IRIS_CSV[:100]) + gzip.compress(IRIS_CSV[100:])
    routes = {
        "/gzip.csv": body(gz, Content_Encoding="gzip"),
        "/x-gzip.csv": body(gz, Content_Encoding="x-gzip"),
        "/zlib.csv": body(zlib.compress(IRIS_CSV), Content_Encoding="deflate"),
        "/raw-deflate.csv": body(raw_deflate, Content_Encoding="deflate"),
        "/members.csv": body(two_members, Content_Encoding="gzip"),
        "/chunked-gzip.csv": chunked([gz[:50], gz[50:]], True, Content_Encoding="gzip"),
    }
    with FaultServer(routes) as server:
        for path in routes:
            frame, _ = load_table(f"{server.base}{path}")
            assert len(frame) == 30 and list(frame.columns) == ["sepal_length", "sepal_width", "species"], path
        assert "gzip" in server.request_headers[0]["Accept-Encoding"]


def test_a_gzip_bomb_is_stopped_by_the_cap_on_the_decoded_size():
    bomb = gzip.compress(b"\0" * (50 * 2**20), 9)
    assert len(bomb) < 100_000  # 50 MB in about 50 kB
    with FaultServer({"/bomb.csv": body(bomb, Content_Encoding="gzip")}) as server:
        err, took = timed(download, f"{server.base}/bomb.csv", max_bytes=2**20)
    assert "larger than the 1 MB limit once decompressed" in err.message and took < 5
    assert cache_files() == []


def test_damaged_or_unknown_encodings_are_refused():
    gz = gzip.compress(ROWS)
    routes = {
        "/cut.csv.gz": cut_short(gz, len(gz) // 2, Content_Encoding="gzip", Content_Length=None),
        "/garbage.csv": body(b"this is not gzip at all", Content_Encoding="gzip"),
        "/brotli.csv": body(b"whatever", Content_Encoding="br"),
    }
    with FaultServer(routes) as server:
        assert "gzip data stops before its end" in error(download, f"{server.base}/cut.csv.gz").message
        assert "sent damaged gzip data" in error(download, f"{server.base}/garbage.csv").message
        err = error(download, f"{server.base}/brotli.csv")
        assert "content encoding br, which cannot be decoded" in err.message
    assert cache_files() == []


def test_a_large_gzip_body_decodes_exactly():
    # many pieces of decoded output per compressed read: every CHUNK boundary must join up
    data = ROWS * 5000 + b"".join(f"{i},{i % 97}\n".encode() for i in range(100_000))
    with FaultServer({"/big.csv": body(gzip.compress(data), Content_Encoding="gzip")}) as server:
        assert download(f"{server.base}/big.csv").read_bytes() == data


def test_progress_counts_bytes_on_the_wire_up_to_the_declared_total():
    gz = gzip.compress(ROWS * 50)
    calls: list[tuple[int, int | None]] = []
    with FaultServer({"/data.csv": body(gz, Content_Encoding="gzip")}) as server:
        path = download(f"{server.base}/data.csv", progress=lambda got, total: calls.append((got, total)))
    assert path.read_bytes() == ROWS * 50
    assert calls[-1] == (len(gz), len(gz)) and all(total == len(gz) for _, total in calls)
