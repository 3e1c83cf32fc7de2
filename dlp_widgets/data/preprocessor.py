"""The saved preprocessor: how each raw feature column becomes model inputs (numbers
filled and standardised, booleans 0/1, categories one-hot) and how labels become targets,
with what was learned from the training rows. ``Preprocessor.transform`` prepares new raw
rows exactly like the training rows.

``category_name``, ``category_positions`` and ``boolean_inputs`` are copied into the
standalone training script (``export/script.py``): they use only numpy, pandas,
``clean_text`` and ``as_bool``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from .columns import BOOLEAN, CATEGORICAL, NUMERIC, as_bool, clean_text, is_odd_value, odd_value_name
from .errors import DataError
from .fast_rows import NotFinite, RowWriter, write_numeric, write_one_hot, write_rows, write_values
from .targets import label_name, numeric_target
from .values import factorize, first_out_of_range, json_value, range_error, row_number


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
            "fill": json_value(self.fill),
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
            write_rows(out, self.row_writers(frame))
        except NotFinite:
            raise non_finite_error(frame, [f for f in self.features if f.kind == NUMERIC]) from None
        return out

    def row_writers(
        self,
        frame: pd.DataFrame,
        numeric_values: dict[str, np.ndarray] | None = None,
        factorized: dict[str, tuple[np.ndarray, Any]] | None = None,
    ) -> list[tuple[int, RowWriter]]:
        """(number of outputs, writer) per feature, in ``output_names`` order, for
        ``write_rows``. Callers that already hold a numeric column's values
        (``numeric_values``) or a categorical column's ``factorize`` result pass them,
        keyed by column name."""
        numeric_values = numeric_values or {}
        factorized = factorized or {}
        writers: list[tuple[int, RowWriter]] = []
        numeric = [f for f in self.features if f.kind == NUMERIC]
        if numeric:  # one writer for all: each step then works on all of them at once
            columns = [
                numeric_values[f.name] if f.name in numeric_values else numeric_column(frame, f.name) for f in numeric
            ]
            writers.append((len(numeric), partial(write_numeric, columns, *_numeric_stats(numeric))))
        for f in self.features:
            if f.kind == BOOLEAN:
                writers.append((1, partial(write_values, boolean_inputs(frame[f.name], f.fill))))
        for f in self.features:
            if f.kind == CATEGORICAL:  # one-hot; a category never seen in training is all zeros
                known = factorized.get(f.name)
                codes, uniques = known if known is not None else factorize(frame[f.name])
                positions = category_positions(codes, uniques, f.categories, f.fill)
                writers.append((len(f.categories), partial(write_one_hot, positions)))
        return writers

    def encode_target(self, series: pd.Series) -> np.ndarray:
        if self.task == "classification":
            lookup: dict[str, int] = {}
            for i, name in enumerate(self.classes or []):  # (cleaned: models saved before kept raw text)
                lookup.setdefault(label_name(name), i)
            codes, uniques = factorize(series)
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
        values = numeric_target(series, self.target)
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
            "class_values": [json_value(v) for v in self.class_values] if self.class_values is not None else None,
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


# ---------------------------------------------------------------- the features' inputs


def boolean_inputs(series: pd.Series, fill: float) -> np.ndarray:
    """A boolean column as 0/1 float32 (``as_bool``), missing values as ``fill``."""
    values = as_bool(series).to_numpy(dtype=np.float32, na_value=np.nan, copy=True)
    values[np.isnan(values)] = fill
    return values


def category_name(value: Any) -> str:
    """A categorical value as text, invisible differences removed (``clean_text``) but not
    its spaces: " red" stays a category of its own, as the exported ONNX pipeline reads it."""
    return clean_text(str(value), trim=False)


def category_positions(codes: np.ndarray, uniques: Sequence[Any], categories: list[str], fill: str) -> np.ndarray:
    """Each row's index in ``categories`` (-1 if unknown), from the column's factorised
    ``codes`` and ``uniques``: only the distinct values are looked up, and a missing value
    (code -1) counts as ``fill``."""
    position: dict[str, int] = {}
    for i, c in enumerate(categories):  # (cleaned again: models saved before kept raw text)
        position.setdefault(category_name(c), i)
    # the smallest signed type for the positions: the codes are gathered and compared a
    # column at a time, and a byte a row moves faster than eight
    small = np.result_type(np.int8, np.min_scalar_type(len(categories)))
    lookup = np.array([position.get(category_name(u), -1) for u in [*uniques, fill]], dtype=small)
    return lookup[codes]  # code -1 (missing) picks the last entry: the fill's position


def _numeric_stats(features: list[FeatureEncoding]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The features' fills, means and standard deviations as float32 columns (k × 1), to
    broadcast over rows of ``standardise``."""
    return tuple(np.array([[getattr(f, a)] for f in features], dtype=np.float32) for a in ("fill", "mean", "std"))


# ---------------------------------------------------------------- numeric columns


def numeric_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as a 1-D array: the column's own memory when it is a plain numpy
    int or float column (nothing copied; cast to float32 when gathered), else converted,
    and checked, by ``_numeric_block``."""
    series = frame[name]
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        return series.to_numpy()
    return _numeric_block(frame, [name])[:, 0]


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
                row = row_number(frame, position)
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


def non_finite_error(frame: pd.DataFrame, features: list[FeatureEncoding]) -> DataError:
    """The first value of the numeric ``features`` (in column, then row order) that is
    infinite or too large for float32. Only called once something is known to be wrong,
    so it may convert whole columns again."""
    for f in features:
        series = frame[f.name]
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        position = first_out_of_range(values)
        if position is not None:
            return range_error(f'column "{f.name}"', series, position, float(values[position]))
    # no value is too large by itself, but its distance from the mean is (standardising
    # subtracts the mean in float32)
    for f in features:
        values = pd.to_numeric(frame[f.name], errors="coerce").to_numpy(dtype=np.float64, na_value=f.fill)
        if first_out_of_range(values - f.mean) is not None:
            return DataError(
                f'column "{f.name}" spans too wide a range for 32-bit floats (from {np.nanmin(values):g} '
                f"to {np.nanmax(values):g}); rescale it",
                column=f.name,
            )
    return DataError("the numeric features hold values too large for 32-bit floats (at most ±3.4e38)")
