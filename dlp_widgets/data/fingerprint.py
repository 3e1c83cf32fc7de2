"""Fingerprints of data that can change or vanish after a run trained on it: a file, a folder
of images, a download, a DataFrame. A run keeps its data's fingerprint; resuming it and
exporting its training script check the data is still the same, so that nothing is trained
or exported on other data by mistake."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError

CHUNK = 1 << 20
# a folder beyond this is fingerprinted by its files' names and sizes only, not their bytes
FOLDER_CONTENT_LIMIT = 2 * 2**30


def _file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _folder_digest(root: Path) -> tuple[int, str]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    total = sum(p.stat().st_size for p in files)
    digest = hashlib.sha256()
    for p in files:
        digest.update(str(p.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
        if total <= FOLDER_CONTENT_LIMIT:
            digest.update(_file_digest(p)[1].encode())
        else:
            digest.update(str(p.stat().st_size).encode())
    return total, digest.hexdigest()


def frame_fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, columns and a hash of every value of a DataFrame."""
    digest = hashlib.sha256()
    try:
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    except TypeError:  # lists or dicts in cells cannot be hashed: their text can
        digest.update(frame.astype(str).to_csv(index=False).encode("utf-8", "surrogateescape"))
    digest.update("\0".join(map(str, frame.columns)).encode("utf-8", "surrogateescape"))
    return {"rows": int(len(frame)), "columns": int(frame.shape[1]), "sha256": digest.hexdigest()}


def source_fingerprint(source: str) -> dict[str, Any] | None:
    """Size and SHA-256 of what a source string names, for sources that can change: a
    file (``csv:``, ``zip:``, a path), a folder (``folder:``), a download (the cached file).
    None for built-in sets, which do not change."""
    path = local_path(source)
    if path is not None:
        if not path.exists():
            return {"missing": True}
        size, digest = _folder_digest(path) if path.is_dir() else _file_digest(path)
        return {"bytes": size, "sha256": digest}
    if "://" in source:
        from .fetch import download

        size, digest = _file_digest(download(source))  # the copy it trained on, in the cache
        return {"bytes": size, "sha256": digest}
    return None


def local_path(source: str) -> Path | None:
    """The file or folder a source string names on this machine, or None."""
    for prefix in ("csv:", "zip:", "folder:"):
        if source.startswith(prefix):
            return Path(source[len(prefix) :]).expanduser()
    if "://" not in source and not source.startswith("builtin:") and source.lower().endswith((".csv", ".tsv", ".txt")):
        return Path(source).expanduser()
    return None


def check_unchanged(what: str, recorded: dict[str, Any] | None, now: dict[str, Any] | None, run_id: str) -> None:
    """Refuse, saying how, when data differs from the fingerprint a run recorded."""
    if not recorded or now is None:
        return
    if now.get("missing"):
        raise DataError(f"{what} is gone: run {run_id} trained on it, so it cannot go on or be exported without it")
    if now != recorded:
        before = _describe(recorded)
        after = _describe(now)
        raise DataError(
            f"{what} has changed since run {run_id} trained on it (then {before}; now {after}): it would go on "
            "with other data. Train a new run on it, or pass the data the run trained on"
        )


def _describe(fingerprint: dict[str, Any]) -> str:
    if "rows" in fingerprint:
        shown = f"{fingerprint['rows']:,} rows × {fingerprint['columns']:,} columns"
    else:
        shown = f"{fingerprint.get('bytes', 0):,} bytes"
    return f"{shown}, SHA-256 {str(fingerprint.get('sha256', ''))[:12]}…"
