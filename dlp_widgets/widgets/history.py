"""``RunHistory``: every run of the store — sortable, selectable to overlay curves, the
original dashboard's charts (runs per day, runs by data kind), open a run back into a
Playground, delete a run."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as W
import numpy as np
import traitlets
from bqplot import Axis, Bars, Figure, LinearScale, Lines, OrdinalScale

from ..engine.runner import clean_name, load_run
from ..runstore import RunStore, open_store
from .base import DLPWidget
from .charts import PALETTE, integer_ticks, legend_html, panel_layout


class RunTable(DLPWidget):
    _asset = "history"
    _python_owned = frozenset({"rows"})

    rows = traitlets.List().tag(sync=True)
    selected = traitlets.Any([]).tag(sync=True)  # checked from the browser: see RunHistory


def _data_kind(spec: dict[str, Any]) -> str:
    shape = (spec.get("model") or {}).get("input_shape") or []
    return "image" if len(shape) == 3 else "tabular"


class RunHistory(W.VBox):
    def __init__(self, store: RunStore | None = None) -> None:
        self.store = store or open_store()
        self.table = RunTable()
        self.table.observe(self._on_select, "selected")
        self.table.on_msg(self._on_message)
        self.metric = W.ToggleButtons(
            options=[("test metric", "score"), ("test loss", "test_loss"), ("train loss", "train_loss")], value="score"
        )
        self.metric.observe(lambda _: self._draw_overlay(), "value")
        x, y = LinearScale(), LinearScale()
        self.curves = Lines(x=np.zeros((1, 0)), y=np.zeros((1, 0)), scales={"x": x, "y": y})
        self.overlay_x = Axis(scale=x, label="epoch", tick_format="d", tick_values=[1])
        self.overlay = Figure(
            marks=[self.curves],
            title="Selected runs",
            axes=[self.overlay_x, Axis(scale=y, orientation="vertical", tick_format=".3~g")],
            layout=W.Layout(width="100%", height="280px"),
            fig_margin={"top": 36, "bottom": 42, "left": 58, "right": 14},
            animation_duration=0,
        )
        self.overlay_legend = W.HTML()
        dx, dy = OrdinalScale(), LinearScale(min=0)
        self.per_day = Bars(x=[], y=[], scales={"x": dx, "y": dy}, colors=["#1976d2"])
        self.per_day_fig = Figure(
            marks=[self.per_day],
            title="Runs per day (last 30 days)",
            axes=[
                Axis(scale=dx, tick_rotate=-45, num_ticks=8),
                Axis(scale=dy, orientation="vertical", tick_format="d"),
            ],
            layout=W.Layout(width="100%", height="280px"),
            fig_margin={"top": 36, "bottom": 50, "left": 44, "right": 14},
            animation_duration=0,
        )
        kx, ky = OrdinalScale(), LinearScale(min=0)
        self.kinds = Bars(x=["tables", "images"], y=[0, 0], scales={"x": kx, "y": ky}, colors=["#1976d2", "#ff7f0e"])
        self.kinds_fig = Figure(
            marks=[self.kinds],
            title="Runs by data kind",
            axes=[Axis(scale=kx, label="data"), Axis(scale=ky, orientation="vertical", tick_format="d", label="runs")],
            layout=W.Layout(width="100%", height="280px"),
            fig_margin={"top": 36, "bottom": 42, "left": 50, "right": 14},
            animation_duration=0,
        )
        self.kinds_text = W.HTML()
        self.refresh_button = W.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.opened = W.VBox()
        self.message = W.HTML()
        super().__init__(
            [
                W.HBox([self.refresh_button, self.message]),
                self.table,
                W.HBox([self.metric]),
                W.Box(
                    [
                        W.VBox([self.overlay, self.overlay_legend], layout=panel_layout()),
                        W.VBox([self.per_day_fig], layout=panel_layout()),
                        W.VBox([self.kinds_fig, self.kinds_text], layout=panel_layout()),
                    ],
                    layout=W.Layout(flex_flow="row wrap", width="100%"),
                ),
                self.opened,
            ]
        )
        self.add_class("dlp-run-history")
        self.refresh()

    def refresh(self) -> None:
        runs = self.store.list_runs()
        rows = []
        for r in runs:
            m = r["metrics"] or {}
            metric = "accuracy" if "test_accuracy" in m else ("r2" if "test_r2" in m else None)
            rows.append(
                {
                    "id": r["id"],
                    "name": r["name"],
                    "source": r["source"],
                    "task": r["task"],
                    "status": r["status"],
                    "created": dt.datetime.fromtimestamp(r["created"]).isoformat(timespec="minutes"),
                    "best": m.get("test_accuracy", m.get("test_r2")),
                    "metric": metric,
                    "duration_s": (r["finished"] - r["created"]) if r["finished"] else None,
                    "kind": _data_kind(r["spec"]),
                }
            )
        self._rows = {row["id"]: row for row in rows}
        self.table.rows = rows
        valid = [i for i in self._selected() if i in self._rows]
        if valid != self.table.selected:
            self.table.selected = valid
        self._draw_dashboard(runs)
        self._draw_overlay()

    def _selected(self) -> list[str]:
        value = self.table.selected
        if not isinstance(value, list):
            return []
        return [v for v in value if isinstance(v, str)][:50]

    def _on_select(self, change: dict[str, Any]) -> None:
        self._draw_overlay()

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        if (
            not isinstance(content, dict)
            or content.get("action") not in ("open", "delete", "rename")
            or not isinstance(content.get("id"), str)
        ):
            return  # untrusted input: anything else is ignored
        run_id = content["id"]
        if run_id not in self._rows:
            self.message.value = "that run no longer exists"
            return
        if content["action"] == "rename":
            try:
                self.store.rename(run_id, clean_name(content.get("name")))
            except ValueError as exc:
                self.message.value = html.escape(str(exc))
            else:
                self.message.value = f"renamed {html.escape(run_id)}"
            self.refresh()
        elif content["action"] == "delete":
            try:
                self.store.delete_run(run_id)
            except ValueError as exc:
                self.message.value = html.escape(str(exc))
                return
            self.message.value = f"deleted {run_id}"
            self.refresh()
        else:
            from .playground import Playground

            run = load_run(run_id, self.store)
            self.opened.children = [W.HTML(f"<b>Opened {html.escape(run.name)}</b>"), Playground.from_run(run)]

    def _draw_overlay(self) -> None:
        chosen = self._selected()
        series = []
        for run_id in chosen:
            epochs = self.store.epochs(run_id)
            if not epochs:
                continue
            key = self.metric.value
            if key == "score":
                key = "test_accuracy" if "test_accuracy" in epochs[0] else "test_r2"
            series.append(
                (
                    self._rows.get(run_id, {}).get("name", run_id),
                    [e["epoch"] for e in epochs],
                    [e.get(key, np.nan) for e in epochs],
                )
            )
        with self.overlay.hold_sync(), self.curves.hold_sync():
            if not series:
                self.curves.x, self.curves.y = np.zeros((1, 0)), np.zeros((1, 0))
                self.overlay_x.tick_values = [1]
                self.overlay_legend.value = "<i style='opacity:.7'>tick runs in the table to compare their curves</i>"
                return
            width = max(len(x) for _, x, _ in series)
            self.curves.x = np.array([x + [np.nan] * (width - len(x)) for _, x, _ in series], dtype=float)
            self.curves.y = np.array([y + [np.nan] * (width - len(y)) for _, _, y in series], dtype=float)
            colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
            self.curves.colors = colours
            self.curves.labels = [name for name, _, _ in series]
            self.overlay_x.tick_values = integer_ticks(width)
        self.overlay_legend.value = legend_html([(name, c) for (name, _, _), c in zip(series, colours, strict=True)])

    def _draw_dashboard(self, runs: list[dict[str, Any]]) -> None:
        today = dt.date.today()
        days = [today - dt.timedelta(days=i) for i in range(29, -1, -1)]
        counts = dict.fromkeys(days, 0)
        kinds = {"tabular": 0, "image": 0}
        for r in runs:
            day = dt.date.fromtimestamp(r["created"])
            if day in counts:
                counts[day] += 1
            kinds[_data_kind(r["spec"])] += 1
        with self.per_day.hold_sync():
            self.per_day.x = [d.strftime("%m-%d") for d in days]
            self.per_day.y = [counts[d] for d in days]
        with self.kinds.hold_sync():
            self.kinds.y = [kinds["tabular"], kinds["image"]]
        self.kinds_text.value = f"{kinds['tabular']:,} on tables, {kinds['image']:,} on images"
