"""Tables to training-ready tensors: ``prepare_tabular`` checks the columns, drops rows
without a target, splits the rows, and encodes features and target, with everything
learned from data (medians, categories, means, class names) learned from the training
split only and kept in a ``Preprocessor`` that is saved with the model, so new raw rows
are prepared exactly like the training rows.

The steps live beside it, each module importing only those before it:
``fast_rows`` (chunked row writing, threads) and ``values`` (factorising, row numbers);
``split`` and ``targets``; ``preprocessor`` (the saved encodings); ``fitting`` (learning
them). The names other modules import from here stay importable from here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..spec.data_section import DEFAULT_MAX_CATEGORIES
from .columns import NUMERIC
from .errors import DataError
from .fast_rows import FIT_CHUNK, ROW_CHUNK, WORKERS, RowWriter
from .fitting import Factorized, feature_kinds, fit_and_write, fit_encoding
from .preprocessor import FeatureEncoding, Preprocessor
from .split import shuffled_rows, split_positions
from .targets import (
    MAX_CLASSES,
    check_target_column,
    class_counts,
    detect_task,
    encode_labels,
    encode_target_column,
    label_name,
    task_warnings,
)
from .usability import id_like_warning
from .values import F32_MAX, LABELS_ARE_ROWS, is_default_index

__all__ = [
    "DEFAULT_MAX_CATEGORIES",
    "F32_MAX",
    "FIT_CHUNK",
    "MAX_CLASSES",
    "ROW_CHUNK",
    "WORKERS",
    "FeatureEncoding",
    "Preprocessor",
    "RowWriter",
    "TabularData",
    "check_target_column",
    "class_counts",
    "detect_task",
    "encode_labels",
    "label_name",
    "prepare_tabular",
    "split_positions",
    "task_warnings",
]


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
    scale: bool = True,
) -> TabularData:
    """The frame as training and test arrays: the rows split (stratified for
    classification), features encoded (numbers standardised unless ``scale`` is off,
    booleans 0/1, categories one-hot) with everything learned from the training rows only."""
    chosen = features is not None
    features = _feature_names(frame, target, features)
    warnings: list[str] = list(frame.attrs.get("csv", {}).get("warnings", []))  # e.g. no header row
    if not chosen:  # every column by default: say which one is probably an identifier
        warnings += [w for w in (id_like_warning(frame[name]) for name in features) if w]
    frame, dropped = _rows_with_target(frame, target, warnings)
    # Each text column is factorised once, when first needed: counting its distinct values,
    # fitting, and the one-hot codes all use the same codes.
    factorized = Factorized(frame)
    # The rows' shuffle and the features' kinds (for a text column the costly part:
    # factorising it) are worked out on helper threads while the target is encoded; the
    # kinds' errors come after the target's and the split's, as when the steps ran in turn.
    with ThreadPoolExecutor(2) as helper:
        shuffled = helper.submit(shuffled_rows, len(frame), seed) if shuffle else None
        kinds_job = helper.submit(feature_kinds, frame, features, max_categories, factorized)
        targets = encode_target_column(frame[target], target, task, warnings)
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
    encodings = [fit_encoding(frame[name], kinds[name], factorized, train_pos, max_categories) for name in features]
    pre = Preprocessor(encodings, target, targets.task, targets.classes, targets.class_values)

    # Rows are laid out training rows first, so both splits are views of one array and
    # every statistic is computed on the training rows only.
    order = np.concatenate([train_pos, test_pos])
    n_train = len(train_pos)
    X = fit_and_write(frame, pre, factorized, order, n_train, scale=scale)
    for enc in encodings:
        if enc.missing_train:
            how = "the median" if enc.kind == NUMERIC else "the most frequent value"
            warnings.append(
                f'column "{enc.name}": {enc.missing_train:,} missing value(s) in the training rows filled with {how}'
            )
    y, pre.target_mean, pre.target_std = targets.ordered(order, n_train)
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
    if is_default_index(index):
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
        labels_are_rows = frame.attrs.get(LABELS_ARE_ROWS) or is_default_index(frame.index)
        frame = frame.loc[keep]
        if labels_are_rows:  # so that messages still count the dropped rows
            frame.attrs = {**frame.attrs, LABELS_ARE_ROWS: True}
        warnings.append(f'{dropped:,} row(s) without a value in target "{target}" were dropped')
    return frame, dropped
