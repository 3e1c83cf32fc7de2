"""``LayerBuilder``: build a network by drag and drop (or keyboard) in a notebook cell.

The browser edits ``input_shape`` and ``layers``; Python validates them like any untrusted
input (the shape inference never raises) and answers with ``report`` — every layer's output
shape, parameter count and error — which the browser shows in place.
"""

from __future__ import annotations

from typing import Any

import traitlets

from ..spec import ModelSpec, infer, palette
from ..spec.graph import GraphSpec, chain_of
from .base import DLPWidget


def _catalogue_with_pages() -> list[dict[str, Any]]:
    """The palette entries with their wiki sections (mistakes, a worked example, a picture)."""
    from ..layer_docs import page

    out = []
    for item in palette():
        p = page(item["name"])
        out.append({**item, "example": p["example"], "mistakes": p["mistakes"], "picture": p["picture"]})
    return out


class LayerBuilder(DLPWidget):
    _asset = "builder"
    _python_owned = frozenset({"report", "catalogue"})

    catalogue = traitlets.List().tag(sync=True)
    # Any, not List/Int: a malformed value from the browser must reach our validation, not
    # fail inside traitlets.
    input_shape = traitlets.Any([4]).tag(sync=True)
    layers = traitlets.Any([]).tag(sync=True)
    selected = traitlets.Any(-1).tag(sync=True)
    report = traitlets.Dict().tag(sync=True)
    _checks = 0  # how many times the layers were checked: see set_state

    def __init__(
        self, model: ModelSpec | dict[str, Any] | None = None, *, input_shape: list[int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(catalogue=_catalogue_with_pages(), **kwargs)
        if model is not None:
            self.spec = model
        elif input_shape is not None:
            self.input_shape = list(input_shape)
        self._update_report()

    def set_state(self, sync_data: dict[str, Any]) -> None:
        checks = self._checks
        super().set_state(sync_data)
        # traitlets notifies only when a value changes by ==, and 3.0 == 3 or True == 1: what
        # arrived unnoticed is checked all the same
        if self._checks == checks and ("layers" in sync_data or "input_shape" in sync_data):
            self._update_report()
        if "selected" in sync_data:
            self._check_selected({"new": self.selected})

    @traitlets.observe("layers", "input_shape")
    def _update_report(self, change: dict[str, Any] | None = None) -> None:
        self._checks += 1
        report = infer({"input_shape": self.input_shape, "layers": self.layers}).to_dict()
        n = len(self.layers) if isinstance(self.layers, list) else 0
        with self.hold_sync():
            self.report = report
            if not (isinstance(self.selected, int) and not isinstance(self.selected, bool) and -1 <= self.selected < n):
                self.selected = min(n - 1, 0) if n else -1

    @traitlets.observe("selected")
    def _check_selected(self, change: dict[str, Any]) -> None:
        value = change["new"]
        n = len(self.layers) if isinstance(self.layers, list) else 0
        if not (isinstance(value, int) and not isinstance(value, bool) and -1 <= value < n):
            self.selected = -1

    # -- the Python side

    @property
    def ok(self) -> bool:
        return "error" not in self.report

    @property
    def error(self) -> dict[str, Any] | None:
        return self.report.get("error")

    @property
    def spec(self) -> ModelSpec:
        """The model as a validated ``ModelSpec`` (raises ``SpecError`` while it is invalid)."""
        spec = ModelSpec.from_dict({"input_shape": self.input_shape, "layers": self.layers})
        infer(spec).raise_for_error()
        return spec

    @spec.setter
    def spec(self, value: ModelSpec | GraphSpec | dict[str, Any]) -> None:
        raw = value.to_dict() if isinstance(value, (ModelSpec, GraphSpec)) else dict(value)
        if "model" in raw:
            raw = raw["model"]
        spec = chain_of(raw)  # shapes may be wrong (shown in place); structure may not
        with self.hold_sync():
            self.input_shape = list(spec.input_shape)
            self.layers = [layer.to_dict() for layer in spec.layers]

    def model(self):  # noqa: ANN201 - a torch.nn.Sequential; torch is imported only here
        from ..engine.build import build_model

        return build_model(self.spec)

    def code(self) -> str:
        from ..export.code import model_source

        return model_source(self.spec)

    @classmethod
    def from_torch(cls, module: Any, input_shape: list[int] | tuple[int, ...]) -> LayerBuilder:
        from ..engine.build import from_torch_chain

        return cls(from_torch_chain(module, input_shape))
