"""Models back from ``.pt`` files, and predictions in the data's own terms.

The exporter writes plain types only; rebuilding the network from the saved spec is the
engine's job, so it lives here rather than beside the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..export.predict import predict_with
from ..export.pt import PT_FORMAT
from ..spec import Spec, load_spec
from .build import build_model


@dataclass
class SavedModel:
    model: torch.nn.Module
    spec: Spec
    preprocessing: dict[str, Any] | None

    def predict(self, rows: Any) -> Any:
        """Class names (or values in the target's units) for raw rows."""
        return predict_with(self.model, self.spec, self.preprocessing, rows)


def load_model(path: str | Path) -> SavedModel:
    """A model file written by ``run.export("pt")``, ready to ``predict`` on raw rows."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no model file at {file}")
    not_ours = f"{file} is not a dlp_widgets model file (one written by run.export('pt'))"
    try:
        payload = torch.load(file, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - torch's own text suggests weights_only=False, unsafe here
        raise ValueError(not_ours) from None
    if not isinstance(payload, dict) or payload.get("format") != PT_FORMAT:
        raise ValueError(not_ours)
    missing = [key for key in ("spec", "state_dict", "preprocessing") if key not in payload]
    if missing:
        raise ValueError(f"{file} is a dlp_widgets model file without its {', '.join(missing)}: export it again")
    spec = load_spec(payload["spec"])
    model = build_model(spec.model)
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return SavedModel(model, spec, payload["preprocessing"])
