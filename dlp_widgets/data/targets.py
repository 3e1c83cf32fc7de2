"""The target column: its task (classification or regression) and the warnings about it,
class names and their numbers, and numeric targets checked and standardised.

``label_name`` and ``target_scale`` are copied into the standalone training script
(``export/script.py``): they use only numpy, ``clean_text`` and ``json_value``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .columns import clean_text, first_odd_position, unusable_values
from .errors import DataError
from .values import factorize, first_out_of_range, json_value, range_error, row_number

MAX_CLASSES = 1000


def label_name(value: Any) -> str:
    """A class label as text: 1.0 → "1", True → "True", "setosa" → "setosa". Labels that
    look the same are the same class: "setosa" with a zero-width space, a no-break space
    or spaces around it, or "café" with its accent written apart, is the class that shows
    (``clean_text``), when training and for new rows alike."""
    value = json_value(value)
    return clean_text(str(value))


def encode_labels(series: pd.Series) -> tuple[np.ndarray, list[str], list[Any]]:
    """Integer labels, class names in order (numbers numerically, text alphabetically) and
    the raw value each name stands for. ``series`` has no missing values."""
    codes, label_of_code, classes, class_values = _label_codes(series)
    return label_of_code[codes], classes, class_values


def _label_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str], list[Any]]:
    """``encode_labels`` with the labels left as codes and each code's label, so that a
    caller can map the codes to labels in whichever integer type it needs."""
    codes, uniques = factorize(series)
    names = [label_name(u) for u in uniques]
    name_codes, unique_names = pd.factorize(pd.Index(names))  # 1 and 1.0 are one class
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    raw = {}
    for value, name in zip(uniques, names, strict=True):
        # text stands for itself as shown: a look-alike spelling is not kept as the raw value
        raw.setdefault(name, name if isinstance(value, str) else json_value(value))
    keys = [float(raw[n]) if numeric else str(n) for n in unique_names]
    order = sorted(range(len(unique_names)), key=keys.__getitem__)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    classes = [str(unique_names[i]) for i in order]
    return codes, rank[name_codes], classes, [raw[c] for c in classes]


def check_target_column(series: pd.Series, name: str) -> None:
    """Refuse a target no model here can learn to predict: dates or durations, complex
    numbers, lists or dicts (decided from the dtype and the first values)."""
    what = unusable_values(series)
    if what is None:
        return
    position = first_odd_position(series) if pd.api.types.is_object_dtype(series.dtype) else None
    row = row_number(series, position) if position is not None else None
    where = f" (row {row} is the first)" if row is not None else ""
    hint = " (or turn it into numbers, e.g. a year column)" if what == "dates or times" else ""
    raise DataError(
        f'target "{name}" holds {what}{where}; a model here predicts numbers or classes: choose another target{hint}',
        column=name,
        row=row,
    )


def class_counts(series: pd.Series) -> dict[str, int]:
    labels, classes, _ = encode_labels(series.dropna())
    return {c: int(n) for c, n in zip(classes, np.bincount(labels, minlength=len(classes)), strict=True)}


def numeric_target(series: pd.Series, name: str) -> np.ndarray:
    """A regression target as float64 numbers, or a ``DataError`` saying which value is not
    one, or is beyond float32."""
    if pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(f'target "{name}" is true/false; that is classification, not regression', column=name)
    coerced = pd.to_numeric(series, errors="coerce")
    bad = (coerced.isna() & series.notna()).to_numpy()
    if bad.any():
        position = int(bad.argmax())
        row = row_number(series, position)
        raise DataError(
            f'target "{name}" holds text ("{series.iloc[position]}" in row {row}); '
            "regression needs numbers. Choose the task classification to predict categories.",
            column=name,
            row=row,
        )
    values = coerced.to_numpy(dtype=np.float64)
    # the targets are standardised in float64, but the model's outputs and the loss are
    # float32: a target beyond float32 would make them inf
    position = first_out_of_range(values)
    if position is not None:
        raise range_error(f'target "{name}"', series, position, float(values[position]))
    return values


def target_scale(train: np.ndarray) -> tuple[float, float]:
    """The mean and standard deviation regression targets are standardised with: those of
    the training rows' targets ``train``; a standard deviation of 0 counts as 1."""
    return float(train.mean()), float(train.std()) or 1.0


