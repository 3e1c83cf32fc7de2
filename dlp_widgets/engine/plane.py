"""The plane a two-feature model lives on, drawn as TensorFlow Playground draws it: for a run
whose inputs are two numeric columns (a toy set's x1 and x2, with any features derived from
them, or two columns of a real table), a grid over the data's range, the model's output at
every grid point each epoch — the predicted class and how sure it is, or the value — the
training and test points, and for a small MLP each hidden unit's own output on a coarser
grid. What the grid holds is the model run on those points through the run's own
preprocessing, as a prediction would run (a test checks it point by point)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

GRID = 100  # points a side for the boundary
NEURON_GRID = 24  # points a side for each hidden unit's thumbnail
MAX_POINTS = 1000  # training and test points shown, at most (a spread sample beyond)
MAX_NEURON_LAYERS, MAX_UNITS = 8, 16  # the neuron view is for small MLPs
MARGIN = 0.05  # the grid reaches this share beyond the data on each side
NEURON_TYPES = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.GELU, nn.SiLU, nn.ReLU6, nn.Mish)


def _axes(pre: Any, source: Any) -> tuple[tuple[str, str], tuple[str, ...]] | None:
    """The two plane axes and the derived features computed from them, or None."""
    names = pre.feature_names
    if any(f.kind != "numeric" for f in pre.features):
        return None
    if isinstance(source, str) and source.startswith("toy:") and names[:2] == ["x1", "x2"]:
        from ..data.toy import DERIVED

        derived = tuple(names[2:])
        return (("x1", "x2"), derived) if all(d in DERIVED for d in derived) else None
    return ((names[0], names[1]), ()) if len(names) == 2 else None


def _sample(n: int, limit: int) -> np.ndarray:
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).round().astype(int)


class PlaneProbe:
    def __init__(self, prepared: Any, axes: tuple[str, str], derived: tuple[str, ...]) -> None:
        self.pre = prepared.preprocessor
        self.axes, self.derived = axes, derived
        outputs = self.pre.output_names
        columns = [outputs.index(a) for a in axes]
        means = np.array([self.pre.features[c].mean for c in columns])
        stds = np.array([self.pre.features[c].std for c in columns])

        def raw(x: np.ndarray) -> np.ndarray:  # back to the data's own units
            return x[:, columns].astype(np.float64) * stds + means

        self.train_xy, self.test_xy = raw(prepared.X_train), raw(prepared.X_test)
        self.train_y, self.test_y = prepared.y_train, prepared.y_test
        both = np.concatenate([self.train_xy, self.test_xy])
        low, high = both.min(0), both.max(0)
        pad = (high - low) * MARGIN + 1e-9
        self.low, self.high = low - pad, high + pad
        self.classify = self.pre.task == "classification"
        self._inputs_cache: dict[int, torch.Tensor] = {}  # the grid, preprocessed once a size
        self._ground: dict[str, Any] | None = None

    @classmethod
    def for_data(cls, prepared: Any, source: Any) -> PlaneProbe | None:
        """A probe for ``prepared`` (a table), when its inputs make a plane; else None."""
        pre = getattr(prepared, "preprocessor", None)
        if pre is None or not hasattr(pre, "feature_names"):
            return None
        found = _axes(pre, source)
        return cls(prepared, *found) if found is not None else None

    # -- the grid

    def grid(self, n: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """The grid's coordinates along each axis, and its points as raw rows (row-major:
        the first axis varies fastest)."""
        xs = np.linspace(self.low[0], self.high[0], n)
        ys = np.linspace(self.low[1], self.high[1], n)
        a, b = np.meshgrid(xs, ys)  # b[i, j] = ys[i], a[i, j] = xs[j]
        frame = pd.DataFrame({self.axes[0]: a.ravel(), self.axes[1]: b.ravel()})
        if self.derived:
            from ..data.toy import DERIVED

            for name in self.derived:
                frame[name] = DERIVED[name](frame[self.axes[0]].to_numpy(), frame[self.axes[1]].to_numpy())
        return xs, ys, frame

    def _inputs(self, n: int, model: nn.Module) -> torch.Tensor:
        """The n × n grid as the model's input (the preprocessing is fixed for the run)."""
        if n not in self._inputs_cache:
            self._inputs_cache[n] = torch.from_numpy(self.pre.transform(self.grid(n)[2]))
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        return self._inputs_cache[n].to(device)

    @torch.inference_mode()
    def snapshot(self, model: nn.Module) -> dict[str, Any]:
        """The plane now: the model's output over the grid, the points, the hidden units.
        The grids are NumPy arrays (row i at ``y[i]``, column j at ``x[j]``): made each epoch a
        view is due, as lists they cost a tenth of a small model's epoch."""
        was_training = model.training
        model.eval()
        try:
            out = model(self._inputs(GRID, model)).float().cpu()
            result = dict(self.ground())
            if self.classify:
                if out.shape[1] == 1:  # one logit: the probability of class 1
                    p1 = torch.sigmoid(out.reshape(-1))
                    probs = torch.stack([1 - p1, p1], 1)
                else:
                    probs = torch.softmax(out, 1)
                confidence, predicted = probs.max(1)
                result.update(
                    predicted=predicted.reshape(GRID, GRID).numpy(),
                    confidence=confidence.reshape(GRID, GRID).numpy(),
                )
            else:
                values = out.reshape(-1).double() * self.pre.target_std + self.pre.target_mean
                result.update(values=values.reshape(GRID, GRID).numpy())
            neurons = self._neurons(model)
            if neurons is not None:
                result["neurons"] = neurons
            return result
        finally:
            model.train(was_training)

    def ground(self) -> dict[str, Any]:
        """What the plane shows before any model: its axes and grid, the task, the training
        and test points, and for regression the targets' range the colours span (fixed for
        the run, so a colour means the same value at every epoch). The same dict all run
        long: the views send the points once."""
        if self._ground is None:
            ground: dict[str, Any] = {
                "axes": list(self.axes),
                "x": np.linspace(self.low[0], self.high[0], GRID).tolist(),
                "y": np.linspace(self.low[1], self.high[1], GRID).tolist(),
                "train": self._points(self.train_xy, self.train_y),
                "test": self._points(self.test_xy, self.test_y),
            }
            if self.classify:
                ground.update(kind="classes", classes=list(self.pre.classes or []))
            else:
                targets = ground["train"]["target"] + ground["test"]["target"]
                ground.update(kind="values", range=[float(min(targets)), float(max(targets))])
            self._ground = ground
        return self._ground

    def _points(self, xy: np.ndarray, y: np.ndarray) -> dict[str, list]:
        keep = _sample(len(xy), MAX_POINTS)
        target = y[keep]
        if not self.classify:
            target = target.astype(np.float64) * self.pre.target_std + self.pre.target_mean
        return {"x": xy[keep, 0].tolist(), "y": xy[keep, 1].tolist(), "target": target.tolist()}

    def hidden_layers(self, model: nn.Module) -> list[tuple[str, nn.Module]] | None:
        """The activations after each hidden layer of a small MLP, or None for another model."""
        if not isinstance(model, nn.Sequential):
            return None
        linear = [m for m in model if isinstance(m, nn.Linear)]
        acts = [(name, m) for name, m in model.named_children() if isinstance(m, NEURON_TYPES)]
        hidden = linear[:-1]
        if not acts or len(linear) > MAX_NEURON_LAYERS or any(m.out_features > MAX_UNITS for m in hidden):
            return None
        return acts

    def _neurons(self, model: nn.Module) -> list[dict[str, Any]] | None:
        layers = self.hidden_layers(model)
        if layers is None:
            return None
        seen: dict[str, torch.Tensor] = {}
        handles = [
            m.register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, out.float().cpu()))
            for name, m in layers
        ]
        try:
            model(self._inputs(NEURON_GRID, model))
        finally:
            for handle in handles:
                handle.remove()
        # one array a layer, a unit's thumbnail a view into it: a list a unit cost the
        # training loop more than the forward pass itself
        return [
            {"layer": name, "units": list(seen[name].numpy().T.reshape(-1, NEURON_GRID, NEURON_GRID))}
            for name, _ in layers
            if name in seen and seen[name].dim() == 2
        ]


def plane_of(run: Any, data: Any = None) -> dict[str, Any] | None:
    """A finished (or running) run's plane, its model as it is now, on the data it trained on
    (prepared again: same source, same seed, the same split); None unless its inputs make a
    plane. ``data``: the table for a run trained on a DataFrame this process no longer holds."""
    from ..data import DataError, TabularData, prepare

    data = data if data is not None else run.training_frame
    if data is None and not run.spec.data.source:
        raise DataError(
            f"run {run.name!r} trained on a table passed from Python, which this process no longer holds: "
            "pass it, run.plane(data=df)"
        )
    prepared = prepare(run.spec, data)
    if not isinstance(prepared, TabularData):
        return None
    probe = PlaneProbe.for_data(prepared, run.spec.data.source)
    return None if probe is None else probe.snapshot(run.model)
