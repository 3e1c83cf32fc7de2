"""Tables to training-ready tensors: column handling, missing values, scaling, labels and
the split. Everything learned from data (medians, categories, means, class names) is
learned from the training split only and kept in a ``Preprocessor`` that is saved with the
model, so new raw rows are prepared exactly like the training rows."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..spec.data_section import DEFAULT_MAX_CATEGORIES
from .columns import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    EMPTY,
    NUMERIC,
    TEXT,
    UNSUPPORTED,
    as_bool,
    clean_text,
    column_kind,
    first_odd_position,
    is_odd_value,
    odd_value_name,
    unusable_values,
)
from .errors import DataError
from .usability import id_like_warning

MAX_CLASSES = 1000
# Rows prepared per step (see _write_rows): the step's scratch, outputs × rows floats,
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

# The largest float32: a number beyond it becomes inf in the model's inputs.
F32_MAX = float(np.finfo(np.float32).max)
# Set in a frame's attrs when its row labels are the positions of its rows in the table a
# person gave (the default index, after rows without a target were dropped).
_LABELS_ARE_ROWS = "dlp_labels_are_rows"

# Writes one feature's outputs for some rows (an index array or a slice) into a
# (outputs × rows) float32 block.
RowWriter = Callable[[Any, np.ndarray], None]


def _json_value(value: Any) -> Any:
    """A label as plain JSON (numpy scalars and integral floats tidied)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _row_number(data: pd.DataFrame | pd.Series, position: int) -> int:
    """The row of the value at ``position`` as a person finds it: in a table read from a
    CSV file, as a spreadsheet shows it (the header, if the file has one, is row 1), else
    counting the first data row as 1. Rows dropped before (those without a target) still count."""
    row = int(data.index[position]) if data.attrs.get(_LABELS_ARE_ROWS) else position
    csv_read = data.attrs.get("csv")
    return row + (2 if csv_read and csv_read.get("header", True) else 1)


def _is_default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


class _NotFinite(Exception):
    """A numeric feature holds a value that is not finite in float32; the caller, which
    knows the frame, turns this into a ``DataError`` saying where (``_non_finite_error``)."""


def _non_finite_error(frame: pd.DataFrame, features: list[FeatureEncoding]) -> DataError:
    """The first value of the numeric ``features`` (in column, then row order) that is
    infinite or too large for float32. Only called once something is known to be wrong,
    so it may convert whole columns again."""
    for f in features:
        series = frame[f.name]
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        position = _first_out_of_range(values)
        if position is not None:
            return _range_error(f'column "{f.name}"', series, position, float(values[position]))
    # no value is too large by itself, but its distance from the mean is (standardising
    # subtracts the mean in float32)
    for f in features:
        values = pd.to_numeric(frame[f.name], errors="coerce").to_numpy(dtype=np.float64, na_value=f.fill)
        if _first_out_of_range(values - f.mean) is not None:
            return DataError(
                f'column "{f.name}" spans too wide a range for 32-bit floats (from {np.nanmin(values):g} '
                f"to {np.nanmax(values):g}); rescale it",
                column=f.name,
            )
    return DataError("the numeric features hold values too large for 32-bit floats (at most ±3.4e38)")


def _first_out_of_range(values: np.ndarray) -> int | None:
    """The position of the first value that is infinite or beyond float32; NaN is fine
    (missing)."""
    with np.errstate(invalid="ignore", over="ignore"):
        bad = np.abs(values) > F32_MAX  # NaN compares false
    return int(bad.argmax()) if bad.any() else None


def _range_error(what: str, series: pd.Series, position: int, number: float) -> DataError:
    raw = series.iloc[position]
    shown = f'"{raw}"' if isinstance(raw, str) else f"{number:g}"
    why = "is not a finite number" if math.isinf(number) else "is too large for 32-bit floats (at most ±3.4e38)"
    row = _row_number(series, position)
    return DataError(f"{what}, row {row}: {shown} {why}", column=str(series.name), row=row)


