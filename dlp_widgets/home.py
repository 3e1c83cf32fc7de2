"""Where the playground keeps its files: the run store, downloads and caches.

``DLP_HOME`` moves everything (tests point it at a temporary folder); otherwise it is
``~/.dlp_widgets``.
"""

from __future__ import annotations

import os
from pathlib import Path


class HomeError(ValueError):
    """A folder the playground needs cannot be made: a file is in its place, or the
    system refuses. ``path`` is the folder."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


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


def dlp_home() -> Path:
    root = os.environ.get("DLP_HOME")
    path = Path(root).expanduser() if root else Path.home() / ".dlp_widgets"
    return ensure_folder(path, "DLP_HOME" if root else "the playground's folder")


def cache_dir(*parts: str) -> Path:
    return ensure_folder(dlp_home().joinpath("cache", *parts), "the cache folder")
