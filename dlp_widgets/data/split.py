"""The split into training and test rows, stratified by class when shuffled.

The standalone training script (``export/script.py``) copies these functions' source, so
that it splits exactly as the run did: they use only numpy, ``DataError`` (which the
script defines too), ``FIT_CHUNK`` and each other."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .errors import DataError
from .fast_rows import FIT_CHUNK


def split_positions(
    n: int,
    labels: np.ndarray | None,
    classes: list[str] | None,
    *,
    test_size: float,
    shuffle: bool,
    seed: int,
    shuffled: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row positions. Without shuffle the last rows are the test rows; with
    it, classification splits are stratified: each class keeps its share in both parts.
    ``shuffled`` is ``shuffled_rows(n, seed)`` if the caller has computed it already."""
    n_test = int(np.ceil(test_size * n))
    if n < 2 or n_test < 1 or n - n_test < 1:
        raise DataError(f"{n:,} row(s) cannot be split into training and test rows with test_size {test_size:g}")
    if not shuffle:
        return np.arange(n - n_test), np.arange(n - n_test, n)
    perm = shuffled if shuffled is not None else shuffled_rows(n, seed)
    if labels is None:
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])
    counts = class_counts(labels, len(classes))
    rare = int(np.argmin(counts))
    if counts[rare] < 2:
        raise DataError(
            f'class "{classes[rare]}" has only {counts[rare]} row; each class needs at least 2 rows '
            "so that both the training and the test split can hold one"
        )
    if n_test < len(classes):
        raise DataError(
            f"the test split would hold {n_test} rows, fewer than the {len(classes)} classes; "
            f"raise test_size to at least {len(classes) / n:.2f}"
        )
    # test rows per class: proportional, the remainder to the largest fractions, and at least
    # one row of each class on each side
    exact = counts * (n_test / n)
    quota = np.floor(exact).astype(np.int64)
    remainder = n_test - quota.sum()
    quota[np.argsort(-(exact - quota), kind="stable")[:remainder]] += 1
    quota = np.clip(quota, 1, counts - 1)
    # each class's first rows in the shuffled order are its test rows
    in_test = np.zeros(n, dtype=bool)
    for c, positions in enumerate(positions_by_class(labels, perm, counts)):
        in_test[perm[positions[: quota[c]]]] = True
    return np.nonzero(~in_test)[0], np.nonzero(in_test)[0]


def shuffled_rows(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n)


def positions_by_class(labels: np.ndarray, perm: np.ndarray, counts: np.ndarray) -> Iterator[np.ndarray]:
    """For each class in turn, the positions in ``perm`` of its rows, in ``perm`` order.
    The labels are in (or cast to) the smallest unsigned type before they are shuffled, so
    the shuffle moves bytes rather than int64s."""
    shuffled = labels.astype(np.min_scalar_type(len(counts) - 1), copy=False)[perm]
    if len(counts) <= 8:  # a pass per class is cheaper than a sort, and allocates less
        for c in range(len(counts)):
            yield np.flatnonzero(shuffled == c)
        return
    # a stable sort by class; on small unsigned integers numpy's stable sort is a radix sort
    grouped = np.argsort(shuffled, kind="stable")
    ends = np.cumsum(counts)
    for end, count in zip(ends, counts, strict=True):
        yield grouped[end - count : end]


def class_counts(values: np.ndarray, length: int) -> np.ndarray:
    """``np.bincount(values, minlength=length)`` in chunks: it copies its input into int64
    (eight bytes a row, for labels of one), which for a whole column is fresh memory."""
    counts = np.zeros(length, dtype=np.int64)
    for start in range(0, len(values), FIT_CHUNK):
        counts += np.bincount(values[start : start + FIT_CHUNK], minlength=length)
    return counts
