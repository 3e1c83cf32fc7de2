"""The dashboard's charts (bqplot), one small view each: curves, confusion matrix, ROC.

Each view owns its widget and its ``update``. A view that fails to draw shows its error in
its own place and stops updating; it never takes the dashboard (status, Stop, exports) down
with it. Legends are HTML below each chart, so they never cover a curve.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import ipywidgets as W
import numpy as np
from bqplot import Axis, ColorScale, Figure, GridHeatMap, LinearScale, Lines, LogScale, OrdinalScale, Tooltip

from .html_bits import view_error_html

TRAIN_COLOUR, TEST_COLOUR = "#1f77b4", "#ff7f0e"
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
# Counts are written in the cells up to this many classes; beyond, the cells are too small
# to read and the most frequent confusions are listed below the matrix instead.
MAX_CLASSES_WITH_COUNTS = 20
MAX_CLASSES_WITH_NAMES = 30
MAX_ROC_CURVES = 10
# A marker per epoch up to this many epochs; beyond, they merge into a band and each one is
# an SVG symbol the browser places again at every redraw.
MARKED_EPOCHS = 40
LABEL_CHARS = 14
CHART_HEIGHT = "270px"
MARGIN = {"top": 36, "bottom": 42, "left": 58, "right": 14}


def panel_layout() -> W.Layout:
    """A chart's box: it shares a wrapping row with the others and never forces the
    dashboard wider than the cell (laptop-sized windows included)."""
    return W.Layout(flex="1 1 320px", min_width="260px", max_width="560px", margin="0 8px 8px 0")


def legend_html(entries: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        "<span class='dlp-legend-item' style='display:inline-flex;align-items:center;margin:0 12px 2px 0'>"
        f"<i style='display:inline-block;width:16px;height:4px;margin-right:5px;background:{colour}'></i>"
        f"{html.escape(label)}</span>"
        for label, colour in entries
    )
    return f"<div class='dlp-legend' style='line-height:1.4;padding-left:8px'>{items}</div>"


def short_labels(names: Sequence[str], width: int = LABEL_CHARS) -> list[str]:
    """Class names cut to ``width`` characters for axes, still one distinct label per class
    (an ordinal scale merges equal labels)."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        label = name if len(name) <= width else name[: width - 1] + "…"
        if label in seen:
            label = f"{label[: width - 4]}… {i}"
        seen.add(label)
        out.append(label)
    return out


def integer_ticks(last: int, most: int = 10) -> list[int]:
    """Whole epochs for an axis: every one, or evenly thinned to about ``most``."""
    if last <= 1:
        return [1]
    step = max(1, math.ceil(last / most))
    ticks = list(range(1, last + 1, step))
    if ticks[-1] != last:
        ticks.append(last)
    return ticks


