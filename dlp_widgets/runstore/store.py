"""SQLite run store (standard library, WAL).

One database under ``dlp_home()``; each run also has a folder for its checkpoints and
exports. Every write is its own short transaction, so a process killed at any moment
leaves a readable store; a run left "running" by a process that no longer exists is
marked "interrupted" the next time the store is opened.

``RunStore`` is one class for its callers, made of one part per concern: connection
(SQLite, and its errors in words), folders (the runs folder and the files the store
protects), runs, epochs, artefacts and lesson_progress (one table each). This module opens
the store (the schema, the check that the file is a run store, the read-only fallback) and
holds the small key-value table. What callers import from here is re-exported (``__all__``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ..home import dlp_home, ensure_folder
from .artefacts import ArtefactsTable
from .connection import LOCK_TIMEOUT, StoreError, json_text
from .epochs import EpochsTable
from .lesson_progress import ProgressTable
from .runs import STATUSES, RunsTable

__all__ = ["LOCK_TIMEOUT", "SCHEMA", "STATUSES", "RunStore", "StoreError", "open_store"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    source TEXT,
    task TEXT,
    spec TEXT NOT NULL,
    device TEXT,
    metrics TEXT,
    error TEXT,
    host TEXT,
    pid INTEGER,
    epochs_done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS epoch_signals (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    signals TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS artefacts (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS progress (
    item TEXT PRIMARY KEY,
    lesson TEXT,
    kind TEXT NOT NULL,
    passed INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    detail TEXT,
    updated REAL NOT NULL
);
"""

# a table called "runs" without these is another program's, not ours
_RUN_COLUMNS = {"id", "name", "created", "status", "spec"}


class RunStore(RunsTable, EpochsTable, ArtefactsTable, ProgressTable):
    """The run store: every run, its per-epoch metrics, its files and the lessons' progress,
    in one SQLite database (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_only = False  # set when the store can be read but not written
        ensure_folder(path.parent, "the run store's folder")
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a run store: nothing was changed; move it aside", path)
        try:
            with self._connect() as db:
                # only reads until the file is known to be a run store: WAL mode and the schema
                # would otherwise be written into whatever the file is
                self._check_is_run_store(db)
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
        except StoreError as exc:
            if exc.reason not in ("read-only", "cannot open") or not path.is_file():
                raise
            self.read_only = True  # listing and showing runs still works; saving says why not
            with self._connect() as db:
                self._check_is_run_store(db)
            return
        self.mark_interrupted()

    def _check_is_run_store(self, db: sqlite3.Connection) -> None:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "runs" in tables:
            columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
            if not _RUN_COLUMNS <= columns:
                raise StoreError(
                    f"{self.path} is not a run store: it is a SQLite database whose runs table is another "
                    "program's. Nothing was changed; move the file aside or point DLP_HOME at another folder",
                    self.path,
                )

    def get(self, key: str, default: Any = None) -> Any:
        with self._connect() as db:
            row = db.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def put(self, key: str, value: Any) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?,?)", (key, json_text(value)))


def open_store(path: Path | None = None) -> RunStore:
    """The store at ``path``, or the default one under ``DLP_HOME`` (or ``~/.dlp_widgets``)."""
    return RunStore(path or dlp_home() / "runs.sqlite")
