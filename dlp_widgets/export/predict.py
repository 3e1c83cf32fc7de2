"""Predictions in the data's own terms — class names, values in the target's units — from a
model, its spec and its saved preprocessing, for raw rows. Used by runs, by model files
loaded back, and by the exporters that check themselves against it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..spec import Spec


@torch.inference_mode()
def predict_with(model: torch.nn.Module, spec: Spec, preprocessing: dict[str, Any] | None, rows: Any) -> np.ndarray:
    """Class names (classification) or values in the target's units (regression).

    ``rows``: a DataFrame of raw feature columns for tabular models; for image models a
    float tensor [N, C, H, W] in [0, 1] (the test transforms are applied here)."""

    from ..data.tabular import Preprocessor

    model.eval()
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    if preprocessing is None:
        raise ValueError("this model has no saved preprocessing")
    if preprocessing.get("kind") == "image":
        from ..data.images import build_transforms

        x = torch.as_tensor(rows).float()
        x = torch.stack([build_transforms(preprocessing["transforms"])(img) for img in x])
        out = model(x.to(device)).float()
        return np.asarray(preprocessing["classes"], dtype=object)[out.argmax(1).cpu().numpy()]
    pre = Preprocessor.from_dict(preprocessing)
    frame = _as_frame(rows)
    out = model(torch.from_numpy(pre.transform(frame)).to(device)).float().cpu()
    if pre.task == "classification":
        labels = (out.reshape(-1) > 0).long() if out.shape[1] == 1 else out.argmax(1)
        return pre.decode_target(labels.numpy())
    return pre.decode_target(out.reshape(-1).numpy())


def _as_frame(rows: Any) -> Any:
    """Raw rows as a DataFrame: a DataFrame, one row as a dict of values, a dict of columns or
    a list of row dicts; anything else is refused by name."""
    import pandas as pd

    from ..data import DataError

    if isinstance(rows, pd.DataFrame):
        frame = rows
    elif (
        isinstance(rows, dict)
        and rows
        and all(not isinstance(v, (list, tuple, dict, pd.Series)) for v in rows.values())
    ):
        frame = pd.DataFrame([rows])  # one row: {"sepal_length": 5.1, ...}
    elif isinstance(rows, (dict, list, tuple)):
        try:
            frame = pd.DataFrame(rows)
        except (ValueError, TypeError) as exc:
            raise DataError(f"the rows to predict could not be read as a table: {exc}") from None
    else:
        raise DataError(
            f"the rows to predict must be a DataFrame, a dict or a list of row dicts, not {type(rows).__name__}"
        )
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise DataError(f"the rows to predict have two columns named {duplicated[0]!r}", column=str(duplicated[0]))
    return frame
