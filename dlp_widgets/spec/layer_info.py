"""What the shape inference says of one layer (or graph node): its output shape, its
trainable parameters, its error or warning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import SpecError


@dataclass
class LayerInfo:
    type: Any
    output_shape: tuple[int, ...] | None = None
    params: int | None = None
    error: SpecError | None = None
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type if isinstance(self.type, str) else None,
            "output_shape": list(self.output_shape) if self.output_shape is not None else None,
            "params": self.params,
        }
        if self.error is not None:
            out["error"] = self.error.to_dict()
        if self.warning is not None:
            out["warning"] = self.warning
        return out
