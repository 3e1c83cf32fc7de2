"""Each epoch's record — its checkpoint, then its row in the store — written while the next
epoch trains. One writer thread takes the epochs in order, so the checkpoint still comes
before its row (a kill between the two leaves weights a row ahead of the store, which a
resume puts right). What it writes is a snapshot taken when the epoch ended: the weights
copy the loop keeps anyway, and a copy of the optimizer's state.

Someone watching (a subscriber) sees an epoch's end only once its record is written, so
what they are shown is saved; with nobody watching, training goes on at once.

A failed write stops everything after it, and the training thread hears of it at the next
epoch's end or when it waits for the writer (before the run's ending is saved): the run
then fails with that write's message, as if the write had been its own. Large models
are written in the training thread: their epochs are long, and a copy of their optimizer
state would cost memory."""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import torch

# Above this many parameters, records are written in the training thread.
BACKGROUND_MAX_PARAMS = 2_000_000


class EpochRecords:
    def __init__(self, model: torch.nn.Module | None) -> None:
        n = sum(p.numel() for p in model.parameters()) if model is not None else 0
        self.background = model is not None and n <= BACKGROUND_MAX_PARAMS
        self._pool: ThreadPoolExecutor | None = None
        self._last: Future | None = None
        self._error: BaseException | None = None

    def optimizer_snapshot(self, optimizer: torch.optim.Optimizer) -> dict:
        state = optimizer.state_dict()  # its tensors are the live ones, changed by the next step
        return copy.deepcopy(state) if self.background else state

    def write(self, record: Callable[[], None]) -> Future | None:
        """Write one record (after every earlier one); raises an earlier failure. The
        future ends when it is written (or has failed); None when written at once."""
        self.raise_failure()
        if not self.background:
            record()
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlp-records")
        self._last = self._pool.submit(self._run, record)
        return self._last

    def _run(self, record: Callable[[], None]) -> None:
        if self._error is None:  # after a failure, nothing more: no row past a missing one
            try:
                record()
            except BaseException as exc:  # noqa: BLE001 - handed to the training thread
                self._error = exc

    def raise_failure(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def flush(self) -> None:
        """Every record so far written (or the first failure raised)."""
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
