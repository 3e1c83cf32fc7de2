"""ONNX export with a dynamic batch axis, checked by ``onnx.checker`` and by onnxruntime
against torch on a real batch."""

from __future__ import annotations

import contextlib
import copy
import io
from pathlib import Path

import numpy as np
import torch

from .errors import ExportError

TOLERANCE = 1e-4


def export_onnx(
    model: torch.nn.Module,
    input_shape: list[int] | tuple[int, ...],
    path: str | Path,
    check_batch: torch.Tensor | None = None,
) -> dict[str, float]:
    """Write ``path``; return how far onnxruntime's outputs are from torch's on a check batch."""
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
