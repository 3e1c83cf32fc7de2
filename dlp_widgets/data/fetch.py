"""Safe downloads and safe zip extraction.

Downloads (the HTTP side is in http_get.py): only http(s), redirects included, and no redirect
from a public address into a private network; a size cap checked against the declared length
and again on the decoded bytes while streaming; one deadline for the whole transfer. The body
is written to a temporary file of its own and renamed into the cache only once it is complete
and checked, so the cache never holds a partial file, and two downloads of one URL at once
cannot disturb each other.

Zips: entries with absolute paths, ``..`` or links are refused, and the number of entries
and the bytes actually written are capped (declared sizes can lie).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..home import cache_dir
from .errors import DataError
from .http_get import CHUNK, PUBLIC_INTERNET, AddressRule, Deadline, Reply, check_url, open_url

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "AddressRule", "Progress", "check_url", "download", "extract_zip"]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
NOT_CSV = ("text/html", "application/xhtml+xml", "image/png", "image/jpeg", "application/pdf")

Progress = Callable[[int, "int | None"], None]  # bytes so far, total (None if unknown)


def download(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    refresh: bool = False,
    folder: str = "downloads",
    address_rule: AddressRule = PUBLIC_INTERNET,
) -> Path:
    """Download ``url`` into the cache (once) and return the file's path.

    ``timeout`` is a deadline in seconds for the whole transfer (look-up, connect, redirects,
    body); ``max_bytes`` caps the declared and the decoded size; ``address_rule`` says which
    addresses count as public when judging redirects (tests use it to play a public server)."""
    check_url(url)
    target = cache_dir(folder) / hashlib.sha256(url.encode()).hexdigest()[:32]
    if target.exists() and not refresh:
        return target
    with Deadline(timeout) as deadline, open_url(url, deadline, address_rule) as reply:
        _check_headers(reply, max_bytes)
        partial = _receive(reply, target, max_bytes, progress)
    _publish(partial, target)
    return target


def _check_headers(reply: Reply, max_bytes: int) -> None:
    # before the body: neither an over-size file nor a web page is worth downloading
    if reply.declared is not None and reply.declared > max_bytes:
        raise DataError(
            f"{reply.where} is {reply.declared / 2**20:,.1f} MB, over the {max_bytes / 2**20:,.0f} MB limit",
            source=reply.url,
        )
    if reply.content_type in NOT_CSV:
        raise DataError(f"{reply.where} returned {reply.content_type}, not CSV", source=reply.url)


def _receive(reply: Reply, target: Path, max_bytes: int, progress: Progress | None) -> Path:
    """The body in a new temporary file next to ``target``, complete and on disk; removed on
    any failure. A name of its own per download lets several run at once."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.", suffix=".part")
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_body(reply, out, max_bytes, progress)
            out.flush()
            os.fsync(out.fileno())  # the rename must not publish data still in memory
    except OSError as exc:  # the disk's errors: the network's arrive as DataError
        partial.unlink(missing_ok=True)
        raise DataError(f"saving {reply.url} to {target.parent} failed: {exc}", source=reply.url) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial


def _copy_body(reply: Reply, out: BinaryIO, max_bytes: int, progress: Progress | None) -> None:
    written = 0
    reported = -1
    for piece in reply.chunks():
        written += len(piece)
        if written > max_bytes:  # the decoded size: a small gzip body can expand a thousandfold
            decoded = " once decompressed" if reply.encoding else ""
            raise DataError(
                f"{reply.where} is larger than the {max_bytes / 2**20:,.0f} MB limit{decoded}", source=reply.url
            )
        out.write(piece)
        if progress is not None:
            progress(reply.received, reply.declared)
            reported = reply.received
    if (
        progress is not None and reply.received and reported != reply.received
    ):  # the last compressed bytes gave no output
        progress(reply.received, reply.declared)


def _publish(partial: Path, target: Path) -> None:
    """Rename the complete file into the cache. os.replace is atomic: another download of the
    same URL sees no file or a complete one, and if both finish, both files were complete."""
    try:
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        if not target.exists():  # where renaming over an open file fails, the winner's copy serves
            raise DataError(f"cannot save the download as {target}: {exc}", source=str(target)) from None


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
