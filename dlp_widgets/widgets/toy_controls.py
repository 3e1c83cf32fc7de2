"""The toy sets' own controls in the data step, as TensorFlow Playground has them: how noisy
the points are, and which derived features (x₁², x₂², x₁x₂, sin x₁, sin x₂) go in beside x1
and x2. They write the settings into the source string (``toy:circle?add=x1_squared``), so
a spec or a run keeps them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ipywidgets as W

from ..data.errors import DataError
from ..data.toy import DERIVED, ToyRequest, parse_toy, toy_source

LABELS = {
    "x1_squared": "x₁²",
    "x2_squared": "x₂²",
    "x1_times_x2": "x₁x₂",
    "sin_x1": "sin x₁",
    "sin_x2": "sin x₂",
}  # a test checks these are DERIVED's names, each once


class ToyControls(W.VBox):
    """Noise and derived-feature switches; ``on_change()`` runs when either moves."""

    def __init__(self, *, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._kept = ToyRequest("spiral")  # n and seed, which have no control, kept from a spec
        self._written = ""  # the source string a spec gave, returned while the controls agree with it
        self.noise = W.FloatSlider(
            value=0.0,
            min=0.0,
            max=1.0,
            step=0.05,
            description="Noise",
            continuous_update=False,  # one new data set when the slider is let go, not one per pixel
            tooltip="how far points move from where their class puts them, as a share of the plane",
        )
        self.noise.add_class("dlp-toy-noise")
        self.features = {
            name: W.ToggleButton(
                value=False, description=label, tooltip=f"add the input {name}", layout=W.Layout(width="72px")
            )
            for name, label in LABELS.items()
        }
        for name, button in self.features.items():
            button.add_class("dlp-toy-feature")
            button.add_class(f"dlp-toy-{name.replace('_', '-')}")
        for control in (self.noise, *self.features.values()):
            control.observe(self._moved, "value")
        row = W.HBox(
            [W.HTML("Extra inputs&nbsp;"), *self.features.values()],
            layout=W.Layout(align_items="center", flex_flow="row wrap"),
        )
        super().__init__([self.noise, row])
        self.add_class("dlp-toy-controls")

    def _moved(self, _: Any) -> None:
        self._on_change()

    def request(self, base: str) -> ToyRequest:
        """The set ``base`` names (``toy:spiral``) with the controls' settings."""
        name = base[len("toy:") :].partition("?")[0]
        chosen = tuple(n for n in self._chosen_order() if self.features[n].value)
        return replace(self._kept, name=name, noise=round(float(self.noise.value), 4), add=chosen)

    def _chosen_order(self) -> list[str]:
        # the spec's own order first, so a spec set on the Playground comes back as written
        return [*self._kept.add, *(n for n in DERIVED if n not in self._kept.add)]

    def source(self, base: str) -> str:
        request = self.request(base)
        if self._written:
            try:
                if parse_toy(self._written) == request:
                    return self._written
            except DataError:
                pass
        return toy_source(request)

    def show(self, source: str) -> ToyRequest:
        """Set the controls to ``source``'s settings without calling ``on_change`` (the
        owner reloads once); raises DataError for a source that is not a valid toy set."""
        request = parse_toy(source)
        controls = (self.noise, *self.features.values())
        for control in controls:
            control.unobserve(self._moved, "value")
        try:
            self.noise.value = request.noise
            for name, button in self.features.items():
                button.value = name in request.add
        finally:
            for control in controls:
                control.observe(self._moved, "value")
        self._kept, self._written = request, source
        return request
