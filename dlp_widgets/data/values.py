"""A column's values as the preparation reads them: its distinct values (factorised),
labels as plain JSON, numbers checked against float32, and, for messages, the row a bad
value is on, counted as a person counts rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .columns import first_odd_position, odd_value_name
from .errors import DataError

# The largest float32: a number beyond it becomes inf in the model's inputs.
F32_MAX = float(np.finfo(np.float32).max)
# Set in a frame's attrs when its row labels are the positions of its rows in the table a
# person gave (the default index, after rows without a target were dropped).
LABELS_ARE_ROWS = "dlp_labels_are_rows"


def json_value(value: Any) -> Any:
    """A label as plain JSON (numpy scalars and integral floats tidied).
    (Copied into the standalone training script: numpy only.)"""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def row_number(data: pd.DataFrame | pd.Series, position: int) -> int:
    """The row of the value at ``position`` as a person finds it: in a table read from a
    CSV file, as a spreadsheet shows it (the header, if the file has one, is row 1), else
    counting the first data row as 1. Rows dropped before (those without a target) still count."""
    row = int(data.index[position]) if data.attrs.get(LABELS_ARE_ROWS) else position
    csv_read = data.attrs.get("csv")
    return row + (2 if csv_read and csv_read.get("header", True) else 1)


def is_default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def first_out_of_range(values: np.ndarray) -> int | None:
    """The position of the first value that is infinite or beyond float32; NaN is fine
    (missing)."""
    with np.errstate(invalid="ignore", over="ignore"):
        bad = np.abs(values) > F32_MAX  # NaN compares false
    return int(bad.argmax()) if bad.any() else None


def range_error(what: str, series: pd.Series, position: int, number: float) -> DataError:
    raw = series.iloc[position]
    shown = f'"{raw}"' if isinstance(raw, str) else f"{number:g}"
    why = "is not a finite number" if math.isinf(number) else "is too large for 32-bit floats (at most ±3.4e38)"
    row = row_number(series, position)
    return DataError(f"{what}, row {row}: {shown} {why}", column=str(series.name), row=row)


def factorize(series: pd.Series) -> tuple[np.ndarray, Sequence[Any]]:
    """``pd.factorize(series)``: codes (-1 for missing) and the distinct values. For text
    held by Arrow (what pandas' CSV reader makes) straight from Arrow: the codes are then
    a view of Arrow's int32 array, which pandas would copy twice more (the second time
    into int64), and fresh memory is slow to hand out on a busy machine."""
    if not (isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow") or not len(series):
        try:
            return pd.factorize(series, use_na_sentinel=True)
        except TypeError:  # a list or dict in a cell, after the values the kind was decided from
            raise odd_value_error(series) from None
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pa.array(series.array).dictionary_encode()
    if isinstance(encoded, pa.ChunkedArray):  # the CSV reader's chunks, with one dictionary
        encoded = encoded.combine_chunks()
    codes = encoded.indices
    if codes.null_count:
        codes = pc.fill_null(codes, -1)
    return codes.to_numpy(), encoded.dictionary.to_pylist()


def odd_value_error(series: pd.Series) -> DataError:
    """For a column that pandas could not factorise: where its first value that is
    neither a number nor text is (``is_odd_value``), or that it holds such values."""
    name = str(series.name)
    position = first_odd_position(series)
    if position is None:
        return DataError(f'column "{name}" holds values that are neither numbers nor text', column=name)
    row = row_number(series, position)
    return DataError(
        f'column "{name}", row {row}: it holds {odd_value_name(series.iloc[position])}; the playground takes '
        "numbers or text. Remove the column, or turn its values into numbers or text.",
        column=name,
        row=row,
    )