# ---------------------------------------------------------------- task


def _real_numbers(dtype: Any) -> bool:
    """Numbers that compare and divide: not booleans, not complex numbers."""
    return (
        pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not pd.api.types.is_complex_dtype(dtype)
    )


def detect_task(series: pd.Series) -> str:
    # the dtype first: dropna copies the column
    if not _real_numbers(series.dtype):
        return "classification"
    values = series.dropna()
    integral = bool((values % 1 == 0).all())
    return "classification" if integral and values.nunique() <= 20 else "regression"


def task_warnings(series: pd.Series, task: str, name: str) -> list[str]:
    out: list[str] = []
    if not _real_numbers(series.dtype):
        return out
    values = series.dropna()  # after the dtype check: it copies the column
    n_unique = values.nunique()
    integral = bool((values % 1 == 0).all())
    if task == "regression" and n_unique <= 10:
        out.append(
            f'target "{name}" has only {n_unique} distinct values; they may be classes: consider the task classification'
        )
    if integral and n_unique == len(values) and len(values) > 20:
        out.append(
            f'target "{name}" has a different whole number in every row, like an ID; a model cannot learn to predict an ID'
        )
    if task == "classification" and not integral:
        out.append(f'target "{name}" holds fractional numbers; for classification each distinct value becomes a class')
    return out


# ---------------------------------------------------------------- the target encoded


@dataclass
class EncodedTarget:
    """The target column encoded, rows in the frame's order."""

    task: str
    labels: np.ndarray | None = None  # classification: class numbers, smallest unsigned type
    classes: list[str] | None = None
    class_values: list[Any] | None = None
    values: np.ndarray | None = None  # regression: float64 numbers

    def ordered(self, order: np.ndarray, n_train: int) -> tuple[np.ndarray, float, float]:
        """The targets, rows in ``order``, and the mean and standard deviation they were
        standardised with: for regression those of the first ``n_train`` (the training
        rows), for classes 0 and 1 (class numbers are not scaled)."""
        if self.task == "classification":
            return self.labels[order].astype(np.int64), 0.0, 1.0
        mean, std = target_scale(self.values[order[:n_train]])
        return ((self.values[order] - mean) / std).astype(np.float32), mean, std


def encode_target_column(values: pd.Series, target: str, task: str | None, warnings: list[str]) -> EncodedTarget:
    """The target column checked and encoded, its task detected unless given; warnings
    about it are appended to ``warnings``."""
    check_target_column(values, target)
    task = task or detect_task(values)
    warnings += task_warnings(values, task, target)
    if task != "classification":
        numbers = numeric_target(values, target)
        if len(numbers) and numbers.min() == numbers.max():
            raise DataError(
                f'target "{target}" has the same value ({json_value(float(numbers[0]))}) in every row: '
                "there is nothing for a model to learn; choose another target",
                column=target,
            )
        return EncodedTarget(task, values=numbers)
    codes, label_of_code, classes, class_values = _label_codes(values)
    if len(classes) < 2:
        raise DataError(
            f'target "{target}" has only one class ("{classes[0]}"); a classifier needs at least two', column=target
        )
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f'target "{target}" has {len(classes):,} distinct values; as classes that is over {MAX_CLASSES:,}. Is it a regression target?',
            column=target,
        )
    # labels in the smallest type (a byte a row for up to 256 classes): the split shuffles
    # and compares them, and they become int64 only as the training targets
    labels = label_of_code.astype(np.min_scalar_type(len(classes) - 1))[codes]
    return EncodedTarget(task, labels, classes, class_values)
