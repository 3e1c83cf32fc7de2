"""The preparation's fast path: model inputs written a chunk of rows at a time into small
scratch blocks that stay in cache, on up to two threads, and counts taken in chunks.
Nothing here knows about columns or encodings: callers hand in one writer per feature."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

# Rows prepared per step (see write_rows): the step's scratch, outputs × rows floats,
# stays in the processor's cache, and its temporaries are small enough to be reused. Not
# a power of two: the scratch's rows would then lie a power of two bytes apart, all in
# the same cache sets, and its transposed copy ran three times slower.
ROW_CHUNK = 30_000
# Training rows per step of a numeric column's statistics: long steps release the GIL for
# longer (for the other thread), and float64 temporaries of 1.6 MB are still reused.
FIT_CHUNK = 200_000
# Threads for the numeric statistics and the row chunks: numpy releases the GIL in its
# loops, so a second core shortens them. (pandas.read_csv uses two cores too.) No more
# than two: the machines this runs on have few cores, shared.
WORKERS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

# Writes one feature's outputs for some rows (an index array or a slice) into a
# (outputs × rows) float32 block.
RowWriter = Callable[[Any, np.ndarray], None]


class NotFinite(Exception):
    """A numeric feature holds a value that is not finite in float32; the caller, which
    knows the frame, turns this into a ``DataError`` saying where (``non_finite_error``)."""


def write_rows(out: np.ndarray, writers: list[tuple[int, RowWriter]], order: np.ndarray | None = None) -> None:
    """Every row of the row-major ``out`` (source rows in ``order`` when given), a chunk of
    rows at a time (on ``WORKERS`` threads): each writer fills its outputs' rows of a
    small (outputs × rows) block, where each output is contiguous for the arithmetic, and
    the block is copied into ``out`` transposed, as whole consecutive rows of ``out``.
    Blocks and temporaries are small, so they stay in cache and are reused rather than
    page-faulted in, which on a busy machine costs more than the arithmetic."""
    block = Scratch((out.shape[1], min(ROW_CHUNK, len(out))), np.float32)
    parallel_map(partial(_write_chunk, out, writers, order, block), range(0, len(out), ROW_CHUNK))


def _write_chunk(
    out: np.ndarray, writers: list[tuple[int, RowWriter]], order: np.ndarray | None, block: Scratch, start: int
) -> None:
    stop = min(start + ROW_CHUNK, len(out))
    rows = slice(start, stop) if order is None else order[start:stop]
    part = block.array[:, : stop - start]
    first = 0
    for width, write in writers:
        write(rows, part[first : first + width])
        first += width
    out[start:stop] = part.T


class Scratch(threading.local):
    """A scratch array for each thread: made on the thread's first use, then reused."""

    def __init__(self, shape: tuple[int, ...], dtype: type) -> None:
        self.array = np.empty(shape, dtype=dtype)


def parallel_map(fn: Callable[[Any], Any], items: Sequence[Any], parallel: bool = True) -> list[Any]:
    """``fn`` over ``items``, on ``WORKERS`` threads when ``parallel``; the results, and
    the first error, in the items' order, as a plain loop gives them."""
    if not parallel or WORKERS < 2 or len(items) < 2:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(fn, item) for item in items]
        try:
            return [future.result() for future in futures]
        finally:
            for future in futures:  # after an error, what has not started need not run
                future.cancel()


def write_numeric(
    columns: list[np.ndarray], fills: np.ndarray, means: np.ndarray, stds: np.ndarray, rows: Any, dest: np.ndarray
) -> None:
    """Numeric columns, a row of ``dest`` each: gathered and cast to float32, then
    filled and standardised with per-column ``fills``, ``means`` and ``stds`` (k × 1).
    Raises ``NotFinite`` if a value is infinite, or too large for float32."""
    # too large for float32 becomes inf in the cast: found by the check below, with no
    # warning printed on the way
    with np.errstate(over="ignore"):
        for row, values in zip(dest, columns, strict=True):
            row[:] = values[rows]
        standardise(dest, fills, means, stds)
    # the block is still in cache: a pass over it costs little next to the gathering
    if not np.isfinite(dest).all():
        raise NotFinite


def write_values(values: np.ndarray, rows: Any, dest: np.ndarray) -> None:
    dest[0] = values[rows]


def write_one_hot(codes: np.ndarray, rows: Any, dest: np.ndarray) -> None:
    """1 in the output of the row's category; code -1 (unknown) matches none."""
    np.equal(codes[rows], np.arange(len(dest))[:, None], out=dest)


def standardise(values: np.ndarray, fills: np.ndarray, means: np.ndarray, stds: np.ndarray) -> None:
    """Missing values filled and each row of ``values`` standardised, in place, in float32.
    (Copied into the standalone training script: numpy only.)"""
    missing = np.isnan(values)
    if missing.any():
        np.copyto(values, fills, where=missing)
    values -= means
    values /= stds
