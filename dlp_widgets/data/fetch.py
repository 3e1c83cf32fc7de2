"""Safe downloads and safe zip extraction.

Downloads: only http(s), redirects included; a size cap checked against the declared length
and again while streaming; a timeout; streamed to the cache under a temporary name and
renamed when complete, so an interrupted download never looks finished.

Zips: entries with absolute paths, ``..`` or links are refused, and the number of entries
and the bytes actually written are capped (declared sizes can lie).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import stat
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from ..home import cache_dir
from .errors import DataError

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
CHUNK = 1 << 16
ALLOWED_SCHEMES = ("http", "https")

Progress = Callable[[int, "int | None"], None]  # bytes so far, total (None if unknown)


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


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s): a server must not send us to file:// or ftp://."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SafeRedirects)


def download(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    refresh: bool = False,
    folder: str = "downloads",
) -> Path:
    """Download ``url`` into the cache (once) and return the file's path."""
    check_url(url)
    target = cache_dir(folder) / hashlib.sha256(url.encode()).hexdigest()[:32]
    if target.exists() and not refresh:
        return target
    partial = target.with_suffix(".part")
    request = urllib.request.Request(url, headers={"User-Agent": "dlp_widgets"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            total = int(declared) if declared and declared.isdigit() else None
            if total is not None and total > max_bytes:
                raise DataError(
                    f"{url} is {total / 2**20:,.1f} MB, over the {max_bytes / 2**20:,.0f} MB limit", source=url
                )
            content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            received = 0
            with open(partial, "wb") as out:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    received += len(chunk)
                    if received > max_bytes:
                        raise DataError(f"{url} is larger than the {max_bytes / 2**20:,.0f} MB limit", source=url)
                    out.write(chunk)
                    if progress is not None:
                        progress(received, total)
    except DataError:
        partial.unlink(missing_ok=True)
        raise
    except urllib.error.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise DataError(f"{url} answered {exc.code} {exc.reason}", source=url) from None
    except TimeoutError:
        partial.unlink(missing_ok=True)
        raise DataError(f"{url} did not answer within {timeout:g} s", source=url) from None
    except urllib.error.URLError as exc:
        partial.unlink(missing_ok=True)
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise DataError(f"{url} did not answer within {timeout:g} s", source=url) from None
        raise DataError(f"cannot reach {url}: {reason} (offline?)", source=url) from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DataError(f"downloading {url} failed: {exc}", source=url) from None
    except (http.client.HTTPException, ValueError) as exc:  # InvalidURL, a host name IDNA refuses
        partial.unlink(missing_ok=True)
        raise DataError(f"{url[:80]} is not a URL that can be loaded: {exc}", source=url) from None
    if content_type in ("text/html", "application/xhtml+xml", "image/png", "image/jpeg", "application/pdf"):
        partial.unlink(missing_ok=True)
        raise DataError(f"{url} returned {content_type}, not CSV", source=url)
    os.replace(partial, target)
    return target


# ---------------------------------------------------------------- zips

DEFAULT_MAX_ENTRIES = 100_000
DEFAULT_MAX_UNZIPPED = 2 * 1024**3


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode)


def _safe_name(name: str) -> PurePosixPath:
    normalised = name.replace("\\", "/")
    path = PurePosixPath(normalised)
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        raise DataError(f"the zip holds an entry with an absolute path ({name[:100]}); refused")
    if ".." in path.parts:
        raise DataError(f"the zip holds an entry that points outside its folder ({name[:100]}); refused")
    return path


def extract_zip(
    archive: Path | bytes,
    dest: Path,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_bytes: int = DEFAULT_MAX_UNZIPPED,
    name: str = "the upload",
) -> Path:
    """Extract a zip safely into ``dest`` (which must not exist yet); return ``dest``.
    ``name`` is how messages refer to the archive."""
    import io

    source = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise DataError(f"{name} is not a valid zip file", source=name) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise DataError(f"the zip holds {len(infos):,} entries, over the limit of {max_entries:,}")
        for info in infos:  # check everything before writing anything
            _safe_name(info.filename)
            if _is_link(info):
                raise DataError(f"the zip holds a symbolic link ({info.filename[:100]}); refused")
        declared = sum(info.file_size for info in infos)
        if declared > max_bytes:
            raise DataError(
                f"the zip unpacks to {declared / 2**20:,.0f} MB, over the {max_bytes / 2**20:,.0f} MB limit (a zip bomb?)"
            )
        tmp = dest.with_name(dest.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        written = 0
        try:
            for info in infos:
                rel = _safe_name(info.filename)
                out_path = tmp.joinpath(*rel.parts)
                if info.is_dir():
                    out_path.mkdir(parents=True, exist_ok=True)
                    continue
                out_path.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(out_path, "wb") as out:
                    while True:
                        chunk = src.read(CHUNK)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > max_bytes:  # sizes in the header can lie
                            raise DataError(
                                f"the zip unpacks to more than {max_bytes / 2**20:,.0f} MB (a zip bomb?); refused"
                            )
                        out.write(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise DataError(f"{name} is a damaged zip: {exc}", source=name) from None
        except NotImplementedError:  # a RuntimeError too: caught first
            shutil.rmtree(tmp, ignore_errors=True)
            raise DataError(
                "the zip uses a compression method Python cannot read (e.g. Deflate64); zip it again with standard Deflate"
            ) from None
        except RuntimeError as exc:  # zipfile's word for an encrypted entry
            shutil.rmtree(tmp, ignore_errors=True)
            raise DataError(f"the zip cannot be opened: {exc}; upload one without a password") from None
        except DataError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    return dest
