"""Where the playground keeps its files: the run store, downloads and caches.

``DLP_HOME`` moves everything (tests point it at a temporary folder); otherwise it is
``~/.dlp_widgets``.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

from .errors import DLPError

# below this, a failed write is put down to a full disk
LOW_SPACE_BYTES = 64 * 2**20


class HomeError(DLPError):
    """A folder the playground needs cannot be made: a file is in its place, or the
    system refuses. ``path`` is the folder."""

    kind = "home"

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path

    def where(self) -> dict[str, Any]:
        return {"path": str(self.path)}


def ensure_folder(path: Path, what: str) -> Path:
    """``path`` as an existing folder, made if missing; ``what`` names it in the error
    ("DLP_HOME", "the runs folder")."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # mkdir reports a file in the way as FileExistsError or NotADirectoryError, neither of
        # which says which path is wrong or what to do about it
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocker == path:
            message = f"{what} {path} is a file, not a folder: move the file or choose another folder"
        elif blocker is not None:
            message = f"{what} {path} cannot be made: {blocker} is a file, not a folder"
        else:
            message = f"{what} {path} cannot be made: {exc.strerror or exc}"
        raise HomeError(message, path) from None
    return path


# DLP_HOME as first seen, made absolute: a relative DLP_HOME means the folder it named when
# the playground started, not wherever the notebook has changed directory to since
_RESOLVED: dict[str, Path] = {}


def dlp_home() -> Path:
    root = os.environ.get("DLP_HOME")
    if not root:
        return ensure_folder(Path.home() / ".dlp_widgets", "the playground's folder")
    if root not in _RESOLVED:
        _RESOLVED[root] = Path(root).expanduser().absolute()
    return ensure_folder(_RESOLVED[root], "DLP_HOME")


def cache_dir(*parts: str) -> Path:
    return ensure_folder(dlp_home().joinpath("cache", *parts), "the cache folder")


def write_error_reason(folder: Path, exc: BaseException) -> str:
    """Why writing into ``folder`` failed, in words a person acts on."""
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or _free_bytes(folder) < LOW_SPACE_BYTES:
        return f"no space left on the device holding {folder} ({_free_bytes(folder):,} bytes free)"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or not os.access(folder, os.W_OK):
        return f"{folder} cannot be written to (read-only or not permitted)"
    if code == errno.ENOENT or not folder.exists():
        return f"{folder} no longer exists"
    return f"writing into {folder} failed: {getattr(exc, 'strerror', None) or exc}"


def _free_bytes(folder: Path) -> int:
    for place in (folder, *folder.parents):
        try:
            return shutil.disk_usage(place).free
        except OSError:
            continue
    return 0
