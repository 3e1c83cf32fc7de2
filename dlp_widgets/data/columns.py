"""What kind of data each column holds, decided from its values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL, BOOLEAN, TEXT, DATETIME, EMPTY = "numeric", "categorical", "boolean", "text", "datetime", "empty"

_TRUE = {"true", "yes", "y", "t"}
_FALSE = {"false", "no", "n", "f"}
_SAMPLE = 2000


def column_kind(series: pd.Series, max_categories: int = 50, count_unique: Callable[[], int] | None = None) -> str:
    """numeric, categorical, boolean, text, datetime, or empty (no values at all).
    ``count_unique``, when given, counts the distinct values instead of ``series.nunique()``
    (for a caller that factorises the column anyway)."""
    dtype = series.dtype
    # dtype checks first: they cost nothing, while dropna copies the column
    if pd.api.types.is_bool_dtype(dtype):
        return BOOLEAN
    if pd.api.types.is_numeric_dtype(dtype):
        return NUMERIC if _has_values(series) else EMPTY
    if not _has_values(series):
        return EMPTY
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return DATETIME
    if isinstance(dtype, pd.CategoricalDtype):
        return CATEGORICAL
    # decide from the first non-missing values: a full dropna would copy the column
    head = series.iloc[: 4 * _SAMPLE].dropna()
    sample = head.iloc[:_SAMPLE] if len(head) else series.dropna().iloc[:_SAMPLE]
    if not all(isinstance(v, str) for v in sample):
        # mixed objects: numbers written as text are still numbers
        return NUMERIC if pd.to_numeric(sample, errors="coerce").notna().all() else CATEGORICAL
    lowered = set(sample.str.strip().str.lower().unique())
    if lowered and (lowered <= _TRUE | _FALSE) and lowered & _TRUE and lowered & _FALSE:
        return BOOLEAN
    if _looks_like_dates(sample):
        return DATETIME
    n_unique = count_unique() if count_unique is not None else series.nunique()
    if n_unique <= max_categories:
        return CATEGORICAL
    words = sample.str.count(r"\s+").median() + 1
    if words >= 3 or sample.str.len().median() > 30:
        return TEXT
    return CATEGORICAL  # many short labels: one-hot would be too wide, reported by the caller


def _has_values(series: pd.Series) -> bool:
    # a present first value settles it without a pass over the whole column
    return bool(series.iloc[:1].notna().any() or series.notna().any())


def _looks_like_dates(sample: pd.Series) -> bool:
    head = sample.iloc[:200]
    if not head.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{4}-\d{2}", regex=True).mean() > 0.9:
        return False
    parsed = pd.to_datetime(head, errors="coerce", format="mixed")
    return parsed.notna().mean() > 0.9


def as_bool(series: pd.Series) -> pd.Series:
    """0/1 floats (NaN kept) from a boolean or yes/no column."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float32")
    lowered = series.astype("string").str.strip().str.lower()
    out = pd.Series(np.nan, index=series.index, dtype="float32")
    out[lowered.isin(_TRUE)] = 1.0
    out[lowered.isin(_FALSE)] = 0.0
    return out
