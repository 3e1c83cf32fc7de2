"""The progress table of the lessons: one row per question or exercise, with its attempts and
last detail; once passed it stays passed. Separate because it has nothing to do with runs:
the quizzes and lessons keep it in the same store only so that it lives in one place."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from .connection import StoreConnection, json_text


class ProgressTable(StoreConnection):
    """The learning-progress part of RunStore."""

    def record_progress(
        self, item: str, kind: str, passed: bool, *, lesson: str | None = None, detail: Any = None
    ) -> dict[str, Any]:
        with self._connect() as db:
            db.execute(
                "INSERT INTO progress (item, lesson, kind, passed, attempts, detail, updated) VALUES (?,?,?,?,1,?,?) "
                "ON CONFLICT(item) DO UPDATE SET passed=MAX(passed, excluded.passed), attempts=attempts+1, "
                "lesson=excluded.lesson, kind=excluded.kind, detail=excluded.detail, updated=excluded.updated",
                (item, lesson, kind, int(bool(passed)), json_text(detail), time.time()),
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
