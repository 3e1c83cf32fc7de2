"""Small files made by the tests: PNG folders, zips, MNIST-format idx files, a local HTTP
server on 127.0.0.1 with paths that misbehave on purpose."""

from __future__ import annotations

import gzip
import http.server
import io
import stat
import struct
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np


def write_png(path: Path, value: int = 128, size=(8, 8), mode: str = "L") -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    shape = size if mode == "L" else (*size, 3)
    Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode=mode).save(path)


def image_folder(root: Path, classes=("cat", "dog"), per_class: int = 6, size=(8, 8), mode="L") -> Path:
    for c in classes:
        for i in range(per_class):
            write_png(root / c / f"{i}.png", value=i + 10 * len(c), size=size, mode=mode)
    return root


def zip_bytes(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def zip_folder(root: Path) -> bytes:
    return zip_bytes({str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()})


def write_mnist_raw(folder: Path, n_train: int = 60, n_test: int = 20, seed: int = 0) -> None:
    """Files in the format torchvision's MNIST reader expects (idx, uncompressed)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n, dtype=np.uint8) % 10
        images = rng.integers(0, 255, (n, 28, 28), dtype=np.uint8)
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.tobytes())


def write_california_tgz(path: Path, rows: int = 200, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(rows):
        households = rng.integers(50, 500)
        lines.append(
            ",".join(
                str(v)
                for v in [
                    -120 + rng.normal(),
                    35 + rng.normal(),
                    rng.integers(1, 50),
                    households * 5,
                    households,
                    households * 3,
                    households,
                    rng.uniform(1, 10),
                    rng.uniform(50_000, 500_000),
                ]
            )
        )
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        info = tarfile.TarInfo("CaliforniaHousing/cal_housing.data")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buf.getvalue())


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404, "Not Found")
            return
        route(self)


def _send(handler, body: bytes, ctype: str = "text/csv", length: int | None = None) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", ctype)
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.wfile.write(body)


IRIS_CSV = b"sepal_length,sepal_width,species\n" + b"5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n" * 10


def _stream_big(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/csv")
    handler.end_headers()  # no Content-Length: the cap must hold while streaming
    row = b"1,2,3\n" * 10_000
    try:
        for _ in range(400):  # about 24 MB at most, bounded
            handler.wfile.write(row)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _slow(handler) -> None:
    time.sleep(3)
    _send(handler, b"a,b\n1,2\n")


def _redirect(location: str):
    def handle(handler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.end_headers()

    return handle


ROUTES = {
    "/iris.csv": lambda h: _send(h, IRIS_CSV, length=len(IRIS_CSV)),
    "/declared-big.csv": lambda h: _send(h, b"a,b\n1,2\n", length=10**12),
    "/streamed-big.csv": _stream_big,
    "/slow.csv": _slow,
    "/page.html": lambda h: _send(h, b"<!doctype html><html><body>hello</body></html>", ctype="text/html"),
    "/to-file": _redirect("file:///etc/passwd"),
    "/to-ftp": _redirect("ftp://127.0.0.1/data.csv"),
}


class LocalServer:
    """A bounded HTTP server on 127.0.0.1 in a thread; stops when the test ends."""

    def __init__(self) -> None:
        _Handler.routes = ROUTES
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
