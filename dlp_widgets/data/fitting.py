"""Each feature's kind checked and its encoding learned from the training rows only:
numeric columns' medians, means and standard deviations, booleans' most frequent value,
the categories seen in training; then the model inputs written with them.

``numeric_fit`` (with ``median_in_place`` and ``mean_std``), ``boolean_fill`` and
``categories_and_fill`` hold the rules, and are copied into the standalone training
script (``export/script.py``): they use only numpy, pandas, math, ``DataError``,
``FIT_CHUNK``, ``category_name`` and each other."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from .columns import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    EMPTY,
    NUMERIC,
    TEXT,
    UNSUPPORTED,
    as_bool,
    column_kind,
    unusable_values,
)
from .errors import DataError
from .fast_rows import FIT_CHUNK, ROW_CHUNK, NotFinite, Scratch, parallel_map, write_rows
from .preprocessor import FeatureEncoding, Preprocessor, category_name, non_finite_error, numeric_column
from .values import factorize, odd_value_error


class Factorized(dict):
    """``factorize`` results (codes, uniques) of a frame's columns, computed on first use."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def __missing__(self, name: str) -> tuple[np.ndarray, Any]:
        self[name] = factorize(self.frame[name])
        return self[name]

    def count(self, name: str) -> int:
        """The number of distinct values, as ``nunique()`` counts them."""
        return len(self[name][1])


def feature_kinds(
    frame: pd.DataFrame, features: list[str], max_categories: int, factorized: Factorized
) -> dict[str, str]:
    """Each feature's kind (numeric, boolean or categorical), or a ``DataError`` for a
    column no model here can use."""
    return {name: _usable_kind(frame[name], name, max_categories, partial(factorized.count, name)) for name in features}


def _usable_kind(series: pd.Series, name: str, max_categories: int, count_unique: Callable[[], int]) -> str:
    kind = column_kind(series, max_categories, count_unique)
    if kind == EMPTY:
        raise DataError(f'column "{name}" has no values; remove it from the features', column=name)
    if kind == TEXT:
        raise DataError(
            f'column "{name}" holds free text, which the playground cannot use as a feature; remove it from the features',
            column=name,
        )
    if kind == DATETIME:
        if pd.api.types.is_timedelta64_dtype(series.dtype):
            raise DataError(
                f'column "{name}" holds durations (time spans); remove it from the features '
                "(or turn it into numbers, e.g. seconds)",
                column=name,
            )
        raise DataError(
            f'column "{name}" holds dates or times; remove it from the features (or turn it into numbers, e.g. a year column)',
            column=name,
        )
    if kind == UNSUPPORTED:
        if pd.api.types.is_object_dtype(series.dtype):  # the first odd value, with its row
            raise odd_value_error(series)
        raise DataError(
            f'column "{name}" holds {unusable_values(series)}, which the playground cannot use as a feature; '
            "remove it from the features",
            column=name,
        )
    return kind


def fit_encoding(
    series: pd.Series, kind: str, factorized: Factorized, train_pos: np.ndarray, max_categories: int
) -> FeatureEncoding:
    """A feature's encoding, fitted on the training rows if it is boolean or categorical;
    numeric columns are fitted later, in ``fit_and_write``."""
    if kind == BOOLEAN:
        return _fit_boolean(series.iloc[train_pos], series.name)
    if kind == CATEGORICAL:
        return _fit_categorical(factorized[series.name], train_pos, series.name, max_categories)
    return FeatureEncoding(series.name, NUMERIC)


def fit_and_write(
    frame: pd.DataFrame,
    pre: Preprocessor,
    factorized: Factorized,
    order: np.ndarray,
    n_train: int,
    *,
    scale: bool = True,
) -> np.ndarray:
    """The model inputs, rows in ``order``, once the numeric features' statistics are
    learned from the first ``n_train`` of them (the training rows). Without ``scale`` the
    numbers keep their own units (missing values are still filled)."""
    numeric = [f for f in pre.features if f.kind == NUMERIC]
    numeric_values = {f.name: numeric_column(frame, f.name) for f in numeric}  # conversion errors first
    train = Scratch((n_train,), np.float32)  # reused column after column
    try:
        parallel_map(
            lambda f: _fit_numeric(f, numeric_values[f.name], order[:n_train], train.array),
            numeric,
            parallel=n_train >= ROW_CHUNK,  # else not worth starting threads
        )
        if not scale:  # the saved preprocessor then says so too: predictions read it
            for f in numeric:
                f.mean, f.std = 0.0, 1.0
        X = np.empty((len(order), pre.n_inputs), dtype=np.float32)
        write_rows(X, pre.row_writers(frame, numeric_values, factorized), order)
    except NotFinite:
        raise non_finite_error(frame, numeric) from None
    return X


# ---------------------------------------------------------------- numeric


