"""Tables to training-ready tensors: column handling, missing values, scaling, labels and
the split. Everything learned from data (medians, categories, means, class names) is
learned from the training split only and kept in a ``Preprocessor`` that is saved with the
model, so new raw rows are prepared exactly like the training rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .columns import BOOLEAN, CATEGORICAL, DATETIME, EMPTY, NUMERIC, TEXT, as_bool, column_kind
from .errors import DataError

DEFAULT_MAX_CATEGORIES = 50
MAX_CLASSES = 1000


def _json_value(value: Any) -> Any:
    """A label as plain JSON (numpy scalars and integral floats tidied)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _row_number(frame: pd.DataFrame, index_label: Any) -> int:
    """1-based data row as a person counts it (the first data row is 1)."""
    return int(frame.index.get_loc(index_label)) + 1


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
        (``output_names`` lists them), so the numeric block is copied in one piece.
        """
        missing = [f.name for f in self.features if f.name not in frame.columns]
        if missing:
            raise DataError(
                f"the rows lack the column(s) {', '.join(missing)} that the model was trained on", column=missing[0]
            )
        out = np.empty((len(frame), self.n_inputs), dtype=np.float32)
        numeric = [f for f in self.features if f.kind == NUMERIC]
        if numeric:
            out[:, : len(numeric)] = self._scaled_numeric(frame, numeric)
        self._encode_other(frame, out)
        return out

    def _encode_other(self, frame: pd.DataFrame, out: np.ndarray, order: np.ndarray | None = None) -> None:
        """Booleans and one-hot groups into ``out`` after the numeric columns; rows taken in
        ``order`` when given."""
        col = sum(f.kind == NUMERIC for f in self.features)
        rows = np.arange(len(out))
        for f in self.features:
            if f.kind == BOOLEAN:
                values = as_bool(frame[f.name]).to_numpy(dtype=np.float32, na_value=np.nan, copy=True)
                values[np.isnan(values)] = f.fill
                out[:, col] = values if order is None else values[order]
                col += 1
        for f in self.features:
            if f.kind == CATEGORICAL:  # one-hot; a category never seen in training is all zeros
                codes = _category_codes(frame[f.name], f.categories, f.fill)
                if order is not None:
                    codes = codes[order]
                block = out[:, col : col + len(f.categories)]
                block[:] = 0.0
                known = codes >= 0
                block[rows[known], codes[known]] = 1.0
                col += len(f.categories)

    @staticmethod
    def _scaled_numeric(frame: pd.DataFrame, numeric: list[FeatureEncoding]) -> np.ndarray:
        block = _numeric_block(frame, [f.name for f in numeric])
        _fill_nan(block, np.array([f.fill for f in numeric], dtype=np.float32))
        block -= np.array([f.mean for f in numeric], dtype=np.float32)
        block /= np.array([f.std for f in numeric], dtype=np.float32)
        return block

    def encode_target(self, series: pd.Series) -> np.ndarray:
        if self.task == "classification":
            lookup = {name: i for i, name in enumerate(self.classes or [])}
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
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


def _numeric_block(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    sub = frame[names]
    try:
        return sub.to_numpy(dtype=np.float32, na_value=np.nan, copy=True)
    except (ValueError, TypeError):
        pass
    for name in names:  # find the first value that is not a number, for the message
        coerced = pd.to_numeric(sub[name], errors="coerce")
        bad = coerced.isna() & sub[name].notna()
        if bad.any():
            label = bad.idxmax()
            raise DataError(
                f'column "{name}", row {_row_number(frame, label)}: "{sub[name][label]}" is not a number',
                column=name,
                row=_row_number(frame, label),
            )
    return sub.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float32, na_value=np.nan)


def label_name(value: Any) -> str:
    """A class label as text: 1.0 → "1", True → "True", "setosa" → "setosa"."""
    value = _json_value(value)
    return str(value)


def encode_labels(series: pd.Series) -> tuple[np.ndarray, list[str], list[Any]]:
    """Integer labels, class names in order (numbers numerically, text alphabetically) and
    the raw value each name stands for. ``series`` has no missing values."""
    codes, uniques = pd.factorize(series, sort=False)
    names = [label_name(u) for u in uniques]
    name_codes, unique_names = pd.factorize(pd.Index(names))  # 1 and 1.0 are one class
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    raw = {}
    for value, name in zip(uniques, names, strict=True):
        raw.setdefault(name, _json_value(value))
    keys = [float(raw[n]) if numeric else str(n) for n in unique_names]
    order = sorted(range(len(unique_names)), key=keys.__getitem__)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    labels = rank[name_codes][codes]
    classes = [str(unique_names[i]) for i in order]
    return labels, classes, [raw[c] for c in classes]


def class_counts(series: pd.Series) -> dict[str, int]:
    labels, classes, _ = encode_labels(series.dropna())
    return {c: int(n) for c, n in zip(classes, np.bincount(labels, minlength=len(classes)), strict=True)}


def _category_codes(series: pd.Series, categories: list[str], fill: str) -> np.ndarray:
    """Index of each value in ``categories`` (-1 if unknown); missing values count as
    ``fill``. Factorising first means only the distinct values are looked up."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    position = {c: i for i, c in enumerate(categories)}
    lookup = np.array([position.get(str(u), -1) for u in uniques] + [position.get(str(fill), -1)], dtype=np.int64)
    return lookup[codes]  # code -1 (missing) picks the last entry: the fill's position


