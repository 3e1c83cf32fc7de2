"""A data summary for people: what the widgets and ``dlp data`` show before training."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..spec.data_section import DEFAULT_MAX_CATEGORIES
from .columns import CATEGORICAL, DATETIME, EMPTY, TEXT, UNSUPPORTED, unusable_values
from .errors import DataError
from .tabular import prepare_tabular
from .targets import check_target_column, class_counts, detect_task, task_warnings
from .usability import advise_columns, guess_target


def summarize_table(
    frame: pd.DataFrame,
    name: str,
    *,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    test_size: float = 0.2,
    seed: int = 0,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    n_examples: int = 5,
) -> dict[str, Any]:
    """Rows, columns with kind and missing counts, class balance, example rows; and when a
    target is given, the checks of a real preparation (raises ``DataError`` if it fails)."""
    if target is not None and target not in frame.columns:
        raise DataError(
            f'there is no column "{target}" (columns: {", ".join(map(str, frame.columns[:20]))})', column=target
        )
    used = set(features) if features is not None else {c for c in frame.columns if c != target}
    advice = {a.name: a for a in advise_columns(frame, max_categories)}
    columns = []
    for col in frame.columns:
        series = frame[col]
        a = advice[col]
        kind = a.kind
        role = "target" if col == target else ("feature" if col in used else "unused")
        entry: dict[str, Any] = {
            "name": col,
            "kind": kind,
            "dtype": str(series.dtype),
            "missing": int(series.isna().sum()),
            "distinct": _distinct(series),
            "role": role,
            "usable": a.usable,
            "reason": a.reason,
            "note": a.note,
            "switchable": a.switchable,
        }
        if role == "feature":
            if kind in (TEXT, DATETIME, EMPTY, UNSUPPORTED):
                entry["problem"] = {
                    TEXT: "free text: remove it from the features",
                    # dates written as text have a dtype that says nothing
                    DATETIME: f"{unusable_values(series) or 'dates'}: remove it from the features",
                    EMPTY: "no values",
                    UNSUPPORTED: f"{unusable_values(series) or 'odd values'}: remove it from the features",
                }[kind]
            elif kind == CATEGORICAL and entry["distinct"] > max_categories:
                entry["problem"] = f"{entry['distinct']:,} categories, over the cap of {max_categories}"
        columns.append(entry)
    summary: dict[str, Any] = {
        "source": name,
        "kind": "tabular",
        "rows": int(len(frame)),
        "columns": columns,
        "examples": json.loads(
            frame.head(n_examples).to_json(orient="records", date_format="iso", default_handler=str)
        ),
        "warnings": [],
    }
    if "csv" in frame.attrs:
        summary["csv"] = dict(frame.attrs["csv"])
        # e.g. that the file has no header row (with a target, prepare_tabular's warnings hold these)
        summary["warnings"] += summary["csv"].get("warnings", [])
    if target is not None:
        series = frame[target]
        check_target_column(series, target)  # before the class counts, which would fail deep in pandas
        chosen = task or detect_task(series.dropna())
        summary["target"] = target
        summary["task"] = chosen
        summary["task_detected"] = task is None
        if chosen == "classification":
            summary["class_balance"] = class_counts(series)
        prepared = prepare_tabular(
            frame, target, features, task=chosen, test_size=test_size, seed=seed, max_categories=max_categories
        )
        summary["warnings"] = prepared.warnings
        summary["input_shape"] = prepared.input_shape
        summary["classes"] = prepared.classes
        summary["split"] = {"train": int(len(prepared.y_train)), "test": int(len(prepared.y_test))}
        summary["dropped_rows"] = prepared.dropped_target_rows
        summary["inputs"] = prepared.preprocessor.output_names
    else:
        guess, why = guess_target(frame, list(advice.values()))
        summary["suggested_target"] = guess
        summary["suggested_target_why"] = why
        if guess is not None:
            summary["task_if_target"] = detect_task(frame[guess].dropna())
            summary["warnings"] += task_warnings(frame[guess], summary["task_if_target"], guess)
    summary["default_features"] = [
        c for c in frame.columns if c != (target or summary.get("suggested_target")) and advice[c].usable
    ]
    summary["max_categories"] = max_categories
    return _plain(summary)


def _distinct(series: pd.Series) -> int:
    try:
        return int(series.nunique())
    except TypeError:  # lists or dicts in cells cannot be hashed: count them as text
        return int(series.dropna().astype(str).nunique())


def _plain(value: Any) -> Any:
    """Numpy scalars and NaN to JSON-safe values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
