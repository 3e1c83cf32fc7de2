"""The "playground" preset: TensorFlow Playground's setup in a Playground — a toy set on the
plane, a small MLP whose hidden layers and units per layer have their own sliders, and
settings that let it learn in under a minute — so that after the cell runs, choosing
another toy set and pressing Train are the only actions needed."""

from __future__ import annotations

from typing import Any

import ipywidgets as W

LAYERS, UNITS = 3, 8  # the starting network: three hidden layers of eight units (the spiral needs depth)
TRAINING = {"epochs": 200, "lr": 0.01, "batch_size": 10, "test_size": 0.5}


def preset_model(inputs: int, outputs: int, layers: int, units: int) -> dict[str, Any]:
    hidden: list[dict[str, Any]] = []
    for _ in range(layers):
        hidden += [{"type": "Linear", "params": {"out_features": units}}, {"type": "Tanh"}]
    return {"input_shape": [inputs], "layers": [*hidden, {"type": "Linear", "params": {"out_features": outputs}}]}


def preset_spec(name: str, noise: float, layers: int = LAYERS, units: int = UNITS) -> dict[str, Any]:
    from ..data.toy import TOY_SETS

    outputs = 2 if TOY_SETS[name].task == "classification" else 1
    return {
        "model": preset_model(2, outputs, layers, units),
        # without noise the plain name, which the data step's list of sets holds
        "data": {"source": f"toy:{name}" if noise == 0 else f"toy:{name}?noise={noise:g}"},
        "training": dict(TRAINING),
    }


class PresetBar(W.HBox):
    """Hidden layers and units per layer: moving either rewrites the Playground's model."""

    def __init__(self, playground: Any) -> None:
        self.playground = playground
        self.layers = W.IntSlider(value=LAYERS, min=0, max=6, description="Hidden layers")
        self.units = W.IntSlider(value=UNITS, min=1, max=16, description="Units / layer")
        for control in (self.layers, self.units):
            control.style.description_width = "initial"
            control.observe(lambda _: self.apply(), "value")
        self.layers.add_class("dlp-preset-layers")
        self.units.add_class("dlp-preset-units")
        super().__init__([self.layers, self.units], layout=W.Layout(flex_flow="row wrap"))
        self.add_class("dlp-preset")

    def apply(self) -> None:
        summary = self.playground.data.summary or {}
        shape = summary.get("input_shape") or [2]
        classes = summary.get("classes") if summary.get("task", "classification") == "classification" else None
        outputs = len(classes) if classes else 1
        if len(shape) != 1:
            return  # not a table (images picked in the data step): the preset's MLP does not apply
        self.playground.builder.spec = preset_model(shape[0], outputs, self.layers.value, self.units.value)
