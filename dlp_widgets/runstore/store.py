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
import shutil
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..home import dlp_home, ensure_folder, write_error_reason
from . import ownership

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
# how long a write waits for another process's write before the store counts as locked
LOCK_TIMEOUT = 30.0

# a table called "runs" without these is another program's, not ours
_RUN_COLUMNS = {"id", "name", "created", "status", "spec"}

# how many of the runs an ambiguous id prefix matches are named in the error
_SHOWN_MATCHES = 5


class StoreError(ValueError):
    """The run store's file cannot be used: not a SQLite database, damaged, not ours,
    read-only, locked or on a full disk. It is left exactly as it was. ``path`` is the
    file; ``reason`` one word for code ("read-only", "locked", "cannot write", ...)."""

    def __init__(self, message: str, path: Path, reason: str = "unusable") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.reason = reason


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

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # a connection per operation: safe from any thread, nothing held open across a crash
        try:
            if self.read_only:  # immutable: SQLite then needs no -wal or -shm file it could not make
                db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=30)
            else:
                db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT)
        except sqlite3.OperationalError as exc:
            raise self._unusable(exc) or StoreError(
                f"the run store {self.path} cannot be opened: {exc}", self.path, "cannot open"
            ) from None
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db
        except sqlite3.DatabaseError as exc:
            error = self._unusable(exc)
            if error is None:
                raise
            raise error from None
        finally:
            db.close()

    def _unusable(self, exc: sqlite3.DatabaseError) -> StoreError | None:
        """A StoreError, in words, for a store SQLite cannot read or write: not a database,
        damaged, read-only, locked, a full disk, an I/O error. None for other errors (a bad
        query), which keep their own type."""
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF  # extended codes carry the primary one in the low byte
        advice = "Nothing was changed; move the file aside (a new store is made in its place) or point DLP_HOME at another folder"
        folder = self.path.parent
        if code == sqlite3.SQLITE_NOTADB:
            return StoreError(f"{self.path} is not a run store: it is not a SQLite database. {advice}", self.path)
        if code == sqlite3.SQLITE_CORRUPT:
            return StoreError(f"the run store {self.path} is damaged ({exc}). {advice}", self.path)
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
            return StoreError(
                f"the run store {self.path} is read-only: runs can be listed and shown but not saved; "
                "make it writable or point DLP_HOME at another folder",
                self.path,
                "read-only",
            )
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(
                f"the run store {self.path} is locked by another program (waited {LOCK_TIMEOUT:g} s); "
                "close what holds it and try again",
                self.path,
                "locked",
            )
        if code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
            reason = write_error_reason(folder, exc)
            kind = "cannot open" if code == sqlite3.SQLITE_CANTOPEN else "cannot write"
            if code == sqlite3.SQLITE_FULL:
                reason = f"no space left on the device holding {folder}"
            return StoreError(f"the run store {self.path} cannot be written: {reason}", self.path, kind)
        return None

    @property
    def runs_dir(self) -> Path:
        return ensure_folder(self.path.parent / "runs", "the runs folder")

    def run_dir(self, run_id: str) -> Path:
        return ensure_folder(self.runs_dir / run_id, "the run's folder")

    # what a run keeps in its folder: the store's own, never replaced by an export
    RUN_FILES = frozenset({"last.pt", "best.pt", "spec.json", "preprocessing.json", "data.json", ownership.LOCK_FILE})

    def protects(self, path: Path) -> str | None:
        """What ``path`` (already resolved through links) is to the store, if it is one of
        its own files: the database, a run's checkpoint or record, a kept upload. None for
        anything else (an export into a run's folder under another name is fine)."""
        home = self.path.parent.resolve()
        database = self.path.resolve()
        if path in {database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")}:
            return "the run store's database"
        runs = home / "runs"
        if path.is_relative_to(runs):
            parts = path.relative_to(runs).parts
            if len(parts) == 2 and (parts[1] in self.RUN_FILES or parts[1].endswith(".part")):
                return f"run {parts[0]}'s own file {parts[1]} (needed to load or resume it)"
            if len(parts) > 2:
                return f"a file kept with run {parts[0]}"
        if path.is_relative_to(home / "cache"):
            return "a file of the playground's cache"
        return None

    # -- writing

    def create_run(
        self,
        *,
        name: str | None,
        spec: dict[str, Any],
        source: str | None,
        task: str | None,
        device: str,
        default_name: str = "run",
    ) -> str:
        """A new running run, named ``name`` as given, or else ``free_name(default_name)``,
        chosen inside the insert so that two processes never take the same."""
        self._check_writable()
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        # the folder first: a file in the way of it must fail before a row exists to be left behind
        folder = self.run_dir(run_id)
        try:
            self._insert_run(
                run_id, name=name, spec=spec, source=source, task=task, device=device, default_name=default_name
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return run_id

    def _insert_run(
        self,
        run_id: str,
        *,
        name: str | None,
        spec: dict[str, Any],
        source: str | None,
        task: str | None,
        device: str,
        default_name: str,
    ) -> None:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # the name is chosen and taken in one step
            chosen = name or self._free_name(db, default_name)
            db.execute(
                "INSERT INTO runs (id, name, created, status, source, task, spec, device, host, pid) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    chosen,
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

    def free_name(self, base: str) -> str:
        """``base``, or ``base #2``, ``#3``… when runs already carry it: default names stay
        apart in lists and charts (a name a person chose is kept as given)."""
        with self._connect() as db:
            return self._free_name(db, base)

    @staticmethod
    def _free_name(db: sqlite3.Connection, base: str) -> str:
        taken = {
            r[0]
            for r in db.execute(
                "SELECT name FROM runs WHERE name = ? OR substr(name, 1, ?) = ?", (base, len(base) + 2, base + " #")
            )
        }
        if base not in taken:
            return base
        n = 2
        while f"{base} #{n}" in taken:
            n += 1
        return f"{base} #{n}"

    def claim(self, run_id: str) -> ownership.Claim:
        """This process's hold on a run it is about to train; refused while another holds it."""
        self._check_writable()
        held = ownership.claim(self.run_dir(run_id))
        if held is None:
            raise StoreError(
                f"run {run_id} is training in {self.owner(run_id)}: stop it there first", self.path, "owned"
            )
        return held

    def owner(self, run_id: str) -> str:
        """The process that started or last resumed a run, in words."""
        with self._connect() as db:
            row = db.execute("SELECT pid, host FROM runs WHERE id=?", (run_id,)).fetchone()
        return f"process {row['pid']} on {row['host']}" if row else "another process"

    def is_training(self, run_id: str) -> bool:
        """Whether a process still trains the run: its lock is held (or, where no lock can
        tell, its process is alive on this host)."""
        row = self.get_run(run_id)
        if row is None or row["status"] != "running":
            return False
        held = ownership.held(self.runs_dir / row["id"])
        if held is not None:
            return held
        return row["host"] != socket.gethostname() or _pid_alive(row["pid"])

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

    def set_epochs(self, run_id: str, history: list[dict[str, Any]]) -> None:
        """Make the stored epochs exactly ``history`` (a checkpoint's): rows beyond it go,
        rows it has are written."""
        last = history[-1]["epoch"] if history else 0
        with self._connect() as db:
            db.execute("DELETE FROM epochs WHERE run_id=? AND epoch>?", (run_id, last))
            for row in history:
                metrics = {k: v for k, v in row.items() if k != "epoch"}
                db.execute(
                    "INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?,?,?)",
                    (run_id, row["epoch"], _json(metrics)),
                )
            db.execute("UPDATE runs SET epochs_done=? WHERE id=?", (last, run_id))

    def delete_run(self, run_id: str) -> None:
        """Delete a run, its epochs and files; a run still training is refused (its process
        would go on writing to rows that are gone)."""
        self._check_writable()
        if self.is_training(run_id):
            raise ValueError(f"run {run_id} is still training in {self.owner(run_id)}: stop it first, then delete it")
        with self._connect() as db:
            db.execute("DELETE FROM runs WHERE id=?", (run_id,))
        shutil.rmtree(self.runs_dir / run_id, ignore_errors=True)

    def mark_interrupted(self) -> int:
        """Runs left "running" by a process that is gone were interrupted: their lock is
        free (whatever the host is called now), or, for runs without one, their process
        on this host no longer exists."""
        host = socket.gethostname()
        with self._connect() as db:
            rows = db.execute("SELECT id, pid, host FROM runs WHERE status='running'").fetchall()
        dead = []
        for r in rows:
            held = ownership.held(self.runs_dir / r["id"]) if (self.path.parent / "runs").is_dir() else None
            if held is False or (held is None and r["host"] == host and not _pid_alive(r["pid"])):
                dead.append(r["id"])
        if dead:
            with self._connect() as db:
                for run_id in dead:
                    db.execute(
                        "UPDATE runs SET status='interrupted', error=? WHERE id=? AND status='running'",
                        ("the process running it ended before the run did", run_id),
                    )
        return len(dead)

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(
                f"the run store {self.path} is read-only: runs can be listed and shown but not saved; "
                "make it writable or point DLP_HOME at another folder",
                self.path,
                "read-only",
            )

    # -- reading

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run with this id, or the one run whose id starts with it; None when there is
        none. A prefix of several runs' ids raises KeyError naming some of them."""
        if not isinstance(run_id, str):
            raise TypeError(
                f"a run id is text, such as '20260101-120000-ab12cd', not {type(run_id).__name__} {run_id!r}"
            )
        if not run_id:
            return None  # the empty prefix would match every run
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                prefix = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                matches = db.execute(
                    "SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY created DESC", (prefix + "%",)
                ).fetchall()
                if len(matches) > 1:
                    shown = ", ".join(m["id"] for m in matches[:_SHOWN_MATCHES])
                    more = f" and {len(matches) - _SHOWN_MATCHES} more" if len(matches) > _SHOWN_MATCHES else ""
                    raise KeyError(
                        f"run id {run_id!r} matches {len(matches)} runs ({shown}{more}): give more of the id"
                    )
                row = matches[0] if matches else None
        return self._row(row) if row is not None else None

    def list_runs(self) -> list[dict[str, Any]]:
        """Every run, newest first; a run whose stored spec or metrics cannot be read is
        still listed, with ``spec`` and ``metrics`` empty and a ``note`` saying so."""
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
        # one damaged row must not hide every other run: its unreadable parts become empty
        # (callers index into them) and a note says which; the row itself is left as it is
        out = dict(row)
        unreadable = []
        spec = _loads(out["spec"])
        if not isinstance(spec, dict):
            unreadable.append("spec")
            spec = {}
        metrics = _loads(out["metrics"]) if out["metrics"] else {}
        if not isinstance(metrics, dict):
            unreadable.append("metrics")
            metrics = {}
        out["spec"], out["metrics"] = spec, metrics
        if unreadable:
            out["note"] = f"the stored {' and '.join(unreadable)} of this run cannot be read (not a JSON object)"
        return out


def _loads(text: Any) -> Any:
    """``text`` as JSON, or None when it is not JSON at all."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None


def open_store(path: Path | None = None) -> RunStore:
    """The store at ``path``, or the default one under ``DLP_HOME`` (or ``~/.dlp_widgets``)."""
    return RunStore(path or dlp_home() / "runs.sqlite")
