"""``ModelSummary``: a model's layers with their output shapes and parameter counts, live.

Like torchinfo, but from the spec alone: no forward pass and no input tensor needed.
"""

from __future__ import annotations

from typing import Any

import traitlets

from ..spec import ModelSpec, infer
from .base import DLPWidget


class ModelSummary(DLPWidget):
    _asset = "summary"
    _python_owned = frozenset({"report"})

    # The model spec is edited in Python; the report is what the browser draws.
    spec = traitlets.Dict().tag(sync=False)
    report = traitlets.Dict().tag(sync=True)

    def __init__(self, model: ModelSpec | dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if model is not None:
            self.spec = model.to_dict() if isinstance(model, ModelSpec) else model

    @traitlets.observe("spec")
    def _update_report(self, change: dict[str, Any]) -> None:
        self.report = infer(change["new"]).to_dict()

    @classmethod
    def from_torch(cls, module: Any, input_shape: list[int] | tuple[int, ...]) -> ModelSummary:
        from ..engine.build import from_torch_chain

        return cls(from_torch_chain(module, input_shape))

    @property
    def ok(self) -> bool:
        return "error" not in self.report