def _fill_nan(block: np.ndarray, fills: np.ndarray) -> None:
    nan = np.isnan(block)
    if nan.any():
        rows, cols = np.nonzero(nan)
        block[rows, cols] = fills[cols]


def _numeric_target(series: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(f'target "{name}" is true/false; that is classification, not regression', column=name)
    coerced = pd.to_numeric(series, errors="coerce")
    bad = coerced.isna() & series.notna()
    if bad.any():
        label = bad.idxmax()
        raise DataError(
            f'target "{name}" holds text ("{series[label]}" in row {int(series.index.get_loc(label)) + 1}); '
            "regression needs numbers. Choose the task classification to predict categories.",
            column=name,
        )
    return coerced.to_numpy(dtype=np.float64)


# ---------------------------------------------------------------- task


def detect_task(series: pd.Series) -> str:
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        return "classification"
    integral = bool((values % 1 == 0).all())
    return "classification" if integral and values.nunique() <= 20 else "regression"


def task_warnings(series: pd.Series, task: str, name: str) -> list[str]:
    values = series.dropna()
    out = []
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return out
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
    warnings: list[str] = []

    # rows without a target cannot be learned from
    target_values = frame[target]
    keep = target_values.notna().to_numpy()
    dropped = int((~keep).sum())
    if not keep.any():
        raise DataError(f'target "{target}" has no values at all', column=target)
    if dropped:
        frame = frame.loc[keep]
        target_values = frame[target]
        warnings.append(f'{dropped:,} row(s) without a value in target "{target}" were dropped')

    task = task or detect_task(target_values)
    warnings += task_warnings(target_values, task, target)
    labels: np.ndarray | None = None
    classes: list[str] | None = None
    class_values: list[Any] | None = None
    if task == "classification":
        labels, classes, class_values = encode_labels(target_values)
        if len(classes) < 2:
            raise DataError(
                f'target "{target}" has only one class ("{classes[0]}"); a classifier needs at least two', column=target
            )
        if len(classes) > MAX_CLASSES:
            raise DataError(
                f'target "{target}" has {len(classes):,} distinct values; as classes that is over {MAX_CLASSES:,}. Is it a regression target?',
                column=target,
            )
    else:
        numeric_target = _numeric_target(target_values, target)

    # the split comes before any statistic is learned
    n = len(frame)
    train_pos, test_pos = split_positions(n, labels, classes, test_size=test_size, shuffle=shuffle, seed=seed)
    if batch_size is not None and len(train_pos) < batch_size:
        raise DataError(
            f"the training split holds {len(train_pos):,} rows, fewer than one batch (batch_size {batch_size}); "
            f"lower batch_size to at most {len(train_pos):,}"
        )

    kinds = {name: _usable_kind(frame[name], name, max_categories) for name in features}
    others = {
        name: _fit_other(kinds[name], frame[name].iloc[train_pos], frame[name], name, max_categories)
        for name in features
        if kinds[name] != NUMERIC
    }
    numeric_names = [name for name in features if kinds[name] == NUMERIC]
    encodings = [others.get(name) or FeatureEncoding(name, NUMERIC) for name in features]
    pre = Preprocessor(encodings, target, task, classes, class_values)

    # Rows are laid out training rows first, so both splits are views of one array and
    # every statistic is computed on the training rows only.
    order = np.concatenate([train_pos, test_pos])
    n_train = len(train_pos)
    X = np.empty((n, pre.n_inputs), dtype=np.float32)
    if numeric_names:
        block = X[:, : len(numeric_names)]
        np.take(_numeric_block(frame, numeric_names), order, axis=0, out=block)
        stats = _fit_numeric_in_place(block, n_train, numeric_names)
        for enc in encodings:
            if enc.kind == NUMERIC:
                enc.fill, enc.mean, enc.std, enc.missing_train = stats[enc.name]
    pre._encode_other(frame, X, order)
    for enc in encodings:
        if enc.missing_train:
            how = "the median" if enc.kind == NUMERIC else "the most frequent value"
            warnings.append(
                f'column "{enc.name}": {enc.missing_train:,} missing value(s) in the training rows filled with {how}'
            )
    if task == "classification":
        y = labels[order]
    else:
        train_y = numeric_target[train_pos]
        pre.target_mean = float(train_y.mean())
        pre.target_std = float(train_y.std()) or 1.0
        y = ((numeric_target[order] - pre.target_mean) / pre.target_std).astype(np.float32)
    index = frame.index.to_numpy()
    return TabularData(
        X_train=X[:n_train],
        y_train=y[:n_train],
        X_test=X[n_train:],
        y_test=y[n_train:],
        preprocessor=pre,
        train_index=index[train_pos],
        test_index=index[test_pos],
        dropped_target_rows=dropped,
        warnings=warnings,
    )


def split_positions(
    n: int,
    labels: np.ndarray | None,
    classes: list[str] | None,
    *,
    test_size: float,
    shuffle: bool,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row positions. Without shuffle the last rows are the test rows; with
    it, classification splits are stratified: each class keeps its share in both parts."""
    n_test = int(np.ceil(test_size * n))
    if n < 2 or n_test < 1 or n - n_test < 1:
        raise DataError(f"{n:,} row(s) cannot be split into training and test rows with test_size {test_size:g}")
    if not shuffle:
        return np.arange(n - n_test), np.arange(n - n_test, n)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    if labels is None:
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])
    counts = np.bincount(labels, minlength=len(classes))
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
    grouped = perm[np.argsort(labels[perm], kind="stable")]  # by class, random within each
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    in_test = np.zeros(n, dtype=bool)
    for start, q in zip(starts, quota, strict=True):
        in_test[grouped[start : start + q]] = True
    return np.nonzero(~in_test)[0], np.nonzero(in_test)[0]


def _usable_kind(series: pd.Series, name: str, max_categories: int) -> str:
    kind = column_kind(series, max_categories)
    if kind == EMPTY:
        raise DataError(f'column "{name}" has no values; remove it from the features', column=name)
    if kind == TEXT:
        raise DataError(
            f'column "{name}" holds free text, which the playground cannot use as a feature; remove it from the features',
            column=name,
        )
    if kind == DATETIME:
        raise DataError(
            f'column "{name}" holds dates or times; remove it from the features (or turn it into numbers, e.g. a year column)',
            column=name,
        )
    return kind


def _median_rows(cols: np.ndarray) -> np.ndarray:
    """The median of each row, partitioning ``cols`` in place (it is a scratch copy)."""
    m = cols.shape[1]
    k = m // 2
    cols.partition(k, axis=1)
    upper = cols[:, k]
    if m % 2:
        return upper.copy()
    return (cols[:, :k].max(axis=1) + upper) / 2


def _fit_numeric_in_place(
    block: np.ndarray, n_train: int, names: list[str]
) -> dict[str, tuple[float, float, float, int]]:
    """Fill and standardise ``block`` (rows: training rows first) with medians, means and
    standard deviations of its first ``n_train`` rows; return them per column."""
    nan = np.isnan(block[:n_train])
    missing = nan.sum(axis=0)
    cols = block[:n_train].T.copy()  # a scratch copy, one row per column: fast reductions
    fills = np.empty(len(names), dtype=np.float32)
    for j in np.nonzero(missing)[0]:
        present = cols[j][~nan[:, j]]
        if present.size == 0:
            raise DataError(f'column "{names[j]}" has no values in the training rows', column=names[j])
        fills[j] = np.median(present)
        cols[j][nan[:, j]] = fills[j]
    means = cols.mean(axis=1, dtype=np.float64)
    stds = cols.std(axis=1, dtype=np.float64)
    stds[stds == 0] = 1.0
    complete = missing == 0
    if complete.all():
        fills[:] = _median_rows(cols)
    elif complete.any():
        fills[complete] = _median_rows(cols[complete])
    _fill_nan(block, fills)
    block -= means.astype(np.float32)
    block /= stds.astype(np.float32)
    return {name: (float(fills[j]), float(means[j]), float(stds[j]), int(missing[j])) for j, name in enumerate(names)}


def _fit_other(kind: str, train: pd.Series, full: pd.Series, name: str, max_categories: int) -> FeatureEncoding:
    """Boolean and categorical columns, fitted on the training rows."""
    missing = int(train.isna().sum())
    if kind == BOOLEAN:
        mode = as_bool(train).mode()
        return FeatureEncoding(name, BOOLEAN, fill=float(mode.iloc[0]) if len(mode) else 0.0, missing_train=missing)
    n_unique = int(full.nunique())
    if n_unique > max_categories:
        raise DataError(
            f'column "{name}" has {n_unique:,} distinct values; one-hot encoding is capped at {max_categories} '
            "categories. Remove it from the features (an ID or a name column?) or raise max_categories.",
            column=name,
        )
    codes, uniques = pd.factorize(train, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    names = [str(u) for u in uniques]
    # the most frequent value (ties: the first in sorted order, as pandas' mode does)
    fill = min((-c, n) for c, n in zip(counts, names, strict=True))[1] if names else ""
    categories = sorted(set(names) | ({fill} if missing else set()))
    return FeatureEncoding(name, CATEGORICAL, fill=fill, categories=categories, missing_train=missing)
