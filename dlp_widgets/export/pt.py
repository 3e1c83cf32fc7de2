"""``.pt`` files: state_dict + spec + preprocessing, all plain types, so they load with
``torch.load(weights_only=True)``; ``engine.saved.load_model`` turns one back into a model
that predicts on new raw rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..spec import Spec

PT_FORMAT = "dlp_widgets.model/1"


def save_pt(
    model: torch.nn.Module,
    spec: Spec,
    preprocessing: dict[str, Any] | None,
    path: str | Path,
    metrics: dict[str, Any] | None = None,
) -> Path:
    path = Path(path)
    payload = {
        "format": PT_FORMAT,
        "spec": spec.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "preprocessing": preprocessing,
        "metrics": {k: v for k, v in (metrics or {}).items() if isinstance(v, (int, float, str)) and k != "warnings"},
    }
    torch.save(payload, path)
    return path
