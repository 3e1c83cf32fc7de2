"""Which columns of a table a model can learn from as they are, which one is probably the
target, and why: what the data step shows before anything is trained.

A column is left out of the features by default, with its reason, when it is an
identifier (a different value in every row), free text, dates, empty, a single value,
mostly missing, or has more categories than one-hot encoding is allowed to make. Some of
these can be switched on deliberately (``switchable``): an id-like number that means
something after all, a mostly-missing column, categories once the cap is raised.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..spec.data_section import DEFAULT_MAX_CATEGORIES
from .columns import CATEGORICAL, DATETIME, EMPTY, NUMERIC, TEXT, UNSUPPORTED, column_kind, unusable_values

# names a person gives the column to predict (lower case, without spaces, _ and -)
LABEL_NAMES = frozenset(
    "target label class y outcome result survived churn churned species diagnosis default fraud isfraud "
    "response approved passed grade quality rating price saleprice salary income sales revenue cost value".split()
)
# last words of an identifier's name: PassengerId, customer_id, order_no, ID
_ID_WORDS = frozenset({"id", "ids", "key", "no", "nr", "num", "number", "index", "idx", "uuid", "guid", "code"})
MOSTLY_MISSING = 0.8
MIN_ROWS_FOR_ID = 20


@dataclass
class ColumnAdvice:
    name: str
    kind: str
    usable: bool
    reason: str | None = None  # id, text, date, empty, constant, missing, categories, unsupported
    note: str = ""  # the reason in words, for people
    switchable: bool = False  # a person may still choose it as a feature

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))  # PassengerId -> Passenger Id
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def named_like_id(name: str) -> bool:
    words = _words(name)
    return bool(words) and words[-1] in _ID_WORDS


def named_like_label(name: str) -> bool:
    return re.sub(r"[\s_\-]+", "", str(name)).lower() in LABEL_NAMES


def _identifier(series: pd.Series, kind: str, name: str, distinct: int, present: int) -> str | None:
    """Why ``series`` looks like an identifier, or None. Unique values alone are not
    enough (a price can differ in every row): whole numbers must be named like an id or
    count through the rows; text must be short codes, not words."""
    if present < MIN_ROWS_FOR_ID or distinct != present or present != len(series):
        return None
    if kind == NUMERIC:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
        if not np.all(np.mod(values, 1) == 0):
            return None
        span = float(values.max() - values.min()) + 1
        if named_like_id(name) or span <= 1.5 * present:
            return "a different whole number in every row, like a row number or an id"
        return None
    if kind == CATEGORICAL:
        sample = series.iloc[:200].astype(str)
        if (sample.str.contains(r"\s").mean() < 0.2) or named_like_id(name):
            return "a different code in every row, like an id"
    return None


def id_like_warning(series: pd.Series) -> str | None:
    """A warning for a whole-number feature that looks like an identifier, decided cheaply
    (the dtype first, then the name or a count through the rows) so that preparing a large
    table of floats pays nothing for it."""
    if not pd.api.types.is_integer_dtype(series.dtype) or len(series) < MIN_ROWS_FOR_ID:
        return None
    counts_rows = series.is_monotonic_increasing and int(series.iloc[-1]) - int(series.iloc[0]) == len(series) - 1
    if not counts_rows and not (named_like_id(str(series.name)) and series.is_unique):
        return None
    return (
        f'column "{series.name}" looks like an id (a different whole number in every row); a model cannot learn '
        "from it: leave it out with data.features"
    )


def advise_column(series: pd.Series, max_categories: int = DEFAULT_MAX_CATEGORIES) -> ColumnAdvice:
    """Whether one column can be a feature as it is, and if not, why."""
    name = str(series.name)
    kind = column_kind(series, max_categories)
    n = len(series)
    present = int(series.notna().sum())
    if kind == EMPTY:
        return ColumnAdvice(name, kind, False, "empty", "no values at all")
    if kind == TEXT:
        return ColumnAdvice(name, kind, False, "text", "free text: a model here cannot read sentences")
    if kind == DATETIME:
        what = unusable_values(series) or "dates"
        return ColumnAdvice(name, kind, False, "date", f"{what}: turn them into numbers first (e.g. a year column)")
    if kind == UNSUPPORTED:
        return ColumnAdvice(name, kind, False, "unsupported", f"{unusable_values(series) or 'odd values'}")
    try:
        distinct = int(series.nunique())
    except TypeError:
        return ColumnAdvice(name, kind, False, "unsupported", "values that are neither numbers nor text")
    missing = 1 - present / n if n else 0.0
    if missing > MOSTLY_MISSING:
        return ColumnAdvice(name, kind, False, "missing", f"{missing:.0%} of the rows are empty", switchable=True)
    if distinct == 1:
        value = series.dropna().iloc[0]
        return ColumnAdvice(name, kind, False, "constant", f'one value only ("{value}"): it tells the model nothing')
    why_id = _identifier(series, kind, name, distinct, present)
    if why_id:
        return ColumnAdvice(name, kind, False, "id", why_id, switchable=kind == NUMERIC)
    if kind == CATEGORICAL and distinct > max_categories:
        return ColumnAdvice(
            name,
            kind,
            False,
            "categories",
            f"{distinct:,} different values, over the cap of {max_categories} for one-hot columns "
            "(raise the cap to use it)",
            switchable=True,
        )
    return ColumnAdvice(name, kind, True)


def advise_columns(frame: pd.DataFrame, max_categories: int = DEFAULT_MAX_CATEGORIES) -> list[ColumnAdvice]:
    return [advise_column(frame[c], max_categories) for c in frame.columns]


# what a target can be: classes or numbers (an id or free text is neither)
_NO_TARGET = frozenset({"id", "text", "date", "empty", "constant", "unsupported", "missing"})


MAX_GUESSED_CLASSES = 20


def _looks_like_classes(series: pd.Series, kind: str) -> bool:
    """A few labels: text, true/false, or whole numbers with at most 20 values."""
    values = series.dropna()
    distinct = values.nunique()
    if not 2 <= distinct <= MAX_GUESSED_CLASSES:
        return False
    if kind != NUMERIC:
        return True
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().all() and (numbers % 1 == 0).all())


def guess_target(frame: pd.DataFrame, advice: list[ColumnAdvice]) -> tuple[str | None, str]:
    """The column a person most probably wants to predict, and why it was picked: named
    like a label; else the last column when it holds a few classes (where most data sets
    keep the label); else the last column with two values; else the last usable column."""
    fit = [a for a in advice if a.reason not in _NO_TARGET]
    for a in fit:
        if named_like_label(a.name):
            return a.name, "its name says it is what to predict"
    last = advice[-1] if advice else None
    if last is not None and last in fit and _looks_like_classes(frame[last.name], last.kind):
        return last.name, "it is the last column and holds a few classes"
    for a in reversed(fit):
        if a.reason is None and frame[a.name].nunique() == 2:
            return a.name, "it has two values, like a yes/no answer"
    for a in reversed(fit):
        if a.usable:
            return a.name, "the last column that can be predicted"
    return None, "no column looks like something to predict"
