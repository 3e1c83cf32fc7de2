"""The dashboard's plane views (bqplot), for runs whose inputs are two numeric columns: the
decision boundary — the model's answer over the plane, class colours with confidence as
intensity (two classes) or the predicted class (more), or the value for regression — with
the training points (circles) and test points (crosses) on top; and for small MLPs the
neuron view, each hidden unit's own output over the plane as a thumbnail, one row a layer
(one raster for all of them: a hundred small SVG charts would cost the browser more than the
training). Both are pictures made in the kernel (``grid_picture``). Data from
``engine.plane``."""

from __future__ import annotations

from typing import Any

import numpy as np
from bqplot import Axis, ColorScale, Figure, LinearScale, Scatter

from .charts import MARGIN, PALETTE, ChartView
from .grid_picture import GridPicture

TWO_CLASSES = ["#f59322", "#f7f7f7", "#0877bd"]  # TensorFlow Playground's orange, white, blue
DIVERGING = ["#b2182b", "#f7f7f7", "#2166ac"]
GAP = 1  # empty cells between thumbnails


def colour_scale(plane: dict[str, Any]) -> dict[str, Any]:
    """The colour scale's settings, shared by the picture and the points: from the task
    alone (the targets' range for regression), so that it holds still while the run trains
    and the points are coloured once."""
    if plane["kind"] == "values":
        if plane.get("range"):
            low, high = plane["range"]
            return {"min": float(low), "max": float(high), "colors": DIVERGING}
        top = float(np.nanmax(np.abs(np.asarray(plane["values"], dtype=float)))) or 1.0
        return {"min": -top, "max": top, "colors": DIVERGING}
    k = len(plane["classes"])
    if k <= 2:
        return {"min": -1.0, "max": 1.0, "colors": TWO_CLASSES}
    return {"min": 0.0, "max": float(k - 1), "colors": (PALETTE * (k // len(PALETTE) + 1))[:k]}


def boundary_colours(plane: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """The grid's colour values and the colour scale's settings."""
    scale = colour_scale(plane)
    if plane["kind"] == "values":
        return np.asarray(plane["values"], dtype=float), scale
    predicted = np.asarray(plane["predicted"], dtype=float)
    if len(plane["classes"]) <= 2:  # signed confidence: −1 sure of the first class, +1 of the second
        confidence = np.asarray(plane["confidence"], dtype=float)
        sure = (confidence - 0.5) * 2
        return np.where(predicted == 1, sure, -sure), scale
    return predicted, scale


def readable(x: float) -> str:
    """Three significant digits, as a reader writes them: 599,000 rather than 5.99e+05."""
    rounded = float(f"{x:.3g}")
    return f"{round(rounded):,}" if 1000 <= abs(rounded) < 1e15 else f"{x:.3g}"


def colour_words(plane: dict[str, Any]) -> str:
    """What the boundary's colours mean, as ``boundary_colours`` makes them."""
    if plane["kind"] == "values":
        span = (
            f" (red {readable(plane['range'][0])} or below, blue {readable(plane['range'][1])} or above)"
            if plane.get("range")
            else ""
        )
        return f"colour: the predicted value, red low, blue high{span}; a point's colour is its own value"
    if len(plane["classes"]) <= 2:
        return "colour: the predicted class, paler where the model is less sure"
    return "colour: the predicted class; a point coloured unlike the ground under it is one the model gets wrong"


def point_colours(plane: dict[str, Any], target: list[Any]) -> np.ndarray:
    t = np.asarray(target, dtype=float)
    if plane["kind"] == "classes" and len(plane["classes"]) <= 2:
        return np.where(t == 1, 1.0, -1.0)
    return t


def neuron_raster(neurons: list[dict[str, Any]]) -> np.ndarray:
    """Every hidden unit's thumbnail in one grid: a row of thumbnails a layer, each scaled to
    [−1, 1] by its own largest value, NaN between them."""
    n = len(neurons[0]["units"][0])
    widest = max(len(layer["units"]) for layer in neurons)
    out = np.full((len(neurons) * (n + GAP), widest * (n + GAP)), np.nan)
    for r, layer in enumerate(neurons):
        for c, unit in enumerate(layer["units"]):
            grid = np.asarray(unit, dtype=float)
            top = float(np.abs(grid).max()) or 1.0
            # row 0 at the bottom of the raster: the first layer drawn on top
            row = (len(neurons) - 1 - r) * (n + GAP)
            out[row : row + n, c * (n + GAP) : c * (n + GAP) + n] = grid / top
    return out


def edges(centres: np.ndarray) -> tuple[float, float]:
    """Where a picture of cells centred on these points begins and ends: half a cell out."""
    if len(centres) < 2:
        return float(centres[0]) - 0.5, float(centres[0]) + 0.5
    return float(centres[0] - (centres[1] - centres[0]) / 2), float(centres[-1] + (centres[-1] - centres[-2]) / 2)


class BoundaryView(ChartView):
    def __init__(self) -> None:
        super().__init__("Decision boundary")
        self.x, self.y = LinearScale(), LinearScale()
        self.colour = ColorScale(min=-1, max=1, colors=TWO_CLASSES)  # the points'
        self.picture = GridPicture({"x": self.x, "y": self.y}, pixelated=False)  # smooth, as TF Playground
        point_scales = {"x": self.x, "y": self.y, "color": self.colour}
        self.train = Scatter(
            x=[],
            y=[],
            color=[],
            scales=point_scales,
            default_size=22,
            stroke="white",
            stroke_width=0.8,
            marker="circle",
        )
        self.test = Scatter(
            x=[], y=[], color=[], scales=point_scales, default_size=30, stroke="#222", stroke_width=0.6, marker="cross"
        )
        self.x_axis = Axis(scale=self.x, label="x1", num_ticks=5)
        self.y_axis = Axis(scale=self.y, orientation="vertical", label="x2", num_ticks=5)
        self.figure = Figure(
            marks=[self.picture.mark, self.train, self.test],
            axes=[self.x_axis, self.y_axis],
            title="Decision boundary",
            fig_margin=MARGIN,
            padding_x=0.0,
            padding_y=0.0,  # the picture reaches the axes
            layout={"width": "100%", "height": "320px"},
        )
        self.box.add_class("dlp-boundary")
        self.box.layout.display = "none"  # two-feature tables only
        self._points_shown: tuple[Any, Any] | None = None

    def _update(self, plane: dict[str, Any]) -> None:
        """Draw ``plane``: a snapshot (``engine.plane``), or its ground alone (the points,
        before the first epoch: the browser draws them while the training has not begun)."""
        scale = colour_scale(plane)
        with self.colour.hold_sync():
            self.colour.min, self.colour.max, self.colour.colors = scale["min"], scale["max"], scale["colors"]
        x, y = edges(np.asarray(plane["x"], float)), edges(np.asarray(plane["y"], float))
        with self.x.hold_sync(), self.y.hold_sync():  # the picture fills the plot, no margin around it
            (self.x.min, self.x.max), (self.y.min, self.y.max) = x, y
        if "predicted" in plane or "values" in plane:
            self.picture.draw(boundary_colours(plane)[0], scale, x, y)
        self.open()
        if (plane["train"], plane["test"]) != self._points_shown:  # a run's points stay: sent once, not each draw
            for mark, points in ((self.train, plane["train"]), (self.test, plane["test"])):
                with mark.hold_sync():
                    mark.x, mark.y = np.asarray(points["x"], float), np.asarray(points["y"], float)
                    mark.color = point_colours(plane, points["target"])
            self._points_shown = (plane["train"], plane["test"])
        self.x_axis.label, self.y_axis.label = plane["axes"]
        self.figure.title = "Prediction over the plane" if plane["kind"] == "values" else "Decision boundary"
        self.legend.value = (
            "<div class='dlp-legend' style='padding-left:8px'>circles: training rows · crosses: test rows · "
            f"{colour_words(plane)}</div>"
        )


class NeuronView(ChartView):
    def __init__(self) -> None:
        super().__init__("Neurons")
        # crisp: smoothing would blur each thumbnail into the gap beside it
        self.picture = GridPicture({"x": LinearScale(), "y": LinearScale()}, pixelated=True)
        self.figure = Figure(
            marks=[self.picture.mark],
            title="Hidden units (a row per layer)",
            fig_margin={"top": 36, "bottom": 8, "left": 8, "right": 8},
            layout={"width": "100%", "height": "240px"},
        )
        self.box.add_class("dlp-neurons")
        self.box.layout.display = "none"  # small MLPs on two-feature tables only

    def _update(self, neurons: list[dict[str, Any]]) -> None:
        raster = neuron_raster(neurons)
        rows, cols = raster.shape
        self.picture.draw(raster, {"min": -1.0, "max": 1.0, "colors": TWO_CLASSES}, (0.0, cols), (0.0, rows))
        self.open()
        self.figure.layout.height = f"{min(80 + 40 * len(neurons), 420)}px"
        counts = ", ".join(str(len(layer["units"])) for layer in neurons)
        self.legend.value = (
            f"<div class='dlp-legend' style='padding-left:8px'>layers of {counts} units, first layer on top; "
            "blue where a unit is high, orange where it is low</div>"
        )


def boundary(run: Any, data: Any = None) -> Any:
    """A run's decision boundary (and its neurons, for a small MLP) as the dashboard draws
    them, from its model as it is now: ``dlp.boundary(run)`` under a finished run, or two
    side by side to compare. ``data``: the table, for a run trained on a DataFrame."""
    import ipywidgets as W

    from .html_bits import hint_html

    plane = run.plane(data)
    if plane is None:
        return W.HTML(hint_html("this run's inputs are not two numeric features, so it has no plane to draw"))
    views = [BoundaryView()]
    views[0].update(plane)
    if plane.get("neurons"):
        views.append(NeuronView())
        views[1].update(plane["neurons"])
    box = W.VBox([v.box for v in views], layout=W.Layout(width="min(420px, 100%)"))
    box.add_class("dlp-plane")
    return box
