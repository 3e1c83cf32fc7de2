"""Turn a data source (a spec's ``data.source``, a DataFrame, uploaded bytes) into a table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .builtin import BUILTINS
from .columns import clean_text, invisible_difference
from .csvread import MAX_COLUMNS, read_csv_bytes
from .errors import DataError
from .fetch import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, Progress, check_url, download
from .numbers import read_formatted_numbers

SOURCE_FORMS = (
    "builtin:NAME, toy:NAME, csv:PATH, an http(s):// URL, folder:PATH, zip:PATH, a DataFrame or uploaded bytes"
)
ZIP_MAGIC = b"PK\x03\x04"


def source_kind(source: Any) -> str:
    """ "tabular" or "image", without loading anything."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "image" if bytes(source[:4]) == ZIP_MAGIC else "tabular"
    if isinstance(source, str):
        if source.startswith(("folder:", "zip:")):
            return "image"
        if source.startswith("builtin:"):
            from .images import IMAGE_BUILTINS

            return "image" if source[len("builtin:") :] in IMAGE_BUILTINS else "tabular"
    return "tabular"


def load_table(
    source: Any,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    name: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """The table a source names, and a short name for it in messages."""
    frame, label = _load_table(source, max_bytes=max_bytes, timeout=timeout, progress=progress, name=name)
    return read_formatted_numbers(_clean_columns(frame, label)), label


def _clean_columns(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """``frame`` with its column names as ``clean_text`` shows them (a new frame when one
    changes), once checked to be distinct."""
    # Names are compared as the rest of the code sees them (str, cleaned): 1 and "1", "a"
    # and " a", or "café" with its accent written apart, would otherwise collide later
    # with a message from deep inside pandas, or look the same and be different.
    names = [str(c) for c in frame.columns]
    cleaned = [clean_text(n) for n in names]
    seen: dict[str, int] = {}
    for position, (raw, column) in enumerate(zip(names, cleaned, strict=True)):
        if column not in seen:
            seen[column] = position
            continue
        earlier = names[seen[column]]
        if earlier.strip() == raw.strip():
            raise DataError(f"{label} has two columns named {column!r}; rename one", column=column, source=label)
        raise DataError(
            f'{label}: columns {seen[column] + 1} and {position + 1} are both named "{column}" once invisible '
            f"differences are removed ({invisible_difference(earlier, raw)}); rename one of them",
            column=column,
            source=label,
        )
    if cleaned == list(frame.columns):
        return frame
    frame = frame.copy(deep=False)
    frame.columns = cleaned
    return frame


def _load_table(
    source: Any, *, max_bytes: int, timeout: float, progress: Progress | None, name: str | None
) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        if source.shape[1] == 0 or len(source) == 0:
            raise DataError("the DataFrame is empty")
        if source.shape[1] > MAX_COLUMNS:
            raise DataError(
                f"{name or 'the DataFrame'} has {source.shape[1]:,} columns; the playground takes at most {MAX_COLUMNS:,}"
            )
        frame = source.copy(deep=False)
        frame.columns = [str(c) for c in frame.columns]
        return frame, name or "the DataFrame"
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "the uploaded file"
        if data[:4] == ZIP_MAGIC:
            raise DataError(f"{label} is a zip archive; zips hold images, not a table")
        return read_csv_bytes(data, label), label
    if not isinstance(source, str) or not source.strip():
        raise DataError(f"a data source must be one of: {SOURCE_FORMS}")
    if source.startswith("builtin:"):
        key = source[len("builtin:") :]
        builtin = BUILTINS.get(key)
        if builtin is None:
            from .images import IMAGE_BUILTINS

            if key in IMAGE_BUILTINS:
                raise DataError(f"{source} is an image data set, not a table")
            raise DataError(
                f"unknown built-in data set {source!r}; choose one of {', '.join('builtin:' + k for k in BUILTINS)}"
            )
        return builtin.load(), source
    if source.startswith("toy:"):
        from .toy import toy_frame

        return toy_frame(source), source
    if source.startswith(("zip:", "folder:")):
        raise DataError(
            f"{source[:80]} is an image source (a zip or folder of class folders), not a table; "
            "for a CSV file use csv:PATH",
            source=source,
        )
    if source.startswith("csv:"):
        path = Path(source[len("csv:") :]).expanduser()
        return read_csv_bytes(path, str(path)), str(path)
    if "://" in source:
        check_url(source)
        path = download(source, max_bytes=max_bytes, timeout=timeout, progress=progress)
        return read_csv_bytes(path, source), source
    if source.lower().endswith((".csv", ".tsv", ".txt")):
        path = Path(source).expanduser()
        return read_csv_bytes(path, str(path)), str(path)
    raise DataError(f"cannot tell what {source[:80]!r} is; a data source is one of: {SOURCE_FORMS}")
