"""The Playground's parameters step: one control per training setting, made from the one
table of settings (``spec.training.TRAINING_FIELDS``), so a setting added there appears
here, is validated, and comes back from a spec unchanged.

Values are never clamped: a number out of range stays as typed and the spec's own check
says what is wrong."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from ..spec.training import LOSSES, TRAINING_FIELDS, TrainingField

LABEL_WIDTH = "120px"
AUTO_LOSS = ("auto: by the task", None)


def _available_devices() -> list[str]:
    devices = ["auto", "cpu"]
    try:
        import torch

        if torch.cuda.is_available():
            devices.append("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            devices.append("mps")
    except ImportError:
        pass
    return devices


def _control(f: TrainingField) -> W.ValueWidget:
    common = {"description": f.label, "tooltip": f.help, "style": {"description_width": LABEL_WIDTH}}
    if f.kind == "bool":
        return W.Checkbox(value=f.default, indent=True, **common)
    if f.kind == "int":
        return W.IntText(value=f.default, **common)
    if f.kind == "float" and f.slider:
        return W.FloatSlider(value=f.default, min=f.min, max=f.max, step=0.01, readout_format=".2f", **common)
    if f.kind == "float":
        return W.FloatText(value=f.default, **common)
    if f.kind == "loss":
        return W.Dropdown(options=[AUTO_LOSS, *LOSSES], value=f.default, **common)
    if f.kind == "device":
        return W.Dropdown(options=_available_devices(), value=f.default, **common)
    return W.Dropdown(options=list(f.choices), value=f.default, **common)


class SettingsStep(W.VBox):
    """Every training setting as a control; ``values()`` gives the spec's training section."""

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self.controls: dict[str, W.ValueWidget] = {f.name: _control(f) for f in TRAINING_FIELDS}
        rows = []
        for f in TRAINING_FIELDS:
            control = self.controls[f.name]
            control.add_class(f"dlp-setting-{f.name.replace('_', '-')}")
            note = W.HTML(f"<span class='dlp-setting-note' style='opacity:.7'>{html.escape(f.applies)}</span>")
            rows.append(W.HBox([control, note], layout=W.Layout(align_items="center")) if f.applies else control)
        self.message = W.HTML()
        super().__init__([*rows, self.message])
        self._task: str | None = None
        if on_change is not None:
            for control in self.controls.values():
                control.observe(lambda _: on_change(), "value")

    def values(self) -> dict[str, Any]:
        """The training section as the controls show it (validated by the spec, not here)."""
        return {name: control.value for name, control in self.controls.items()}

    def set_values(self, training: Any) -> None:
        """Show a spec's training section: every setting, as it is."""
        for f in TRAINING_FIELDS:
            value = getattr(training, f.name)
            control = self.controls[f.name]
            if isinstance(control, W.Dropdown):
                _offer(control, value)
            control.value = value

    def set_task(self, task: str | None) -> None:
        """Offer the losses of ``task`` (and keep the one chosen, even of the other task: the
        review then says it does not fit)."""
        if task == self._task:
            return
        self._task = task
        loss = self.controls["loss"]
        chosen = loss.value
        names = [name for name, t in LOSSES.items() if task is None or t == task]
        with loss.hold_sync():
            loss.options = [AUTO_LOSS, *names, *([chosen] if chosen is not None and chosen not in names else [])]
            loss.value = chosen


def _offer(dropdown: W.Dropdown, value: Any) -> None:
    """Add ``value`` to a dropdown's options when it is not among them (a device of another
    machine, a loss of the other task), so that a spec shows as it is."""
    values = [o[1] if isinstance(o, tuple) else o for o in dropdown.options]
    if value not in values:
        dropdown.options = [*dropdown.options, value]
