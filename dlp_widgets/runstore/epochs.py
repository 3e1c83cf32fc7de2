"""The epochs table: one row of metrics per finished epoch of a run, written as training goes
and set back to a checkpoint's history when a run resumes from it; beside it, each epoch's
signals for the training coach (gradient norms, inactive units, predictions per class).
Separate because these are the tables a training run writes to every epoch."""

from __future__ import annotations

import json
from typing import Any

from .connection import StoreConnection, json_text


class EpochsTable(StoreConnection):
    """The epochs part of RunStore."""

    def add_epoch(
        self, run_id: str, epoch: int, metrics: dict[str, Any], signals: dict[str, Any] | None = None
    ) -> None:
        self.add_epochs(run_id, [(epoch, metrics, signals)])

    def add_epochs(self, run_id: str, rows: list[tuple[int, dict[str, Any], dict[str, Any] | None]]) -> None:
        """Epochs' rows (epoch, metrics, signals or None), in order, in one transaction: short
        epochs are saved several at a time."""
        if not rows:
            return
        with self._connect() as db:
            for epoch, metrics, signals in rows:
                db.execute(
                    "INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?,?,?)",
                    (run_id, epoch, json_text(metrics)),
                )
                if signals is not None:
                    db.execute(
                        "INSERT OR REPLACE INTO epoch_signals (run_id, epoch, signals) VALUES (?,?,?)",
                        (run_id, epoch, json_text(signals)),
                    )
            db.execute("UPDATE runs SET epochs_done=? WHERE id=?", (rows[-1][0], run_id))

    def set_epochs(self, run_id: str, history: list[dict[str, Any]]) -> None:
        """Make the stored epochs exactly ``history`` (a checkpoint's): rows beyond it go,
        rows it has are written."""
        last = history[-1]["epoch"] if history else 0
        with self._connect() as db:
            db.execute("DELETE FROM epochs WHERE run_id=? AND epoch>?", (run_id, last))
            db.execute("DELETE FROM epoch_signals WHERE run_id=? AND epoch>?", (run_id, last))
            for row in history:
                metrics = {k: v for k, v in row.items() if k != "epoch"}
                db.execute(
                    "INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?,?,?)",
                    (run_id, row["epoch"], json_text(metrics)),
                )
            db.execute("UPDATE runs SET epochs_done=? WHERE id=?", (last, run_id))

    def epochs(self, run_id: str) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT epoch, metrics FROM epochs WHERE run_id=? ORDER BY epoch", (run_id,)).fetchall()
        return [{"epoch": r["epoch"], **json.loads(r["metrics"])} for r in rows]

    def signals(self, run_id: str) -> list[dict[str, Any]]:
        """The coach's signals of each epoch that has them, in order."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT epoch, signals FROM epoch_signals WHERE run_id=? ORDER BY epoch", (run_id,)
            ).fetchall()
        return [{**json.loads(r["signals"]), "epoch": r["epoch"]} for r in rows]