@dataclass
class FeatureEncoding:
    name: str
    kind: str
    fill: Any = None  # median (numeric), most frequent (categorical, boolean)
    mean: float = 0.0
    std: float = 1.0
    categories: list[str] = field(default_factory=list)
    missing_train: int = 0

    @property
    def outputs(self) -> list[str]:
        return [f"{self.name}={c}" for c in self.categories] if self.kind == CATEGORICAL else [self.name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "fill": _json_value(self.fill),
            "mean": float(self.mean),
            "std": float(self.std),
            "categories": list(self.categories),
            "missing_train": int(self.missing_train),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureEncoding:
        return cls(**d)


@dataclass
class Preprocessor:
    """How raw columns become the model's input, and labels become targets."""

    features: list[FeatureEncoding]
    target: str
    task: str
    classes: list[str] | None = None  # class names in label order (classification)
    class_values: list[Any] | None = None  # the raw values those names stand for
    target_mean: float = 0.0  # regression targets are standardised for training
    target_std: float = 1.0

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def output_names(self) -> list[str]:
        order = {NUMERIC: 0, BOOLEAN: 1, CATEGORICAL: 2}
        ordered = sorted(self.features, key=lambda f: order[f.kind])  # stable: column order kept
        return [name for f in ordered for name in f.outputs]

    @property
    def n_inputs(self) -> int:
        return len(self.output_names)

    # -- applying

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw rows (a DataFrame with the feature columns) → float32 model inputs.

        Outputs are ordered numeric columns first, then booleans, then one-hot groups
        (``output_names`` lists them).
        """
        frame = _named_as_shown(frame, self.feature_names)
        missing = [f.name for f in self.features if f.name not in frame.columns]
        if missing:
            raise DataError(
                f"the rows lack the column(s) {', '.join(missing)} that the model was trained on", column=missing[0]
            )
        out = np.empty((len(frame), self.n_inputs), dtype=np.float32)
        try:
            _write_rows(out, self._row_writers(frame))
        except _NotFinite:
            raise _non_finite_error(frame, [f for f in self.features if f.kind == NUMERIC]) from None
        return out

    def _row_writers(
        self,
        frame: pd.DataFrame,
        numeric_values: dict[str, np.ndarray] | None = None,
        factorized: dict[str, tuple[np.ndarray, Any]] | None = None,
    ) -> list[tuple[int, RowWriter]]:
        """(number of outputs, writer) per feature, in ``output_names`` order. Callers that
        already hold a numeric column's values (``_numeric_values``) or a categorical
        column's ``_factorize`` result pass them, keyed by column name."""
        numeric_values = numeric_values or {}
        factorized = factorized or {}
        writers: list[tuple[int, RowWriter]] = []
        numeric = [f for f in self.features if f.kind == NUMERIC]
        if numeric:  # one writer for all: each step then works on all of them at once
            columns = [
                numeric_values[f.name] if f.name in numeric_values else _numeric_values(frame, f.name) for f in numeric
            ]
            writers.append((len(numeric), partial(_write_numeric, columns, *_numeric_stats(numeric))))
        for f in self.features:
            if f.kind == BOOLEAN:
                values = as_bool(frame[f.name]).to_numpy(dtype=np.float32, na_value=np.nan, copy=True)
                values[np.isnan(values)] = f.fill
                writers.append((1, partial(_write_values, values)))
        for f in self.features:
            if f.kind == CATEGORICAL:  # one-hot; a category never seen in training is all zeros
                codes = _category_codes(frame[f.name], f.categories, f.fill, factorized.get(f.name))
                writers.append((len(f.categories), partial(_write_one_hot, codes)))
        return writers

    def encode_target(self, series: pd.Series) -> np.ndarray:
        if self.task == "classification":
            lookup: dict[str, int] = {}
            for i, name in enumerate(self.classes or []):  # (cleaned: models saved before kept raw text)
                lookup.setdefault(label_name(name), i)
            codes, uniques = _factorize(series)
            mapped = []
            for value in uniques:
                name = label_name(value)
                if name not in lookup:
                    raise DataError(
                        f'target "{self.target}" holds the class "{name}", unknown to the model', column=self.target
                    )
                mapped.append(lookup[name])
            if (codes < 0).any():
                raise DataError(f'target "{self.target}" has missing values', column=self.target)
            return np.asarray(mapped, dtype=np.int64)[codes]
        values = _numeric_target(series, self.target)
        return ((values - self.target_mean) / self.target_std).astype(np.float32)

    def decode_target(self, values: np.ndarray) -> np.ndarray:
        """Model outputs back to the target's own terms (class names or original units)."""
        if self.task == "classification":
            return np.asarray(self.classes, dtype=object)[np.asarray(values, dtype=np.int64)]
        return np.asarray(values, dtype=np.float64) * self.target_std + self.target_mean

    # -- saving (plain JSON types only, so it loads with torch.load(weights_only=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": [f.to_dict() for f in self.features],
            "target": self.target,
            "task": self.task,
            "classes": self.classes,
            "class_values": [_json_value(v) for v in self.class_values] if self.class_values is not None else None,
            "target_mean": float(self.target_mean),
            "target_std": float(self.target_std),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessor:
        return cls(**{**d, "features": [FeatureEncoding.from_dict(f) for f in d["features"]]})


def _named_as_shown(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``frame`` with a column renamed to one of ``names`` it lacks when the two look the
    same (``clean_text``): training tables are read with their names cleaned, while rows to
    predict may come with the names as they were in the file."""
    if all(name in frame.columns for name in names):
        return frame
    wanted = {clean_text(name): name for name in names if name not in frame.columns}
    renames = {}
    for column in frame.columns:
        name = wanted.pop(clean_text(str(column)), None)  # (popped: one column per name)
        if name is not None:
            renames[column] = name
    return frame.rename(columns=renames) if renames else frame


def _numeric_values(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as a 1-D array: the column's own memory when it is a plain numpy
    int or float column (nothing copied; cast to float32 when gathered), else converted,
    and checked, by ``_numeric_block``."""
    series = frame[name]
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        return series.to_numpy()
    return _numeric_block(frame, [name])[:, 0]


def _write_rows(out: np.ndarray, writers: list[tuple[int, RowWriter]], order: np.ndarray | None = None) -> None:
    """Every row of the row-major ``out`` (source rows in ``order`` when given), a chunk of
    rows at a time (on ``WORKERS`` threads): each writer fills its outputs' rows of a
    small (outputs × rows) block, where each output is contiguous for the arithmetic, and
    the block is copied into ``out`` transposed, as whole consecutive rows of ``out``.
    Blocks and temporaries are small, so they stay in cache and are reused rather than
    page-faulted in, which on a busy machine costs more than the arithmetic."""
    block = _Scratch((out.shape[1], min(ROW_CHUNK, len(out))), np.float32)
    _parallel_map(partial(_write_chunk, out, writers, order, block), range(0, len(out), ROW_CHUNK))


def _write_chunk(
    out: np.ndarray, writers: list[tuple[int, RowWriter]], order: np.ndarray | None, block: _Scratch, start: int
) -> None:
    stop = min(start + ROW_CHUNK, len(out))
    rows = slice(start, stop) if order is None else order[start:stop]
    part = block.array[:, : stop - start]
    first = 0
    for width, write in writers:
        write(rows, part[first : first + width])
        first += width
    out[start:stop] = part.T


class _Scratch(threading.local):
    """A scratch array for each thread: made on the thread's first use, then reused."""

    def __init__(self, shape: tuple[int, ...], dtype: type) -> None:
        self.array = np.empty(shape, dtype=dtype)


def _parallel_map(fn: Callable[[Any], Any], items: Sequence[Any], parallel: bool = True) -> list[Any]:
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


def _write_numeric(
    columns: list[np.ndarray], fills: np.ndarray, means: np.ndarray, stds: np.ndarray, rows: Any, dest: np.ndarray
) -> None:
    """Numeric columns, a row of ``dest`` each: gathered and cast to float32, then
    filled and standardised with per-column ``fills``, ``means`` and ``stds`` (k × 1).
    Raises ``_NotFinite`` if a value is infinite, or too large for float32."""
    # too large for float32 becomes inf in the cast: found by the check below, with no
    # warning printed on the way
    with np.errstate(over="ignore"):
        for row, values in zip(dest, columns, strict=True):
            row[:] = values[rows]
        _standardise(dest, fills, means, stds)
    # the block is still in cache: a pass over it costs little next to the gathering
    if not np.isfinite(dest).all():
        raise _NotFinite


def _write_values(values: np.ndarray, rows: Any, dest: np.ndarray) -> None:
    dest[0] = values[rows]


def _write_one_hot(codes: np.ndarray, rows: Any, dest: np.ndarray) -> None:
    """1 in the output of the row's category; code -1 (unknown) matches none."""
    np.equal(codes[rows], np.arange(len(dest))[:, None], out=dest)


def _numeric_stats(features: list[FeatureEncoding]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The features' fills, means and standard deviations as float32 columns (k × 1), to
    broadcast over rows of ``_standardise``."""
    return tuple(np.array([[getattr(f, a)] for f in features], dtype=np.float32) for a in ("fill", "mean", "std"))


def _standardise(values: np.ndarray, fills: np.ndarray, means: np.ndarray, stds: np.ndarray) -> None:
    """Missing values filled and each row of ``values`` standardised, in place, in float32."""
    missing = np.isnan(values)
    if missing.any():
        np.copyto(values, fills, where=missing)
    values -= means
    values /= stds


def _numeric_block(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    sub = frame[names]
    # too large for float32 becomes inf, reported with its row by the finiteness check
    with np.errstate(over="ignore"):
        try:
            return sub.to_numpy(dtype=np.float32, na_value=np.nan, copy=True)
        except (ValueError, TypeError):
            pass
        for name in names:  # find the first value that is not a number, for the message
            series = sub[name]
            bad = (pd.to_numeric(series, errors="coerce").isna() & series.notna()).to_numpy()
            if bad.any():
                position = int(bad.argmax())
                value = series.iloc[position]
                row = _row_number(frame, position)
                shown = (
                    f"it holds {odd_value_name(value)}, not numbers"
                    if is_odd_value(value)
                    else f'"{value}" is not a number' + _marker_hint(value)
                )
                raise DataError(f'column "{name}", row {row}: {shown}', column=name, row=row)
        return sub.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float32, na_value=np.nan)


# what data sets (UCI's among them) write for "unknown" where pandas does not read it as missing
_MISSING_MARKERS = {"?", "-", "--", ".", "missing", "unknown", "none"}


def _marker_hint(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in _MISSING_MARKERS:
        return ""
    return f'; if "{value}" marks a missing value, make it an empty cell (for a DataFrame: df.replace("{value}", None))'


def label_name(value: Any) -> str:
    """A class label as text: 1.0 → "1", True → "True", "setosa" → "setosa". Labels that
    look the same are the same class: "setosa" with a zero-width space, a no-break space
    or spaces around it, or "café" with its accent written apart, is the class that shows
    (``clean_text``), when training and for new rows alike."""
    value = _json_value(value)
    return clean_text(str(value))


def encode_labels(series: pd.Series) -> tuple[np.ndarray, list[str], list[Any]]:
    """Integer labels, class names in order (numbers numerically, text alphabetically) and
    the raw value each name stands for. ``series`` has no missing values."""
    codes, label_of_code, classes, class_values = _label_codes(series)
    return label_of_code[codes], classes, class_values


def _label_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str], list[Any]]:
    """``encode_labels`` with the labels left as codes and each code's label, so that a
    caller can map the codes to labels in whichever integer type it needs."""
    codes, uniques = _factorize(series)
    names = [label_name(u) for u in uniques]
    name_codes, unique_names = pd.factorize(pd.Index(names))  # 1 and 1.0 are one class
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    raw = {}
    for value, name in zip(uniques, names, strict=True):
        # text stands for itself as shown: a look-alike spelling is not kept as the raw value
        raw.setdefault(name, name if isinstance(value, str) else _json_value(value))
    keys = [float(raw[n]) if numeric else str(n) for n in unique_names]
    order = sorted(range(len(unique_names)), key=keys.__getitem__)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    classes = [str(unique_names[i]) for i in order]
    return codes, rank[name_codes], classes, [raw[c] for c in classes]


def _factorize(series: pd.Series) -> tuple[np.ndarray, Sequence[Any]]:
    """``pd.factorize(series)``: codes (-1 for missing) and the distinct values. For text
    held by Arrow (what pandas' CSV reader makes) straight from Arrow: the codes are then
    a view of Arrow's int32 array, which pandas would copy twice more (the second time
    into int64), and fresh memory is slow to hand out on a busy machine."""
    if not (isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow") or not len(series):
        try:
            return pd.factorize(series, use_na_sentinel=True)
        except TypeError:  # a list or dict in a cell, after the values the kind was decided from
            raise _odd_value_error(series) from None
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pa.array(series.array).dictionary_encode()
    if isinstance(encoded, pa.ChunkedArray):  # the CSV reader's chunks, with one dictionary
        encoded = encoded.combine_chunks()
    codes = encoded.indices
    if codes.null_count:
        codes = pc.fill_null(codes, -1)
    return codes.to_numpy(), encoded.dictionary.to_pylist()


def _odd_value_error(series: pd.Series) -> DataError:
    """For a column that pandas could not factorise: where its first value that is
    neither a number nor text is (``is_odd_value``), or that it holds such values."""
    name = str(series.name)
    position = first_odd_position(series)
    if position is None:
        return DataError(f'column "{name}" holds values that are neither numbers nor text', column=name)
    row = _row_number(series, position)
    return DataError(
        f'column "{name}", row {row}: it holds {odd_value_name(series.iloc[position])}; the playground takes '
        "numbers or text. Remove the column, or turn its values into numbers or text.",
        column=name,
        row=row,
    )


def check_target_column(series: pd.Series, name: str) -> None:
    """Refuse a target no model here can learn to predict: dates or durations, complex
    numbers, lists or dicts (decided from the dtype and the first values)."""
    what = unusable_values(series)
    if what is None:
        return
    position = first_odd_position(series) if pd.api.types.is_object_dtype(series.dtype) else None
    row = _row_number(series, position) if position is not None else None
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


def _category_name(value: Any) -> str:
    """A categorical value as text, invisible differences removed (``clean_text``) but not
    its spaces: " red" stays a category of its own, as the exported ONNX pipeline reads it."""
    return clean_text(str(value), trim=False)


def _category_codes(
    series: pd.Series, categories: list[str], fill: str, factorized: tuple[np.ndarray, Any] | None = None
) -> np.ndarray:
    """Index of each value in ``categories`` (-1 if unknown); missing values count as
    ``fill``. Factorising first means only the distinct values are looked up;
    ``factorized`` is the series' ``_factorize`` result if the caller has it already."""
    codes, uniques = factorized if factorized is not None else _factorize(series)
    position: dict[str, int] = {}
    for i, c in enumerate(categories):  # (cleaned again: models saved before kept raw text)
        position.setdefault(_category_name(c), i)
    # the smallest signed type for the positions: the codes are gathered and compared a
    # column at a time, and a byte a row moves faster than eight
    small = np.result_type(np.int8, np.min_scalar_type(len(categories)))
    lookup = np.array(
        [position.get(_category_name(u), -1) for u in uniques] + [position.get(_category_name(fill), -1)], dtype=small
    )
    return lookup[codes]  # code -1 (missing) picks the last entry: the fill's position


def _numeric_target(series: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(f'target "{name}" is true/false; that is classification, not regression', column=name)
    coerced = pd.to_numeric(series, errors="coerce")
    bad = (coerced.isna() & series.notna()).to_numpy()
    if bad.any():
        position = int(bad.argmax())
        row = _row_number(series, position)
        raise DataError(
            f'target "{name}" holds text ("{series.iloc[position]}" in row {row}); '
            "regression needs numbers. Choose the task classification to predict categories.",
            column=name,
            row=row,
        )
    values = coerced.to_numpy(dtype=np.float64)
    # the targets are standardised in float64, but the model's outputs and the loss are
    # float32: a target beyond float32 would make them inf
    position = _first_out_of_range(values)
    if position is not None:
        raise _range_error(f'target "{name}"', series, position, float(values[position]))
    return values


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


# ---------------------------------------------------------------- the whole preparation


@dataclass
class TabularData:
    """Training-ready arrays plus everything needed to explain and reproduce them."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    preprocessor: Preprocessor
    train_index: np.ndarray  # row labels of the source frame
    test_index: np.ndarray
    dropped_target_rows: int = 0
    warnings: list[str] = field(default_factory=list)
    kind: str = "tabular"

    @property
    def task(self) -> str:
        return self.preprocessor.task

    @property
    def classes(self) -> list[str] | None:
        return self.preprocessor.classes

    @property
    def input_shape(self) -> list[int]:
        return [self.preprocessor.n_inputs]

    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.task == "classification" else 1

    def tensors(self):  # noqa: ANN201 - torch is imported lazily
        import torch

        return (
            torch.from_numpy(self.X_train),
            torch.from_numpy(self.y_train),
            torch.from_numpy(self.X_test),
            torch.from_numpy(self.y_test),
        )


def prepare_tabular(
    frame: pd.DataFrame,
    target: str | None,
    features: list[str] | None = None,
    *,
    task: str | None = None,
    test_size: float = 0.2,
    shuffle: bool = True,
    seed: int = 0,
    batch_size: int | None = None,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
) -> TabularData:
    """The frame as training and test arrays: the rows split (stratified for
    classification), features encoded (numbers standardised, booleans 0/1, categories
    one-hot) with everything learned from the training rows only."""
    chosen = features is not None
    features = _feature_names(frame, target, features)
    warnings: list[str] = list(frame.attrs.get("csv", {}).get("warnings", []))  # e.g. no header row
    if not chosen:  # every column by default: say which one is probably an identifier
        warnings += [w for w in (id_like_warning(frame[name]) for name in features) if w]
    frame, dropped = _rows_with_target(frame, target, warnings)
    # Each text column is factorised once, when first needed: counting its distinct values,
    # fitting, and the one-hot codes all use the same codes.
    factorized = _Factorized(frame)
    # The rows' shuffle and the features' kinds (for a text column the costly part:
    # factorising it) are worked out on helper threads while the target is encoded; the
    # kinds' errors come after the target's and the split's, as when the steps ran in turn.
    with ThreadPoolExecutor(2) as helper:
        shuffled = helper.submit(_shuffled_rows, len(frame), seed) if shuffle else None
        kinds_job = helper.submit(_feature_kinds, frame, features, max_categories, factorized)
        targets = _encode_target(frame[target], target, task, warnings)
        # the split comes before any statistic is learned
        train_pos, test_pos = split_positions(
            len(frame),
            targets.labels,
            targets.classes,
            test_size=test_size,
            shuffle=shuffle,
            seed=seed,
            shuffled=shuffled.result() if shuffled else None,
        )
        if batch_size is not None and len(train_pos) < batch_size:
            raise DataError(
                f"the training split holds {len(train_pos):,} rows, fewer than one batch (batch_size {batch_size}); "
                f"lower batch_size to at most {len(train_pos):,}"
            )
        kinds = kinds_job.result()
    encodings = [_fit_other(frame[name], kinds[name], factorized, train_pos, max_categories) for name in features]
    pre = Preprocessor(encodings, target, targets.task, targets.classes, targets.class_values)

    # Rows are laid out training rows first, so both splits are views of one array and
    # every statistic is computed on the training rows only.
    order = np.concatenate([train_pos, test_pos])
    n_train = len(train_pos)
    X = _fit_and_write(frame, pre, factorized, order, n_train)
    for enc in encodings:
        if enc.missing_train:
            how = "the median" if enc.kind == NUMERIC else "the most frequent value"
            warnings.append(
                f'column "{enc.name}": {enc.missing_train:,} missing value(s) in the training rows filled with {how}'
            )
    y = targets.ordered(pre, order, n_train)
    return TabularData(
        X_train=X[:n_train],
        y_train=y[:n_train],
        X_test=X[n_train:],
        y_test=y[n_train:],
        preprocessor=pre,
        train_index=_index_at(frame.index, train_pos),
        test_index=_index_at(frame.index, test_pos),
        dropped_target_rows=dropped,
        warnings=warnings,
    )


def _index_at(index: pd.Index, positions: np.ndarray) -> np.ndarray:
    """The row labels at ``positions``: for the default index, the positions themselves."""
    if _is_default_index(index):
        return positions
    return index.to_numpy()[positions]


def _feature_names(frame: pd.DataFrame, target: str | None, features: list[str] | None) -> list[str]:
    """The feature columns, checked: the given ones, or every column but the target."""
    if target is None:
        raise DataError(f"choose a target column (one of: {', '.join(map(str, frame.columns[:20]))})")
    if target not in frame.columns:
        raise DataError(
            f'there is no column "{target}" (columns: {", ".join(map(str, frame.columns[:20]))})', column=target
        )
    if features is None:
        features = [c for c in frame.columns if c != target]
    else:
        for name in features:
            if name == target:
                raise DataError(f'column "{target}" is the target, so it cannot also be a feature', column=target)
            if name not in frame.columns:
                raise DataError(f'there is no feature column "{name}"', column=name)
    if not features:
        raise DataError("there are no feature columns besides the target", column=target)
    return features


def _rows_with_target(frame: pd.DataFrame, target: str, warnings: list[str]) -> tuple[pd.DataFrame, int]:
    """The rows that have a target value (rows without one cannot be learned from), and
    how many were dropped."""
    keep = frame[target].notna().to_numpy()
    dropped = len(keep) - int(np.count_nonzero(keep))
    if dropped == len(keep):
        raise DataError(f'target "{target}" has no values at all', column=target)
    if dropped:
        labels_are_rows = frame.attrs.get(_LABELS_ARE_ROWS) or _is_default_index(frame.index)
        frame = frame.loc[keep]
        if labels_are_rows:  # so that messages still count the dropped rows
            frame.attrs = {**frame.attrs, _LABELS_ARE_ROWS: True}
        warnings.append(f'{dropped:,} row(s) without a value in target "{target}" were dropped')
    return frame, dropped


@dataclass
class _Target:
    """The target column encoded, rows in the frame's order."""

    task: str
    labels: np.ndarray | None = None  # classification: class numbers, smallest unsigned type
    classes: list[str] | None = None
    class_values: list[Any] | None = None
    values: np.ndarray | None = None  # regression: float64 numbers

    def ordered(self, pre: Preprocessor, order: np.ndarray, n_train: int) -> np.ndarray:
        """The targets, rows in ``order``; regression targets standardised with the mean and
        standard deviation of the first ``n_train`` (the training rows), kept in ``pre``."""
        if self.task == "classification":
            return self.labels[order].astype(np.int64)
        train_y = self.values[order[:n_train]]
        pre.target_mean = float(train_y.mean())
        pre.target_std = float(train_y.std()) or 1.0
        return ((self.values[order] - pre.target_mean) / pre.target_std).astype(np.float32)


def _encode_target(values: pd.Series, target: str, task: str | None, warnings: list[str]) -> _Target:
    check_target_column(values, target)
    task = task or detect_task(values)
    warnings += task_warnings(values, task, target)
    if task != "classification":
        numbers = _numeric_target(values, target)
        if len(numbers) and numbers.min() == numbers.max():
            raise DataError(
                f'target "{target}" has the same value ({_json_value(float(numbers[0]))}) in every row: '
                "there is nothing for a model to learn; choose another target",
                column=target,
            )
        return _Target(task, values=numbers)
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
    return _Target(task, labels, classes, class_values)


def _feature_kinds(
    frame: pd.DataFrame, features: list[str], max_categories: int, factorized: _Factorized
) -> dict[str, str]:
    return {name: _usable_kind(frame[name], name, max_categories, partial(factorized.count, name)) for name in features}


def _fit_other(
    series: pd.Series, kind: str, factorized: _Factorized, train_pos: np.ndarray, max_categories: int
) -> FeatureEncoding:
    """A feature's encoding, fitted on the training rows if it is boolean or categorical;
    numeric columns are fitted later, in ``_fit_and_write``."""
    if kind == BOOLEAN:
        return _fit_boolean(series.iloc[train_pos], series.name)
    if kind == CATEGORICAL:
        return _fit_categorical(factorized[series.name], train_pos, series.name, max_categories)
    return FeatureEncoding(series.name, NUMERIC)


def _fit_and_write(
    frame: pd.DataFrame, pre: Preprocessor, factorized: _Factorized, order: np.ndarray, n_train: int
) -> np.ndarray:
    """The model inputs, rows in ``order``, once the numeric features' statistics are
    learned from the first ``n_train`` of them (the training rows)."""
    numeric = [f for f in pre.features if f.kind == NUMERIC]
    numeric_values = {f.name: _numeric_values(frame, f.name) for f in numeric}  # conversion errors first
    train = _Scratch((n_train,), np.float32)  # reused column after column
    try:
        _parallel_map(
            lambda f: _fit_numeric(f, numeric_values[f.name], order[:n_train], train.array),
            numeric,
            parallel=n_train >= ROW_CHUNK,  # else not worth starting threads
        )
        X = np.empty((len(order), pre.n_inputs), dtype=np.float32)
        _write_rows(X, pre._row_writers(frame, numeric_values, factorized), order)
    except _NotFinite:
        raise _non_finite_error(frame, numeric) from None
    return X


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
    ``shuffled`` is ``_shuffled_rows(n, seed)`` if the caller has computed it already."""
    n_test = int(np.ceil(test_size * n))
    if n < 2 or n_test < 1 or n - n_test < 1:
        raise DataError(f"{n:,} row(s) cannot be split into training and test rows with test_size {test_size:g}")
    if not shuffle:
        return np.arange(n - n_test), np.arange(n - n_test, n)
    perm = shuffled if shuffled is not None else _shuffled_rows(n, seed)
    if labels is None:
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])
    counts = _bincount(labels, len(classes))
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
    for c, positions in enumerate(_positions_by_class(labels, perm, counts)):
        in_test[perm[positions[: quota[c]]]] = True
    return np.nonzero(~in_test)[0], np.nonzero(in_test)[0]


def _shuffled_rows(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n)


def _positions_by_class(labels: np.ndarray, perm: np.ndarray, counts: np.ndarray) -> Iterator[np.ndarray]:
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


class _Factorized(dict):
    """``_factorize`` results (codes, uniques) of a frame's columns, computed on first use."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def __missing__(self, name: str) -> tuple[np.ndarray, Any]:
        self[name] = _factorize(self.frame[name])
        return self[name]

    def count(self, name: str) -> int:
        """The number of distinct values, as ``nunique()`` counts them."""
        return len(self[name][1])


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
            raise _odd_value_error(series)
        raise DataError(
            f'column "{name}" holds {unusable_values(series)}, which the playground cannot use as a feature; '
            "remove it from the features",
            column=name,
        )
    return kind


def _median_in_place(values: np.ndarray, present: int) -> np.floating:
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


def _fit_numeric(f: FeatureEncoding, values: np.ndarray, train_pos: np.ndarray, train: np.ndarray) -> None:
    """A numeric column's median, missing count, mean and standard deviation, from its
    training rows only, gathered as float32 into the scratch array ``train`` (which the
    median's partition reorders)."""
    # Beyond float32 becomes inf in the cast, and inf makes the median or the deviations
    # NaN: all without a warning, as the mean then says that something is wrong.
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(train), FIT_CHUNK):  # in chunks: reusable temporaries
            train[start : start + FIT_CHUNK] = values[train_pos[start : start + FIT_CHUNK]]
        missing = len(train) - int(np.count_nonzero(train == train))  # NaN is not equal to itself
        if missing == len(train):
            raise DataError(f'column "{f.name}" has no values in the training rows', column=f.name)
        fill = _median_in_place(train, len(train) - missing)
        if missing:  # the mean and standard deviation are those of the filled column
            np.copyto(train, fill, where=np.isnan(train))
        f.fill, f.missing_train = float(fill), missing
        f.mean, f.std = _mean_std(train)
    # a sum in float64 of finite float32 values is finite: only inf makes the mean infinite
    if not math.isfinite(f.mean):
        raise _NotFinite


def _mean_std(values: np.ndarray) -> tuple[float, float]:
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


def _train_counts(codes: np.ndarray, train_pos: np.ndarray, n_codes: int) -> np.ndarray:
    """How often each code occurs in the training rows, missing (-1) first."""
    counts = np.zeros(n_codes + 1, dtype=np.int64)
    for start in range(0, len(train_pos), FIT_CHUNK):
        shifted = codes[train_pos[start : start + FIT_CHUNK]]
        shifted += 1  # missing (-1) counted in bin 0
        counts += np.bincount(shifted, minlength=n_codes + 1)  # in chunks, see _bincount
    return counts


def _bincount(values: np.ndarray, length: int) -> np.ndarray:
    """``np.bincount(values, minlength=length)`` in chunks: it copies its input into int64
    (eight bytes a row, for labels of one), which for a whole column is fresh memory."""
    counts = np.zeros(length, dtype=np.int64)
    for start in range(0, len(values), FIT_CHUNK):
        counts += np.bincount(values[start : start + FIT_CHUNK], minlength=length)
    return counts


def _fit_boolean(train: pd.Series, name: str) -> FeatureEncoding:
    """A boolean column, fitted on its training rows: the most frequent value fills."""
    mode = as_bool(train).mode()
    fill = float(mode.iloc[0]) if len(mode) else 0.0
    return FeatureEncoding(name, BOOLEAN, fill=fill, missing_train=int(train.isna().sum()))


def _fit_categorical(
    factorized: tuple[np.ndarray, Any], train_pos: np.ndarray, name: str, max_categories: int
) -> FeatureEncoding:
    """A categorical column, fitted on its training rows, from the whole column's
    ``_factorize`` codes: the categories seen in training, and the most frequent one."""
    codes, uniques = factorized
    if len(uniques) > max_categories:
        raise DataError(
            f'column "{name}" has {len(uniques):,} distinct values; one-hot encoding is capped at {max_categories} '
            "categories. Remove it from the features (an ID or a name column?) or raise max_categories.",
            column=name,
        )
    missing, *counts = _train_counts(codes, train_pos, len(uniques)).tolist()
    seen: dict[str, int] = {}  # values that look the same are one category (_category_name)
    for count, value in zip(counts, uniques, strict=True):
        if count:
            shown = _category_name(value)
            seen[shown] = seen.get(shown, 0) + count
    # the most frequent value (ties: the first in sorted order, as pandas' mode does)
    fill = min((-c, n) for n, c in seen.items())[1] if seen else ""
    categories = sorted(set(seen) | ({fill} if missing else set()))
    return FeatureEncoding(name, CATEGORICAL, fill=fill, categories=categories, missing_train=missing)
