"""Where the playground keeps its files: the run store, downloads and caches.

``DLP_HOME`` moves everything (tests point it at a temporary folder); otherwise it is
``~/.dlp_widgets``.
"""

from __future__ import annotations

import os
from pathlib import Path


def dlp_home() -> Path:
    root = os.environ.get("DLP_HOME")
    path = Path(root).expanduser() if root else Path.home() / ".dlp_widgets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(*parts: str) -> Path:
    path = dlp_home().joinpath("cache", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
