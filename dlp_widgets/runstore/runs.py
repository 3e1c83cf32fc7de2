"""The runs table: a run created under a name no other run takes, claimed by the process that
trains it, resumed, finished, renamed and deleted (never while another process trains it),
runs left "running" by a process that is gone marked "interrupted", and runs read back (by id
or an unambiguous prefix; a damaged row still listed, with a note). Separate from the epochs
and artefacts tables, which only hang off a run's id, and from the lessons' progress."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import time
import uuid
from typing import Any

from . import ownership
from .connection import StoreConnection, StoreError, json_text
from .folders import RunFolders

STATUSES = ("running", "finished", "stopped", "diverged", "failed", "interrupted")

# how many of the runs an ambiguous id prefix matches are named in the error
_SHOWN_MATCHES = 5


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _loads(text: Any) -> Any:
    """``text`` as JSON, or None when it is not JSON at all."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None


class RunsTable(StoreConnection, RunFolders):
    """The runs part of RunStore."""

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
                    json_text(spec),
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

    def finish_run(
        self, run_id: str, status: str, metrics: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        assert status in STATUSES
        with self._connect() as db:
            db.execute(
                "UPDATE runs SET status=?, finished=?, metrics=?, error=? WHERE id=?",
                (status, time.time(), json_text(metrics or {}), error, run_id),
            )

    def rename(self, run_id: str, name: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE runs SET name=? WHERE id=?", (name, run_id))

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
