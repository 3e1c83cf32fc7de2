"""Each epoch's record — its checkpoint, then its row in the store — written while the next
epoch trains. Short epochs are saved together: an epoch that ends less than RECORD_INTERVAL
after the last write waits for the next one (its row goes with it, the checkpoint is the
latest epoch's), since on a toy set's 15 ms epochs a write each cost a third of the
training. The first epoch, the ending and every epoch someone waits for are written at
once. One writer thread takes the epochs in order, so the checkpoint still comes before its
row (a kill between the two leaves weights a row ahead of the store, which a resume puts
right). What it writes is a snapshot taken when the epoch ended: the weights copy the loop
keeps anyway, and a copy of the optimizer's state.

Someone watching (a subscriber) sees an epoch's end only once its record is written, so
what they are shown is saved; with nobody watching, training goes on at once.

A failed write stops everything after it, and the training thread hears of it at the next
epoch's end or when it waits for the writer (before the run's ending is saved): the run
then fails with that write's message, as if the write had been its own. Large models
are written in the training thread: their epochs are long, and a copy of their optimizer
state would cost memory."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import torch

# Above this many parameters, records are written in the training thread.
BACKGROUND_MAX_PARAMS = 2_000_000
# Seconds from one write to the next, at least, while epochs are short: a kill loses no more.
RECORD_INTERVAL = 1.0

Row = tuple[int, dict[str, Any], dict[str, Any] | None]  # epoch, metrics, signals
# writes a checkpoint (write_checkpoint's arguments), the best epoch's weights when they are
# new since the last write (epoch, state), and the rows since then
Save = Callable[[dict[str, Any], "tuple[int, dict] | None", list[Row]], None]


class EpochRecords:
    def __init__(self, model: torch.nn.Module | None, save: Save | None = None) -> None:
        n = sum(p.numel() for p in model.parameters()) if model is not None else 0
        self.background = model is not None and n <= BACKGROUND_MAX_PARAMS
        self._save = save
        self._pool: ThreadPoolExecutor | None = None
        self._last: Future | None = None
        self._error: BaseException | None = None
        self._failed = False  # a write failed: nothing more is written, no row past a missing one
        self._checkpoint: dict[str, Any] | None = None  # the latest epoch's, not yet written
        self._best: tuple[int, dict] | None = None
        self._rows: list[Row] = []
        self._written_at = -float("inf")

    def add_epoch(self, checkpoint: dict[str, Any], row: Row, *, improved: bool, urgent: bool) -> None:
        """One epoch's record, written now or with the next write (see above); ``urgent``
        when someone waits to be shown it saved. Raises an earlier write's failure."""
        self.raise_failure()
        self._checkpoint = checkpoint
        self._rows.append(row)
        if improved:
            self._best = (checkpoint["epoch"], checkpoint["model_state"])
        if urgent or not self.background or time.monotonic() - self._written_at >= RECORD_INTERVAL:
            self.write_unsaved()
            self.raise_failure()

    def write_unsaved(self) -> None:
        """Start writing the epochs kept for the next write, if any. Never raises: a failure
        is kept for ``flush`` and the next epoch, as a background write's is."""
        if self._checkpoint is None or self._save is None or self._failed:
            return
        save, checkpoint, best, rows = self._save, self._checkpoint, self._best, self._rows
        self._checkpoint, self._best, self._rows = None, None, []
        self._written_at = time.monotonic()
        if self.background:
            self._submit(lambda: save(checkpoint, best, rows))
        else:
            self._run(lambda: save(checkpoint, best, rows))

    def optimizer_snapshot(self, optimizer: torch.optim.Optimizer) -> dict:
        state = optimizer.state_dict()  # its tensors are the live ones, changed by the next step
        return _copied(state) if self.background else state

    def write(self, record: Callable[[], None]) -> Future | None:
        """Write one record (after every earlier one); raises an earlier failure. The
        future ends when it is written (or has failed); None when written at once."""
        self.raise_failure()
        if not self.background:
            record()
            return None
        return self._submit(record)

    def _submit(self, record: Callable[[], None]) -> Future:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlp-records")
        self._last = self._pool.submit(self._run, record)
        return self._last

    def _run(self, record: Callable[[], None]) -> None:
        if not self._failed:
            try:
                record()
            except BaseException as exc:  # noqa: BLE001 - handed to the training thread
                self._failed, self._error = True, exc

    def raise_failure(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def flush(self) -> None:
        """Every record so far written (or the first failure raised)."""
        self.write_unsaved()
        if self._last is not None:
            self._last.result()
            self._last = None
        self.raise_failure()

    def wait(self) -> None:
        """``flush``, and the writer thread ends."""
        self.flush()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _copied(value: Any) -> Any:
    """A copy of an optimizer's state: its tensors cloned, its dicts, lists and tuples
    rebuilt, anything else deep-copied. ``copy.deepcopy`` does the same at eight times the
    cost, which on a toy set's short epochs was a twentieth of the training."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if type(value) is dict:
        return {key: _copied(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_copied(item) for item in value)
    if value is None or type(value) in (bool, int, float, str):
        return value
    return copy.deepcopy(value)
