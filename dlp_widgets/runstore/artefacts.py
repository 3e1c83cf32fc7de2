"""The artefacts table: the files a run produced (checkpoints, exports), each recorded with its
kind, path, SHA-256 and size. Separate because it is a record of files, read by the history
and the exports, not by training."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from .connection import StoreConnection


class ArtefactsTable(StoreConnection):
    """The artefacts part of RunStore."""

    def add_artefact(self, run_id: str, kind: str, path: Path) -> dict[str, Any]:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        row = {
            "run_id": run_id,
            "kind": kind,
            "path": str(path),
            "sha256": digest.hexdigest(),
            "bytes": path.stat().st_size,
            "created": time.time(),
        }
        with self._connect() as db:
            db.execute("DELETE FROM artefacts WHERE run_id=? AND path=?", (run_id, str(path)))
            db.execute("INSERT INTO artefacts VALUES (:run_id, :kind, :path, :sha256, :bytes, :created)", row)
        return row

    def artefacts(self, run_id: str) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM artefacts WHERE run_id=? ORDER BY created", (run_id,)).fetchall()
        return [dict(r) for r in rows]
