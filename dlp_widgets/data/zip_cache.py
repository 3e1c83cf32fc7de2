"""An uploaded zip's files in the cache, extracted once per content (the folder is named by a
hash of the zip's bytes). Several kernels may load one zip at the same moment: each extracts
into a temporary folder of its own, marks it complete and renames it into place, so a reader
finds no folder or a complete one (see ``cached_extraction``). Separate because this is
about concurrency and the cache, not images; the extraction itself (safe paths, size caps)
is fetch.extract_zip."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import time
from pathlib import Path

from ..home import cache_dir
from .errors import DataError
from .fetch import extract_zip

# An extraction is complete when this file is in it: it is written last, in the temporary
# folder, before the folder is renamed into place.
_COMPLETE_MARK = ".dlp-extracted"
_STALE_AFTER_S = 24 * 3600  # a temporary folder this old was left by a kernel that died


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _is_complete(folder: Path) -> bool:
    return folder.is_dir() and not folder.is_symlink() and (folder / _COMPLETE_MARK).is_file()


def _remove_stale(uploads: Path) -> None:
    """Temporary folders left behind by a kernel that died while extracting."""
    cutoff = time.time() - _STALE_AFTER_S
    for entry in uploads.iterdir():
        try:
            if entry.name.startswith(".") or entry.name.endswith(".part"):
                if entry.lstat().st_mtime < cutoff:
                    _remove(entry)
        except OSError:  # removed meanwhile by another kernel
            continue


def _set_aside(folder: Path) -> None:
    """Remove an unfinished folder (or whatever else holds the name): renamed first, so that
    the name is free at once, even while the deletion runs."""
    aside = folder.with_name(f".{folder.name}.{secrets.token_hex(4)}.old")
    try:
        os.rename(folder, aside)
    except FileNotFoundError:  # another kernel set it aside first
        return
    _remove(aside)


def _move_into_place(tmp: Path, dest: Path) -> None:
    for _ in range(5):
        try:
            os.rename(tmp, dest)  # atomic: fails if dest exists (unless it is an empty folder)
            return
        except OSError:
            if _is_complete(dest):  # another kernel extracted the same zip first: use its folder
                return
        _set_aside(dest)
    raise DataError(f"the unzipped files cannot be put into the cache folder {dest}; delete it and try again")


def cached_extraction(raw: bytes, name: str) -> Path:
    """The zip's files in the cache, extracted once per content.

    Several kernels may load one zip at the same moment. Each extracts into a temporary
    folder of its own, marks it complete and renames it into place. The rename is atomic,
    so a reader finds no folder or a complete one. A kernel that loses the race uses the
    winner's folder and removes its own copy."""
    uploads = cache_dir("uploads")
    dest = uploads / hashlib.sha256(raw).hexdigest()[:24]
    if _is_complete(dest):
        return dest
    _remove_stale(uploads)
    tmp = uploads / f".{dest.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        extract_zip(raw, tmp, name=name)
        (tmp / _COMPLETE_MARK).touch()
        _move_into_place(tmp, dest)
    finally:
        _remove(tmp)  # the loser's copy, or what a failed extraction left; gone after a rename
    return dest
