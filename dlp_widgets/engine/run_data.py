"""What a run trained on, kept with the run: the source it names, a copy of uploaded bytes
(they are the run's data: nothing else holds them once the browser is closed), or a note
describing a DataFrame passed from Python (which cannot be kept, only asked for again).

Also the run's default name, made from its data and model (``digits · CNN 5 layers``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from ..data.fingerprint import check_unchanged, frame_fingerprint, source_fingerprint
from ..spec import ModelSpec, Spec
from ..spec.graph import GraphSpec

RECORD = "data.json"
UPLOAD_FOLDER = "upload"
DATAFRAME_LABEL = "DataFrame (passed from Python)"
SHOWN_COLUMNS = 50


def safe_file_name(name: str | None, default: str = "upload.csv") -> str:
    """An uploaded file's name as a plain file name: no folders, no odd characters."""
    base = PurePosixPath(str(name or "").replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return base[:120] or default


def source_label(spec: Spec, data: Any, data_name: str | None = None) -> str:
    """How the run store and ``dlp runs`` name a run's data."""
    if data is None:
        return spec.data.source or "unknown"
    if isinstance(data, pd.DataFrame):
        return DATAFRAME_LABEL
    if isinstance(data, (bytes, bytearray, memoryview)):
        return f"upload: {safe_file_name(data_name)}"
    return str(data)


def record_data(folder: Path, spec: Spec, data: Any, data_name: str | None = None) -> dict[str, Any]:
    """Write ``data.json`` (and a copy of uploaded bytes) into the run's folder."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        content = bytes(data)
        name = safe_file_name(data_name, "upload.zip" if content[:4] == b"PK\x03\x04" else "upload.csv")
        target = folder / UPLOAD_FOLDER / name
        target.parent.mkdir(exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(content)
        os.replace(tmp, target)
        record: dict[str, Any] = {
            "kind": "upload",
            "name": name,
            "file": f"{UPLOAD_FOLDER}/{name}",
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    elif isinstance(data, pd.DataFrame):
        columns = [str(c) for c in data.columns]
        record = {
            "kind": "dataframe",
            "rows": int(len(data)),
            "n_columns": len(columns),
            "columns": columns[:SHOWN_COLUMNS],
            "fingerprint": frame_fingerprint(data),
        }
    else:
        source = data if isinstance(data, str) else spec.data.source
        record = {"kind": "source", "source": source, "fingerprint": source_fingerprint(source) if source else None}
    (folder / RECORD).write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    return record


def read_record(folder: Path) -> dict[str, Any] | None:
    """The run's data record, or None for runs saved before records existed (or damaged)."""
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("kind"), str) else None


def stored_upload(folder: Path, record: dict[str, Any] | None) -> tuple[str, bytes] | None:
    """The uploaded file a run trained on (name, bytes), read back from its folder; None
    when the run did not train on an upload or the copy is gone or changed."""
    if not record or record.get("kind") != "upload":
        return None
    path = folder / UPLOAD_FOLDER / safe_file_name(record.get("name"))
    try:
        content = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(content).hexdigest() != record.get("sha256"):
        return None
    return str(record.get("name")), content


def data_for_run(folder: Path, run_id: str, data: Any, record: dict[str, Any] | None) -> Any:
    """The data to resume or export a run with: ``data`` when given, else what the run
    recorded (its source, its kept upload); checked against the fingerprint the run
    recorded, so that nothing goes on with data other than the run's own. Raises
    ``DataError`` saying what differs or what to pass."""
    from ..data import DataError

    record = record or {}
    kind = record.get("kind")
    if data is None:
        if kind == "dataframe":
            raise DataError(f"run {run_id} trained on {describe_dataframe(record)}, passed from Python: pass it again")
        if kind == "upload":
            upload = stored_upload(folder, record)
            if upload is None:
                raise DataError(
                    f"the uploaded file run {run_id} trained on ({record.get('name')}) is missing or changed"
                )
            return upload[1]
        if kind == "source" and record.get("source"):
            source = record["source"]
            check_unchanged(source, record.get("fingerprint"), source_fingerprint(source), run_id)
            return source
        return None  # a run from before records: its spec's source, unchecked as it was
    if isinstance(data, pd.DataFrame) and kind == "dataframe":
        check_unchanged("the DataFrame passed", record.get("fingerprint"), frame_fingerprint(data), run_id)
    elif isinstance(data, str) and kind == "source":
        check_unchanged(data, record.get("fingerprint"), source_fingerprint(data), run_id)
    elif isinstance(data, (bytes, bytearray, memoryview)) and kind == "upload":
        if hashlib.sha256(bytes(data)).hexdigest() != record.get("sha256"):
            raise DataError(f"these bytes are not the file run {run_id} trained on ({record.get('name')})")
    return data


def describe_dataframe(record: dict[str, Any]) -> str:
    """``a DataFrame of 891 rows with columns a, b, c, …`` from a record."""
    columns = ", ".join(record.get("columns", [])[:8])
    more = "…" if record.get("n_columns", 0) > 8 else ""
    return f"a DataFrame of {record.get('rows', 0):,} rows with columns {columns}{more}"


# ---------------------------------------------------------------- default names


def data_title(spec: Spec, data: Any, data_name: str | None = None) -> str:
    """A short name for a run's data: ``digits``, ``titanic.csv``, ``pets``, ``DataFrame``."""
    if isinstance(data, pd.DataFrame):
        return "DataFrame"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return safe_file_name(data_name, "upload")
    source = data if isinstance(data, str) else spec.data.source
    if not source:
        return "data"
    for prefix in ("builtin:", "csv:", "folder:", "zip:"):
        if source.startswith(prefix):
            rest = source[len(prefix) :].rstrip("/\\")
            return rest if prefix == "builtin:" else (PurePosixPath(rest.replace("\\", "/")).name or rest)
    if "://" in source:
        parts = urlsplit(source)
        return PurePosixPath(parts.path).name or parts.hostname or "download"
    return PurePosixPath(source.replace("\\", "/")).name or source


def model_title(model: ModelSpec | GraphSpec) -> str:
    """``CNN 5 layers``, ``MLP 3 layers``, ``linear model``, ``empty model``; a graph with a
    merge: ``residual CNN 13 nodes``, ``CNN with concatenation 20 nodes``."""
    if isinstance(model, GraphSpec):
        types = [node.type for node in model.nodes]
        kind = "CNN" if "Conv2d" in types else ("MLP" if types.count("Linear") >= 2 else "model")
        if "Add" in types:
            kind = f"residual {kind}"
        elif "Concat" in types:
            kind = f"{kind} with concatenation"
        return f"{kind} {len(types)} node{'s' if len(types) != 1 else ''}"
    types = [layer.type for layer in model.layers]
    n = len(types)
    if not n:
        return "empty model"
    if "Conv2d" in types:
        kind = "CNN"
    elif types.count("Linear") >= 2:
        kind = "MLP"
    elif types == ["Linear"]:
        return "linear model"
    else:
        kind = "model"
    return f"{kind} {n} layer{'s' if n > 1 else ''}"


def default_name(spec: Spec, data: Any, data_name: str | None = None) -> str:
    return f"{data_title(spec, data, data_name)} · {model_title(spec.model)}"
