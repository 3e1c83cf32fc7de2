"""The run store's folders and the files it protects: the runs folder beside the database, a
folder per run, and which paths are the store's own (the database and its -wal and -shm
files, a run's checkpoints and records, the cache), so that an export never replaces them.
Separate because it is about paths only; no SQL."""

from __future__ import annotations

from pathlib import Path

from ..home import ensure_folder
from . import ownership


class RunFolders:
    """The folders part of RunStore; ``path`` is the database file."""

    path: Path

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
