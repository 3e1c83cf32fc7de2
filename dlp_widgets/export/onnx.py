"""ONNX export with a dynamic batch axis, checked by ``onnx.checker`` and by onnxruntime
against torch on a real batch. The graph is the network alone: its input is the
preprocessed features (``onnx_pipeline`` exports one that takes raw table rows)."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import ExportError

TOLERANCE = 1e-4
DOC = (
    'Input "input": float32 [N, {shape}], the model\'s input after preprocessing, not raw data '
    "(for a table: the numeric columns standardised, then the booleans as 0/1, then the one-hot "
    'groups, as the "preprocessing" metadata describes; for images: the image after the test '
    'transforms). Output "output": float32, the raw model outputs (logits for classification, '
    'in the order of the "classes" metadata; standardised values for regression).'
)


def model_metadata(preprocessing: dict[str, Any] | None) -> dict[str, str]:
    """What an ONNX file needs beside the network to be used: the preprocessing, as JSON,
    and the class names in output order (classification)."""
    if preprocessing is None:
        return {}
    meta = {"preprocessing": json.dumps(preprocessing, default=str)}
    if preprocessing.get("classes") is not None:
        meta["classes"] = json.dumps(preprocessing["classes"])
    return meta


def export_onnx(
    model: torch.nn.Module,
    input_shape: list[int] | tuple[int, ...],
    path: str | Path,
    check_batch: torch.Tensor | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, float]:
    """Write ``path``; return how far onnxruntime's outputs are from torch's on a check batch.

    ``metadata`` goes into the file's ``metadata_props`` (``model_metadata`` makes it)."""
    import onnx
    import onnxruntime as ort

    path = Path(path)
    model = copy.deepcopy(model).to("cpu").eval()
    example = torch.randn(2, *input_shape)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), torch.no_grad():  # the exporter narrates its passes
        torch.onnx.export(
            model,
            (example,),
            str(path),
            dynamo=True,
            input_names=["input"],
            output_names=["output"],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            external_data=False,
        )
    _describe(path, input_shape, metadata or {})
    onnx.checker.check_model(str(path))
    batch = check_batch.to("cpu").float() if check_batch is not None else torch.randn(8, *input_shape)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: batch.numpy()})[0]
    with torch.no_grad():
        want = model(batch).numpy()
    diff = float(np.abs(got - want).max()) if got.size else 0.0
    if got.shape != want.shape or diff > TOLERANCE:
        raise ExportError(f"onnxruntime disagrees with torch by {diff:.2e} (shape {got.shape} vs {want.shape})")
    return {"max_abs_diff": diff, "rows_checked": int(batch.shape[0])}


def _describe(path: Path, input_shape: list[int] | tuple[int, ...], metadata: dict[str, str]) -> None:
    """The doc string and metadata written into the exported file, which other tools show."""
    import onnx

    proto = onnx.load(str(path))
    proto.doc_string = DOC.format(shape=", ".join(str(d) for d in input_shape))
    onnx.helper.set_model_props(proto, {**{p.key: p.value for p in proto.metadata_props}, **metadata})
    onnx.save(proto, str(path))