def _fit_numeric(f: FeatureEncoding, values: np.ndarray, train_pos: np.ndarray, train: np.ndarray) -> None:
    """A numeric column's median, missing count, mean and standard deviation, from its
    training rows only, gathered as float32 into the scratch array ``train`` (which the
    median's partition reorders)."""
    # Beyond float32 becomes inf in the cast, and inf makes the median or the deviations
    # NaN: all without a warning, as the mean then says that something is wrong.
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(train), FIT_CHUNK):  # in chunks: reusable temporaries
            train[start : start + FIT_CHUNK] = values[train_pos[start : start + FIT_CHUNK]]
        fill, f.missing_train, f.mean, f.std = numeric_fit(train, f.name)
        f.fill = float(fill)
    # a sum in float64 of finite float32 values is finite: only inf makes the mean infinite
    if not math.isfinite(f.mean):
        raise NotFinite


def numeric_fit(train: np.ndarray, name: str) -> tuple[np.floating, int, float, float]:
    """The fill (the median), the number of missing values, the mean and the standard
    deviation of a numeric column's float32 training values ``train``; the mean and
    standard deviation are those of the filled column. Fills ``train`` in place."""
    missing = len(train) - int(np.count_nonzero(train == train))  # NaN is not equal to itself
    if missing == len(train):
        raise DataError(f'column "{name}" has no values in the training rows', column=name)
    fill = median_in_place(train, len(train) - missing)
    if missing:
        np.copyto(train, fill, where=np.isnan(train))
    mean, std = mean_std(train)
    return fill, missing, mean, std


def median_in_place(values: np.ndarray, present: int) -> np.floating:
    """The exact median of the ``present`` values of float32 ``values`` that are not NaN,
    partitioning them in place (NaN sorts last, so it never lands in the lower half): the
    middle value, or the mean of the two middle values in float32, as ``np.median`` gives
    it."""
    k = present // 2
    values.partition(k)
    upper = values[k]
    if present % 2:
        return upper
    return (values[:k].max() + upper) / np.float32(2)


def mean_std(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation in float64 of float32 ``values``; the standard deviation
    of a constant column counts as 1. The squared deviations are summed a chunk at a time:
    a float64 copy of the whole column would be fresh memory for every column."""
    mean = np.add.reduce(values, dtype=np.float64) / len(values)
    squares = 0.0
    for start in range(0, len(values), FIT_CHUNK):
        deviations = values[start : start + FIT_CHUNK] - mean  # float64
        deviations *= deviations  # (not np.dot: BLAS wakes its threads for every chunk)
        squares += float(np.add.reduce(deviations))
    return float(mean), math.sqrt(squares / len(values)) or 1.0


# ---------------------------------------------------------------- boolean and categorical


def _fit_boolean(train: pd.Series, name: str) -> FeatureEncoding:
    """A boolean column, fitted on its training rows."""
    return FeatureEncoding(name, BOOLEAN, fill=boolean_fill(as_bool(train)), missing_train=int(train.isna().sum()))


def boolean_fill(train: pd.Series) -> float:
    """What fills a boolean column's missing values: the most frequent of its training
    rows' 0/1 values (``as_bool``), 0 when they have none."""
    mode = train.mode()
    return float(mode.iloc[0]) if len(mode) else 0.0


def _fit_categorical(
    factorized: tuple[np.ndarray, Any], train_pos: np.ndarray, name: str, max_categories: int
) -> FeatureEncoding:
    """A categorical column, fitted on its training rows, from the whole column's
    ``factorize`` codes."""
    codes, uniques = factorized
    if len(uniques) > max_categories:
        raise DataError(
            f'column "{name}" has {len(uniques):,} distinct values; one-hot encoding is capped at {max_categories} '
            "categories. Remove it from the features (an ID or a name column?) or raise max_categories.",
            column=name,
        )
    missing, *counts = _train_counts(codes, train_pos, len(uniques)).tolist()
    categories, fill = categories_and_fill(zip(uniques, counts, strict=True), missing)
    return FeatureEncoding(name, CATEGORICAL, fill=fill, categories=categories, missing_train=missing)


def categories_and_fill(counts: Iterable[tuple[Any, int]], missing: int) -> tuple[list[str], str]:
    """The categories seen in the training rows, given each value's count there, and the
    value that fills their ``missing`` values: the most frequent one. Values that look the
    same are one category (``category_name``); the fill is a category too when values are
    missing."""
    seen: dict[str, int] = {}
    for value, count in counts:
        if count:
            shown = category_name(value)
            seen[shown] = seen.get(shown, 0) + count
    # the most frequent value (ties: the first in sorted order, as pandas' mode does)
    fill = min((-c, n) for n, c in seen.items())[1] if seen else ""
    return sorted(set(seen) | ({fill} if missing else set())), fill


def _train_counts(codes: np.ndarray, train_pos: np.ndarray, n_codes: int) -> np.ndarray:
    """How often each code occurs in the training rows, missing (-1) first."""
    counts = np.zeros(n_codes + 1, dtype=np.int64)
    for start in range(0, len(train_pos), FIT_CHUNK):
        shifted = codes[train_pos[start : start + FIT_CHUNK]]
        shifted += 1  # missing (-1) counted in bin 0
        counts += np.bincount(shifted, minlength=n_codes + 1)  # in chunks, see split.class_counts
    return counts
