"""A run's exports: the plain values an exporter needs, gathered from the run (its model,
spec, preprocessing, and for the script its training table — the data it used, checked
unchanged), the target checked against the store's own files, every file written
recorded with the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import torch

from ..data import DataError, load_table
from ..runstore import RunStore
from ..spec import Spec
from .run_data import data_for_run


class ExportedRun(Protocol):
    """What an export reads from a run (``Run`` has it all)."""

    id: str
    store: RunStore
    spec: Spec
    preprocessing: dict[str, Any] | None
    metrics: dict[str, Any]
    training_frame: pd.DataFrame | None

    @property
    def name(self) -> str: ...
    @property
    def folder(self) -> Path: ...
    @property
    def model(self) -> torch.nn.Module: ...
    @property
    def data_record(self) -> dict[str, Any] | None: ...
    def stored_data(self) -> tuple[str, bytes] | None: ...
    def test_inputs(self, n: int) -> torch.Tensor | None: ...


# the export formats that need the trained weights
NEEDS_WEIGHTS = frozenset({"onnx", "onnx_pipeline", "pt"})


def export_run(run: ExportedRun, fmt: str, path: str | Path | None = None, data: Any = None) -> list[Path]:
    """Write ``fmt`` for ``run``; every file written, the main one first."""
    from ..export import FORMATS, ExportError, check_format, real_target, write_export
    from ..export.script import data_path

    check_format(fmt)
    out = real_target(path if path is not None else run.folder / FORMATS[fmt])
    protected = run.store.protects(out)
    if protected:
        raise ExportError(f"{out} is {protected}: an export never replaces it; choose another name")
    written = write_export(
        fmt,
        out,
        model=run.model if fmt in NEEDS_WEIGHTS else None,  # the code needs no trained weights
        spec=run.spec,
        preprocessing=run.preprocessing,
        metrics=run.metrics,
        check_batch=run.test_inputs(64) if fmt == "onnx" else None,
        frame=_export_table(run, fmt, data),
        run_id=run.id,
        name=run.name,
    )
    run.store.add_artefact(run.id, fmt, written)
    if fmt != "script":
        return [written]
    table = data_path(written)  # the script's training table, beside it
    run.store.add_artefact(run.id, "script-data", table)
    return [written, table]


def _export_table(run: ExportedRun, fmt: str, data: Any) -> pd.DataFrame | None:
    """The training table for exports that use it: the script writes it beside itself;
    the ONNX pipeline checks itself on its rows when they are at hand."""
    if fmt == "script":
        return training_table(run, data)
    if fmt == "onnx_pipeline":
        try:
            return training_table(run, data)
        except DataError:
            return None  # it checks itself on rows made from the preprocessing instead
    return None


def training_table(run: ExportedRun, data: Any) -> pd.DataFrame | None:
    """The table ``run`` trained on: ``data`` when given (checked against what the run
    recorded), the table it still holds, its kept upload, or its source (checked
    unchanged). None where it cannot be had: the exporter then says what to pass."""
    record = run.data_record or {}
    if data is None and run.training_frame is not None:
        return run.training_frame  # the table this process trained on, still in memory
    if data is None and ((run.preprocessing or {}).get("kind") == "image" or record.get("kind") == "dataframe"):
        return None
    data = data_for_run(run.folder, run.id, data, record)
    if isinstance(data, pd.DataFrame):
        return data
    source = data if data is not None else run.spec.data.source
    if source is None:
        return None
    upload = run.stored_data()
    return load_table(source, name=upload[0] if upload and isinstance(source, bytes) else None)[0]
