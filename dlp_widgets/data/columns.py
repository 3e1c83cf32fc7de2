"""What kind of data each column holds, decided from its values."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Hashable

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL, BOOLEAN, TEXT, DATETIME, EMPTY = "numeric", "categorical", "boolean", "text", "datetime", "empty"
# complex numbers, lists, dicts: nothing in the playground can encode them
UNSUPPORTED = "unsupported"

TRUE_WORDS = {"true", "yes", "y", "t"}
FALSE_WORDS = {"false", "no", "n", "f"}
_SAMPLE = 2000
# A text column whose values are at least this share numbers is a numeric column with
# typos: saying which value is not a number helps more than one-hot encoding the column.
NUMBER_SHARE = 0.9
_CONTAINERS = {list: "lists", tuple: "tuples", dict: "dicts", set: "sets", frozenset: "sets", np.ndarray: "arrays"}


def column_kind(series: pd.Series, max_categories: int = 50, count_unique: Callable[[], int] | None = None) -> str:
    """numeric, categorical, boolean, text, datetime (durations too), empty (no values at
    all), or unsupported (complex numbers, lists, dicts: ``unusable_values`` says which).
    ``count_unique``, when given, counts the distinct values instead of ``series.nunique()``
    (for a caller that factorises the column anyway)."""
    dtype = series.dtype
    # dtype checks first: they cost nothing, while dropna copies the column
    if pd.api.types.is_bool_dtype(dtype):
        return BOOLEAN
    if pd.api.types.is_complex_dtype(dtype):  # numeric to pandas, but no float holds one
        return UNSUPPORTED if _has_values(series) else EMPTY
    if pd.api.types.is_numeric_dtype(dtype):
        return NUMERIC if _has_values(series) else EMPTY
    if not _has_values(series):
        return EMPTY
    if _is_time_dtype(dtype):
        return DATETIME
    if isinstance(dtype, pd.CategoricalDtype):
        return CATEGORICAL
    sample = _sample(series)
    if not all(isinstance(v, str) for v in sample):
        if _odd_values(sample):
            return UNSUPPORTED
        # mixed objects: numbers written as text are still numbers
        return NUMERIC if _number_share(sample) >= NUMBER_SHARE else CATEGORICAL
    lowered = set(sample.str.strip().str.lower().unique())
    if lowered and (lowered <= TRUE_WORDS | FALSE_WORDS) and lowered & TRUE_WORDS and lowered & FALSE_WORDS:
        return BOOLEAN
    if _number_share(sample) >= NUMBER_SHARE:
        return NUMERIC  # the values that are not numbers are reported when it is converted
    if _looks_like_dates(sample):
        return DATETIME
    n_unique = count_unique() if count_unique is not None else series.nunique()
    if n_unique <= max_categories:
        return CATEGORICAL
    words = sample.str.count(r"\s+").median() + 1
    if words >= 3 or sample.str.len().median() > 30:
        return TEXT
    return CATEGORICAL  # many short labels: one-hot would be too wide, reported by the caller


def unusable_values(series: pd.Series) -> str | None:
    """What a column holds that no model here can take as a feature or predict as a
    target ("dates or times", "complex numbers", "lists", ...), or None. Decided from the
    dtype and, for object columns, the first values only."""
    dtype = series.dtype
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "durations (time spans)"
    if _is_time_dtype(dtype):
        return "dates or times"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex numbers"
    if not pd.api.types.is_object_dtype(dtype):
        return None
    return _odd_values(_sample(series))


def first_odd_position(series: pd.Series) -> int | None:
    """The position of the first value that ``is_odd_value``, or None. A loop in Python:
    for messages, once such a value is known to be there."""
    return next((i for i, v in enumerate(series) if is_odd_value(v)), None)


def is_odd_value(value: object) -> bool:
    """Neither a number nor text, in a way pandas cannot sort out: a container (which
    cannot be hashed, so not counted or one-hot encoded) or a complex number."""
    return isinstance(value, complex) or not isinstance(value, Hashable)


def odd_value_name(value: object) -> str:
    """How a message names values like ``value``: "lists", "dicts", "complex numbers"..."""
    if isinstance(value, complex):
        return "complex numbers"
    for kind, name in _CONTAINERS.items():
        if isinstance(value, kind):
            return name
    return f"{type(value).__name__} objects"


def _is_time_dtype(dtype: object) -> bool:
    # durations go with dates: as numbers they would be nanoseconds, which no one means
    return (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    )


def _sample(series: pd.Series) -> pd.Series:
    """The first non-missing values: a full dropna would copy the column."""
    head = series.iloc[: 4 * _SAMPLE].dropna()
    return head.iloc[:_SAMPLE] if len(head) else series.dropna().iloc[:_SAMPLE]


def _odd_values(sample: pd.Series) -> str | None:
    """``odd_value_name`` of the first odd value in ``sample`` (see ``is_odd_value``)."""
    for value in sample:
        if is_odd_value(value):
            return odd_value_name(value)
    return None


def _number_share(sample: pd.Series) -> float:
    """The share of ``sample`` (no missing values) that reads as numbers."""
    if not len(sample):
        return 0.0
    # a look at the first values first: most text columns hold no numbers at all
    head = sample.iloc[:20]
    if not pd.to_numeric(head, errors="coerce").notna().any():
        return 0.0
    return float(pd.to_numeric(sample, errors="coerce").notna().mean())


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
    out[lowered.isin(TRUE_WORDS)] = 1.0
    out[lowered.isin(FALSE_WORDS)] = 0.0
    return out


# Characters that show as nothing: zero-width space, non-joiner and joiner, word joiner,
# the byte-order mark (also "zero-width no-break space") and the soft hyphen. Copied from
# web pages and spreadsheets they make two names that look the same differ.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# Spaces that look like a plain space: no-break, narrow no-break and figure space.
_SPACE_LOOKALIKES = "\u00a0\u202f\u2007"
TO_PLAIN = {**dict.fromkeys(map(ord, _INVISIBLE)), **dict.fromkeys(map(ord, _SPACE_LOOKALIKES), " ")}


def clean_text(text: str, *, trim: bool = True) -> str:
    """A name or label as a person reads it: invisible characters removed, no-break spaces
    made plain spaces, accents composed (Unicode NFC: "e" + U+0301 becomes "é") and, with
    ``trim``, the ends trimmed. Two texts that look the same on screen are then equal."""
    if text.isascii():  # the usual case: nothing to compose or remove
        return text.strip() if trim else text
    cleaned = unicodedata.normalize("NFC", text.translate(TO_PLAIN))
    return cleaned.strip() if trim else cleaned


def invisible_difference(a: str, b: str) -> str:
    """The characters by which ``a`` and ``b`` differ that ``clean_text`` removes or
    changes, named as Unicode names them ("U+200B ZERO WIDTH SPACE"), for messages about
    two texts that ``clean_text`` makes equal."""
    differing = set(a) ^ set(b)
    odd = [c for c in dict.fromkeys(a + b) if c in differing and _changed_by_cleaning(c)]
    if not odd:  # the same characters in another order or number (a zero-width space moved)
        odd = [c for c in dict.fromkeys(a + b) if _changed_by_cleaning(c)]
    if not odd:
        return "spaces at the start or end"
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')}" for c in odd)


def _changed_by_cleaning(char: str) -> bool:
    return (
        char in _INVISIBLE
        or char in _SPACE_LOOKALIKES
        or unicodedata.combining(char) > 0  # an accent written apart from its letter
        or unicodedata.normalize("NFC", char) != char  # e.g. U+212B ANGSTROM SIGN for Å
    )
