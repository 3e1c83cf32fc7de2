"""SQLite run store (standard library, WAL).

One database under ``dlp_home()``; each run also has a folder for its checkpoints and
exports. Every write is its own short transaction, so a process killed at any moment
leaves a readable store; a run left "running" by a process that no longer exists is
marked "interrupted" the next time the store is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..home import dlp_home

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

STATUSES = ("running", "finished", "stopped", "diverged", "failed", "interrupted")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


class RunStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        self.mark_interrupted()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # a connection per operation: safe from any thread, nothing held open across a crash
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db
        finally:
            db.close()

    @property
    def runs_dir(self) -> Path:
        path = self.path.parent / "runs"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def run_dir(self, run_id: str) -> Path:
        path = self.runs_dir / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- writing

    def create_run(
        self, *, name: str | None, spec: dict[str, Any], source: str | None, task: str | None, device: str
    ) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        with self._connect() as db:
            count = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            db.execute(
                "INSERT INTO runs (id, name, created, status, source, task, spec, device, host, pid) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    name or f"run {count + 1}",
                    time.time(),
                    "running",
                    source,
                    task,
                    _json(spec),
                    device,
                    socket.gethostname(),
                    os.getpid(),
                ),
            )
        return run_id

    def resume_run(self, run_id: str) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE runs SET status='running', finished=NULL, error=NULL, host=?, pid=? WHERE id=?",
                (socket.gethostname(), os.getpid(), run_id),
            )

    def add_epoch(self, run_id: str, epoch: int, metrics: dict[str, Any]) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?,?,?)", (run_id, epoch, _json(metrics))
            )
            db.execute("UPDATE runs SET epochs_done=? WHERE id=?", (epoch, run_id))

    def finish_run(
        self, run_id: str, status: str, metrics: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        assert status in STATUSES
        with self._connect() as db:
            db.execute(
                "UPDATE runs SET status=?, finished=?, metrics=?, error=? WHERE id=?",
                (status, time.time(), _json(metrics or {}), error, run_id),
            )

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

    def rename(self, run_id: str, name: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE runs SET name=? WHERE id=?", (name, run_id))

    def delete_run(self, run_id: str) -> None:
        """Delete a run, its epochs and files; a run still training is refused (its thread
        would go on writing to rows that are gone)."""
        import shutil

        with self._connect() as db:
            row = db.execute("SELECT status FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is not None and row["status"] == "running":
                raise ValueError(f"run {run_id} is still training: stop it first, then delete it")
            db.execute("DELETE FROM runs WHERE id=?", (run_id,))
        shutil.rmtree(self.runs_dir / run_id, ignore_errors=True)

    def mark_interrupted(self) -> int:
        """Runs left "running" by a process of this host that is gone were interrupted."""
        host = socket.gethostname()
        with self._connect() as db:
            rows = db.execute("SELECT id, pid, host FROM runs WHERE status='running'").fetchall()
            dead = [r["id"] for r in rows if r["host"] == host and not _pid_alive(r["pid"])]
            for run_id in dead:
                db.execute(
                    "UPDATE runs SET status='interrupted', error=? WHERE id=?",
                    ("the process running it ended before the run did", run_id),
                )
        return len(dead)

    # -- reading

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                prefix = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                matches = db.execute("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\'", (prefix + "%",)).fetchall()
                row = matches[0] if len(matches) == 1 else None
        return self._row(row) if row is not None else None

    def list_runs(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created DESC").fetchall()
        return [self._row(r) for r in rows]

    def epochs(self, run_id: str) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT epoch, metrics FROM epochs WHERE run_id=? ORDER BY epoch", (run_id,)).fetchall()
        return [{"epoch": r["epoch"], **json.loads(r["metrics"])} for r in rows]

    def artefacts(self, run_id: str) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM artefacts WHERE run_id=? ORDER BY created", (run_id,)).fetchall()
        return [dict(r) for r in rows]

    def get(self, key: str, default: Any = None) -> Any:
        with self._connect() as db:
            row = db.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def put(self, key: str, value: Any) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?,?)", (key, _json(value)))

    # -- learning progress: one row per question or exercise; once passed it stays passed

    def record_progress(
        self, item: str, kind: str, passed: bool, *, lesson: str | None = None, detail: Any = None
    ) -> dict[str, Any]:
        with self._connect() as db:
            db.execute(
                "INSERT INTO progress (item, lesson, kind, passed, attempts, detail, updated) VALUES (?,?,?,?,1,?,?) "
                "ON CONFLICT(item) DO UPDATE SET passed=MAX(passed, excluded.passed), attempts=attempts+1, "
                "lesson=excluded.lesson, kind=excluded.kind, detail=excluded.detail, updated=excluded.updated",
                (item, lesson, kind, int(bool(passed)), _json(detail), time.time()),
            )
            row = db.execute("SELECT * FROM progress WHERE item=?", (item,)).fetchone()
        return self._progress_row(row)

    def progress(self, lesson: str | None = None) -> list[dict[str, Any]]:
        with self._connect() as db:
            if lesson is None:
                rows = db.execute("SELECT * FROM progress ORDER BY updated").fetchall()
            else:
                rows = db.execute("SELECT * FROM progress WHERE lesson=? ORDER BY updated", (lesson,)).fetchall()
        return [self._progress_row(r) for r in rows]

    def reset_progress(self, lesson: str | None = None) -> None:
        with self._connect() as db:
            if lesson is None:
                db.execute("DELETE FROM progress")
            else:
                db.execute("DELETE FROM progress WHERE lesson=?", (lesson,))

    @staticmethod
    def _progress_row(row: sqlite3.Row) -> dict[str, Any]:
        out = dict(row)
        out["passed"] = bool(out["passed"])
        out["detail"] = json.loads(out["detail"]) if out["detail"] else None
        return out

    @staticmethod
    def _row(row: sqlite3.Row) -> dict[str, Any]:
        out = dict(row)
        out["spec"] = json.loads(out["spec"])
        out["metrics"] = json.loads(out["metrics"]) if out["metrics"] else {}
        return out


def open_store(path: Path | None = None) -> RunStore:
    """The store at ``path``, or the default one under ``DLP_HOME`` (or ``~/.dlp_widgets``)."""
    return RunStore(path or dlp_home() / "runs.sqlite")
