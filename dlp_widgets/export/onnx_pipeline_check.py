"""Feeding raw rows to the ONNX pipeline, and checking its answers against torch and
``predict_with`` on real rows and on rows made up from the preprocessing alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..data.columns import BOOLEAN, CATEGORICAL, NUMERIC, clean_text
from ..data.tabular import Preprocessor
from .errors import ExportError
from .onnx import TOLERANCE
from .onnx_pipeline_graph import OUTPUTS

UNSEEN = "\x00not seen in training"


def pipeline_inputs(rows: pd.DataFrame, preprocessing: dict[str, Any]) -> dict[str, np.ndarray]:
    """Raw rows as the pipeline's inputs: numeric columns as float32 (missing as NaN), the
    others as text (missing as ""), categories cleaned of look-alike characters as in
    training (``clean_text``). An empty text counts as missing in the pipeline."""
    pre = Preprocessor.from_dict(preprocessing)
    missing = [str(f.name) for f in pre.features if f.name not in rows.columns]
    if missing:
        raise ExportError(f"the rows lack the column(s) {', '.join(missing)} that the model was trained on")
    feeds = {}
    for f in pre.features:
        series = rows[f.name]
        if f.kind == NUMERIC:
            values = pd.to_numeric(series).to_numpy(dtype=np.float32, na_value=np.nan)
        else:
            # categories cleaned as training cleaned them (an ONNX graph cannot compose accents
            # or drop zero-width characters itself): feed raw text through this function
            clean = (lambda v: clean_text(v, trim=False)) if f.kind == CATEGORICAL else str
            values = np.array(["" if pd.isna(v) else clean(str(v)) for v in series], dtype=object)
        feeds[str(f.name)] = values.reshape(-1, 1)
    return feeds


def synthetic_rows(pre: Preprocessor, n: int = 8) -> pd.DataFrame:
    """Raw rows made up from the preprocessing alone: the fills, missing values, values
    either side of the mean, each text spelling of a boolean, categories and an unseen one."""
    columns = {}
    for f in pre.features:
        if f.kind == NUMERIC:
            values = [f.fill, np.nan, f.mean, f.mean + f.std, f.mean - f.std, f.mean + 2 * f.std]
        elif f.kind == BOOLEAN:
            values = ["true" if f.fill else "false", None, " Yes ", "NO", "maybe", "t", "\u00a0False\t", "y"]
        else:
            values = [str(f.fill), None, UNSEEN, *f.categories]
        cycled = [values[i % len(values)] for i in range(n)]
        columns[f.name] = pd.Series(cycled, dtype=np.float64 if f.kind == NUMERIC else object)
    return pd.DataFrame(columns)


def _as_the_pipeline_reads(rows: pd.DataFrame, pre: Preprocessor) -> pd.DataFrame:
    """``rows`` with "" in the text columns made missing: what the pipeline takes "" for."""
    out = rows.copy()
    for f in pre.features:
        if f.kind != NUMERIC:
            empty = out[f.name].map(lambda v: isinstance(v, str) and v == "").astype(bool)
            if empty.any():
                out[f.name] = out[f.name].astype(object).mask(empty, None)
    return out


@torch.no_grad()
def check_pipeline(
    path: Path, model: torch.nn.Module, spec: Any, preprocessing: dict[str, Any], pre: Preprocessor, rows: pd.DataFrame
) -> dict[str, float]:
    """onnxruntime on ``rows`` against ``predict_with``, and its probabilities against the
    softmax (or sigmoid) of torch's outputs on ``Preprocessor.transform``."""
    import onnxruntime as ort

    from .predict import predict_with

    rows = _as_the_pipeline_reads(rows, pre)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = list(OUTPUTS[pre.task])
    got = dict(zip(names, session.run(names, pipeline_inputs(rows, preprocessing)), strict=True))
    want = predict_with(model, spec, preprocessing, rows)  # it puts the model in eval mode
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    outputs = model(torch.from_numpy(pre.transform(rows)).to(device)).float().cpu()
    if pre.task == "regression":
        diff = np.abs(got["value"].reshape(-1).astype(np.float64) - want)
        # the network's own tolerance, in target units, or relative for large values
        allowed = TOLERANCE * (pre.target_std + np.abs(want))
        if got["value"].shape != (len(rows), 1) or (diff > allowed).any():
            raise ExportError(f"the ONNX pipeline's values differ from predict's by up to {diff.max():.3g}")
        return {"max_abs_diff": float(diff.max(initial=0.0)), "rows_checked": len(rows)}
    probabilities = _probabilities(outputs)
    diff = float(np.abs(got["probabilities"] - probabilities).max(initial=0.0))
    if got["probabilities"].shape != probabilities.shape or diff > TOLERANCE:
        raise ExportError(f"the ONNX pipeline's probabilities differ from torch's by up to {diff:.3g}")
    # a near tie may go either way between two runtimes: only a clear winner must agree
    wrong = (got["label"] != want) & (_margins(outputs) > TOLERANCE)
    if wrong.any():
        i = int(wrong.argmax())
        raise ExportError(
            f'the ONNX pipeline predicts "{got["label"][i]}" where predict says "{want[i]}" (row {i + 1})'
        )
    return {"max_abs_diff": diff, "rows_checked": len(rows)}


def _probabilities(outputs: torch.Tensor) -> np.ndarray:
    if outputs.shape[1] == 1:
        p = torch.sigmoid(outputs)
        return torch.cat([1 - p, p], dim=1).numpy()
    return torch.softmax(outputs, dim=1).numpy()


def _margins(outputs: torch.Tensor) -> np.ndarray:
    """How far each row's decision is from a tie: the logit from 0 for a single output,
    else the gap between the two largest logits."""
    if outputs.shape[1] == 1:
        return outputs.abs().reshape(-1).numpy()
    top = outputs.topk(2, dim=1).values
    return (top[:, 0] - top[:, 1]).numpy()
