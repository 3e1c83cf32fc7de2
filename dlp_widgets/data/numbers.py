"""Numbers written for people: ``"1,234,567"``, ``"$1,299.00"``, ``"12.5%"``. A text column
that holds such numbers (and nothing else) becomes a numeric column, as a spreadsheet
would read it. Anything less certain is left alone: a column with one value that is not
such a number keeps its text, and the column checks name that value and its row."""

from __future__ import annotations

import re

import pandas as pd

# one number with optional currency, thousands separators (commas, groups of three),
# decimals and a trailing percent sign
_FORMATTED = re.compile(r"^\s*\(?[-+]?[$€£¥]?\s?[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s?%?\)?\s*$")
# what makes a value formatted rather than plain (plain numbers are pandas' job)
_DECORATION = re.compile(r"[,$€£¥%]")
_STRIP = re.compile(r"[\s,$€£¥%()+]")
_SAMPLE = 200


def read_formatted_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each text column of formatted numbers converted to float64 (a new
    frame when any is converted; ``frame`` itself is never changed)."""
    converted: dict[str, pd.Series] = {}
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            numbers = _as_numbers(series)
            if numbers is not None:
                converted[name] = numbers
    if not converted:
        return frame
    out = frame.copy(deep=False)
    for name, numbers in converted.items():
        out[name] = numbers
    return out


def _as_numbers(series: pd.Series) -> pd.Series | None:
    head = series.iloc[: 4 * _SAMPLE].dropna().iloc[:_SAMPLE]
    if not len(head) or not all(isinstance(v, str) for v in head):
        return None
    text = head.astype(str)
    # cheap refusals first: most text columns are not numbers at all
    if not text.str.contains(_DECORATION).any() or not text.str.match(_FORMATTED).all():
        return None
    values = series.dropna()
    if not all(isinstance(v, str) for v in values) or not values.str.match(_FORMATTED).all():
        return None
    negative = values.str.contains(r"^\s*\(|-", regex=True)  # (1,234) is how accounts write -1,234
    numbers = pd.to_numeric(values.str.replace(_STRIP, "", regex=True).str.replace("-", "", regex=False))
    numbers = numbers.where(~negative, -numbers)
    return numbers.reindex(series.index).astype("float64")
