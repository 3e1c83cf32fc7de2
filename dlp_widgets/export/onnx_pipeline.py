"""ONNX export of a table model with its preprocessing inside the graph: raw columns in,
class names and probabilities (or values in the target's units) out, so that onnxruntime
answers what ``Run.predict`` answers without any Python around it.

The graph's inputs are one [N, 1] tensor per feature column, named as the column:
float32 for numeric columns (NaN = missing), text for boolean and categorical columns
("" = missing). The preprocessing nodes reproduce ``Preprocessor.transform`` step by step
(see ``dlp_widgets.data.tabular``); the network is the graph ``export_onnx`` writes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import onnx
import pandas as pd
import torch
from onnx import helper

from ..data.columns import BOOLEAN, CATEGORICAL, NUMERIC
from ..data.tabular import Preprocessor
from .errors import ExportError
from .onnx import export_onnx, model_metadata
from .onnx_pipeline_check import check_pipeline, pipeline_inputs, synthetic_rows
from .onnx_pipeline_graph import OUTPUTS, WHITESPACE, build_pipeline

__all__ = ["CHECK_ROWS", "WHITESPACE", "describe_inputs", "export_onnx_pipeline", "pipeline_inputs"]

# Raw rows the export checks itself on at most, beside its own synthesised rows.
CHECK_ROWS = 256


def export_onnx_pipeline(
    model: torch.nn.Module,
    input_shape: list[int] | tuple[int, ...],
    preprocessing: dict[str, Any] | None,
    path: str | Path,
    check_rows: pd.DataFrame | None = None,
    *,
    spec: Any,
) -> dict[str, float]:
    """Write ``path``: one ONNX graph from raw table columns to predictions.

    Checked by ``onnx.checker``, then by onnxruntime against ``predict_with(model, spec,
    ...)`` on ``check_rows`` (raw rows; their first ``CHECK_ROWS``) and on rows made up from
    the preprocessing (fills, each kind of missing value, an unseen category); a file that
    fails is removed. Returns the largest difference in probabilities (or values, in target
    units) and the rows checked."""
    pre = _table_preprocessor(preprocessing)
    _check_columns(pre)
    _check_fits(pre, input_shape)
    if check_rows is not None and not isinstance(check_rows, pd.DataFrame):
        raise ExportError(f"the rows to check the export on must be a DataFrame, not {type(check_rows).__name__}")
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        net_file = Path(tmp) / "net.onnx"
        export_onnx(model, input_shape, net_file)
        net = onnx.load(str(net_file))
    width = _output_width(model, input_shape)
    pipeline = build_pipeline(net, pre, width)
    _describe(pipeline, pre, preprocessing)
    onnx.save(pipeline, str(path))
    checks = [synthetic_rows(pre)]
    if check_rows is not None and len(check_rows):
        checks.insert(0, check_rows.iloc[:CHECK_ROWS])
    try:
        onnx.checker.check_model(str(path), full_check=True)
        results = [check_pipeline(path, model, spec, preprocessing, pre, rows) for rows in checks]
    except Exception:
        path.unlink(missing_ok=True)  # a pipeline that answers wrongly must not be used
        raise
    return {
        "max_abs_diff": max(r["max_abs_diff"] for r in results),
        "rows_checked": sum(r["rows_checked"] for r in results),
    }


# ---------------------------------------------------------------- what can be exported


def _table_preprocessor(preprocessing: dict[str, Any] | None) -> Preprocessor:
    if preprocessing is None:
        raise ExportError("this model has no saved preprocessing, which the ONNX pipeline is made of")
    if preprocessing.get("kind") == "image":
        raise ExportError(
            'the "onnx_pipeline" export is for table models (raw columns in); for an image model '
            'use the plain "onnx" format, whose input is the transformed image'
        )
    return Preprocessor.from_dict(preprocessing)


def _check_columns(pre: Preprocessor) -> None:
    """Refuses columns that the pipeline's inputs cannot stand for exactly."""
    names = [str(f.name) for f in pre.features]
    for name in names:
        if not name:
            raise ExportError("a feature column has an empty name, which cannot name an ONNX input; rename it")
        if name in OUTPUTS[pre.task]:
            raise ExportError(
                f'the feature column "{name}" has the name of an output of the ONNX pipeline; rename the column'
            )
    if len(set(names)) < len(names):
        raise ExportError("two feature columns have the same name as text, which must name distinct ONNX inputs")
    for f in pre.features:
        if f.kind == CATEGORICAL and "" in f.categories and str(f.fill) != "":
            raise ExportError(
                f'column "{f.name}" holds the empty text "" as a category of its own; the pipeline\'s text '
                'inputs use "" for a missing value. Replace "" in the column (by a missing value or a word) '
                "and train again"
            )


def _check_fits(pre: Preprocessor, input_shape: list[int] | tuple[int, ...]) -> None:
    if list(input_shape) != [pre.n_inputs]:
        raise ExportError(
            f"the model takes input_shape {list(input_shape)}, but the preprocessing makes {pre.n_inputs} features"
        )


@torch.no_grad()
def _output_width(model: torch.nn.Module, input_shape: list[int] | tuple[int, ...]) -> int:
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    try:
        out = model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
    return int(out.reshape(1, -1).shape[1])


# ---------------------------------------------------------------- description


def _describe(model: onnx.ModelProto, pre: Preprocessor, preprocessing: dict[str, Any]) -> None:
    inputs = describe_inputs(pre)
    outputs = (
        "value (float32 [N, 1]): the prediction in the target's units, as run.predict gives it"
        if pre.task == "regression"
        else "label (string [N]): the class name, as run.predict gives it; probabilities (float32 [N, C]): "
        'each class\'s probability, in the order of the "classes" metadata'
    )
    model.doc_string = (
        f"Raw table rows in, predictions out; the preprocessing is part of the graph. Inputs: {inputs}. "
        f"Outputs: {outputs}."
    )
    helper.set_model_props(
        model,
        {
            **model_metadata(preprocessing),
            "task": pre.task,
            "target": str(pre.target),
            "inputs": inputs,
            "outputs": outputs,
        },
    )


def describe_inputs(pre: Preprocessor) -> str:
    """The input columns by kind, and how each kind is given, for the file's doc string and
    metadata."""
    kinds = {
        NUMERIC: "float32 [N, 1], NaN for a missing value",
        BOOLEAN: 'string [N, 1]: true/yes/y/t or false/no/n/f in any case and spacing, "" for a missing value',
        CATEGORICAL: 'string [N, 1]: the value as text, "" for a missing value; a value not seen in training '
        "sets none of the column's one-hot features",
    }
    parts = []
    for kind, how in kinds.items():
        names = [str(f.name) for f in pre.features if f.kind == kind]
        if names:
            parts.append(f"{', '.join(names)} ({how})")
    return "one input per column, named as the column: " + "; ".join(parts)
