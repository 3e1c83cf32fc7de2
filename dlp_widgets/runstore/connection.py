"""The run store's connection to SQLite and what its errors mean: a connection per operation
(safe from any thread, nothing held open across a crash), read-only and immutable when the
store could only be opened for reading, and every SQLite failure that makes the file unusable
(not a database, damaged, read-only, locked, a full disk, an I/O error) turned into a
``StoreError`` in words. Separate because every table's methods go through it, and it knows
nothing of runs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import DLPError
from ..home import write_error_reason

# how long a write waits for another process's write before the store counts as locked
LOCK_TIMEOUT = 30.0


class StoreError(DLPError):
    """The run store's file cannot be used: not a SQLite database, damaged, not ours,
    read-only, locked or on a full disk. It is left exactly as it was. ``path`` is the
    file; ``reason`` one word for code ("read-only", "locked", "cannot write", ...)."""

    kind = "store"

    def __init__(self, message: str, path: Path, reason: str = "unusable") -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason

    def where(self) -> dict[str, Any]:
        return {"path": str(self.path), "reason": self.reason}


def json_text(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


class StoreConnection:
    """The connection part of RunStore: ``path`` is the database file; ``read_only`` is set
    when the store can be read but not written."""

    path: Path
    read_only: bool

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
            if not self.read_only:  # WAL: a crashed process loses no commit; only power loss could
                db.execute("PRAGMA synchronous=NORMAL")
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

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(
                f"the run store {self.path} is read-only: runs can be listed and shown but not saved; "
                "make it writable or point DLP_HOME at another folder",
                self.path,
                "read-only",
            )