class ChartView:
    """A chart in a box. Subclasses build ``self.figure`` and implement ``_update``."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.error: str | None = None
        self.legend = W.HTML()
        self.box = W.VBox(layout=panel_layout())
        self.box.add_class("dlp-chart")

    def update(self, *args: Any) -> None:
        """Draw new data; a failure replaces the chart with its message, once."""
        if self.error is not None:
            return
        try:
            self._update(*args)
        except Exception as exc:  # noqa: BLE001 - any drawing failure stays inside this view
            self.fail(f"the {self.title.lower()} chart could not be drawn: {type(exc).__name__}: {exc}")

    def open(self) -> None:
        """Show the view, empty until its first data: when the run starts, so that the browser
        draws the figure before the training is under way and nothing below it moves later.
        The figure joins a box already shown: a bqplot figure drawn while hidden measures
        itself negative and the browser complains. Views built shown need not call it."""
        self.box.layout.display = None
        if not self.box.children:
            self.box.children = [self.figure, self.legend]

    def fail(self, message: str) -> None:
        self.error = message
        self.box.children = [W.HTML(view_error_html(message))]

    def _update(self, *args: Any) -> None:
        raise NotImplementedError


def _figure(title: str, marks: list[Any], axes: list[Axis]) -> Figure:
    return Figure(
        marks=marks,
        axes=axes,
        title=title,
        layout=W.Layout(width="100%", height=CHART_HEIGHT),
        fig_margin=dict(MARGIN),
        animation_duration=0,
    )


class CurvesView(ChartView):
    """Train and test values per epoch; optionally on a log scale (one huge early loss
    otherwise flattens every later point)."""

    def __init__(self, title: str, y_label: str, tick_format: str, *, log_option: bool = False) -> None:
        super().__init__(title)
        self.x = LinearScale()
        self.y: LinearScale | LogScale = LinearScale()
        common = {"marker": "circle", "marker_size": 16}
        self.train = Lines(x=[], y=[], scales={"x": self.x, "y": self.y}, colors=[TRAIN_COLOUR], **common)
        self.test = Lines(x=[], y=[], scales={"x": self.x, "y": self.y}, colors=[TEST_COLOUR], **common)
        self.x_axis = Axis(scale=self.x, label="epoch", tick_format="d", tick_values=[1])
        self.y_axis = Axis(scale=self.y, orientation="vertical", label=y_label, tick_format=tick_format)
        self.figure = _figure(title, [self.train, self.test], [self.x_axis, self.y_axis])
        self.legend.value = legend_html([("train", TRAIN_COLOUR), ("test", TEST_COLOUR)])
        footer: list[W.Widget] = [self.legend]
        self.log_scale = None
        self._planned: int | None = None  # the run's epochs, once known
        if log_option:
            self.log_scale = W.Checkbox(
                description="log scale", value=False, indent=False, layout=W.Layout(width="auto")
            )
            self.log_scale.add_class("dlp-log-scale")
            self.log_scale.observe(self._on_log, "value")
            footer.append(self.log_scale)
        self.box.children = [self.figure, W.HBox(footer, layout=W.Layout(align_items="center", flex_flow="row wrap"))]

    def set_labels(self, title: str, y_label: str, tick_format: str) -> None:
        self.title = title
        if self.error is None:
            self.figure.title = title
            self.y_axis.label = y_label
            self.y_axis.tick_format = tick_format

    def plan(self, epochs: int) -> None:
        """The run's length, known when it starts: the epoch axis will span it all, so that
        while it trains only the lines change, not the axis (which the browser otherwise
        redraws at every update)."""
        if self.error is not None or epochs < 2:
            return
        self._planned = epochs
        for line in (self.train, self.test):
            line.marker = "circle" if epochs <= MARKED_EPOCHS else None

    def _update(self, epochs: list[int], train: list[float], test: list[float]) -> None:
        with self.figure.hold_sync():
            # the points before the scale: bqplot redraws a line when its scale changes, and
            # fails on a line without points ("Cannot read properties of undefined (reading 'x')")
            for line, values in ((self.train, train), (self.test, test)):
                with line.hold_sync():
                    line.x = epochs
                    line.y = values
            last = max(epochs) if epochs else 1
            span = self._planned if self._planned is not None and epochs and last <= self._planned else None
            limits = (1.0, float(span)) if span is not None else (None, None)  # None: bqplot fits the data
            if (self.x.min, self.x.max) != limits:
                with self.x.hold_sync():
                    self.x.min, self.x.max = limits
            ticks = integer_ticks(span or last)
            if np.asarray(self.x_axis.tick_values).tolist() != list(ticks):  # unchanged ticks: nothing sent
                self.x_axis.tick_values = ticks

    def _on_log(self, change: dict[str, Any]) -> None:
        if self.error is not None:
            return
        try:
            scale = LogScale() if change["new"] else LinearScale()
            self.y = scale
            with self.figure.hold_sync():
                for line in (self.train, self.test):
                    line.scales = {"x": self.x, "y": scale}
                self.y_axis.scale = scale
                self.y_axis.tick_format = ".2~e" if change["new"] else ".4~g"
        except Exception as exc:  # noqa: BLE001
            self.fail(f"the {self.title.lower()} chart could not change scale: {exc}")


class ConfusionView(ChartView):
    """Rows: true class, columns: predicted class, counts in the cells (up to
    ``MAX_CLASSES_WITH_COUNTS`` classes) and the most frequent confusions listed below."""

    def __init__(self) -> None:
        super().__init__("Confusion matrix")
        self.rows, self.columns = OrdinalScale(reverse=True), OrdinalScale()
        # a light range: the counts written in the cells stay readable on the darkest one
        colour = ColorScale(colors=["#ffffff", "#6baed6"], min=0)
        self.heatmap = GridHeatMap(
            color=np.zeros((2, 2)),
            row=["", " "],
            column=["", " "],
            scales={"row": self.rows, "column": self.columns, "color": colour},
            stroke="#dddddd",
            tooltip=Tooltip(fields=["row", "column", "color"], labels=["true", "predicted", "count"]),
        )
        self.row_axis = Axis(scale=self.rows, orientation="vertical", label="true", label_offset="60px")
        self.column_axis = Axis(scale=self.columns, label="predicted")
        self.figure = _figure("Confusion matrix (test split)", [self.heatmap], [self.row_axis, self.column_axis])
        self.figure.fig_margin = {"top": 36, "bottom": 48, "left": 88, "right": 14}
        self.figure.layout.height = "300px"
        self.confusions = W.HTML()
        self.box.children = [self.figure, self.confusions]

    def _update(self, matrix: Sequence[Sequence[float]], classes: Sequence[str]) -> None:
        counts = np.asarray(matrix, dtype=float)
        n = len(classes)
        if counts.shape != (n, n):
            raise ValueError(f"a {counts.shape} matrix for {n} classes")
        labels = short_labels(classes)
        names_shown = n <= MAX_CLASSES_WITH_NAMES
        with self.figure.hold_sync(), self.heatmap.hold_sync():
            # The size may change (a first update, or a run with other classes): set all
            # three together, checked once at the end, or bqplot refuses the first one.
            with self.heatmap.hold_trait_notifications():
                self.heatmap.color = counts
                self.heatmap.row = labels
                self.heatmap.column = labels
            self.heatmap.display_format = ".0f" if n <= MAX_CLASSES_WITH_COUNTS else None
            # thousands of cell borders would paint the matrix grey
            self.heatmap.stroke = "#dddddd" if n <= MAX_CLASSES_WITH_NAMES else None
            size = "12px" if n <= 10 else "9px"
            self.heatmap.font_style = {"font-size": size, "fill": "#111"}
            tick_style = {} if names_shown else {"display": "none"}
            for axis in (self.row_axis, self.column_axis):
                axis.tick_style = tick_style
        self.confusions.value = _top_confusions(counts, list(classes)) if n > 2 else ""


def _top_confusions(counts: np.ndarray, classes: list[str], most: int = 3) -> str:
    off = counts.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None)[:most]
    items = [
        f"{html.escape(classes[i])} → {html.escape(classes[j])}: {int(off[i, j]):,}"
        for i, j in (np.unravel_index(k, off.shape) for k in order)
        if off[i, j] > 0
    ]
    if not items:
        return "<div class='dlp-confusions'>no test example confused</div>"
    return "<div class='dlp-confusions'>most confused (true → predicted): " + "; ".join(items) + "</div>"


class RocView(ChartView):
    """One-vs-rest ROC curves with their AUC; with many classes the hardest ones."""

    def __init__(self) -> None:
        super().__init__("ROC")
        fx, fy = LinearScale(min=0.0, max=1.0), LinearScale(min=0.0, max=1.0)
        chance = Lines(x=[0.0, 1.0], y=[0.0, 1.0], scales={"x": fx, "y": fy}, colors=["#999999"], line_style="dashed")
        self.lines = Lines(x=np.zeros((1, 0)), y=np.zeros((1, 0)), scales={"x": fx, "y": fy}, colors=PALETTE[:1])
        self.figure = _figure(
            "ROC curves (test split)",
            [chance, self.lines],
            [
                Axis(scale=fx, label="false positive rate", tick_format=".1f"),
                Axis(scale=fy, orientation="vertical", label="true positive rate", tick_format=".1f"),
            ],
        )
        self.box.children = [self.figure, self.legend]

    def _update(self, roc: dict[str, Any]) -> None:
        names = list(roc)
        if not names:
            return
        note = ""
        if len(names) > MAX_ROC_CURVES:
            aucs = [roc[n]["auc"] for n in names]
            finite = [a for a in aucs if a == a]
            macro = sum(finite) / len(finite) if finite else float("nan")
            names = sorted(names, key=lambda n: roc[n]["auc"] if roc[n]["auc"] == roc[n]["auc"] else 2.0)
            names = names[:MAX_ROC_CURVES]
            note = (
                f"<div class='dlp-roc-note'>mean AUC {macro:.3f} over {len(aucs)} classes; "
                f"the {MAX_ROC_CURVES} lowest are drawn</div>"
            )
        curves = [(roc[n]["fpr"], roc[n]["tpr"]) for n in names]
        width = max(len(x) for x, _ in curves)

        def pad(values: list[float]) -> list[float]:  # one rectangular array: repeat the end point
            return list(values) + [values[-1]] * (width - len(values))

        colours = [PALETTE[k % len(PALETTE)] for k in range(len(names))]
        with self.lines.hold_sync():
            self.lines.x = np.array([pad(x) for x, _ in curves])
            self.lines.y = np.array([pad(y) for _, y in curves])
            self.lines.colors = colours
        self.legend.value = (
            legend_html([(f"{name} · AUC {roc[name]['auc']:.3f}", c) for name, c in zip(names, colours, strict=True)])
            + note
        )
