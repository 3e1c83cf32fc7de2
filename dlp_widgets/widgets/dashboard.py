"""The training dashboard: progress, Stop, live curves, confusion matrix, ROC curves and
export buttons for one run.

Events come from the training thread. Whatever their rate, the browser gets at most about
ten updates a second: events only record what changed, and a flush (each widget's changes
grouped in one ``hold_sync``) sends it when 0.1 s have passed, and once more at the end.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as W
import numpy as np
from bqplot import Axis, ColorScale, Figure, GridHeatMap, LinearScale, Lines, OrdinalScale, Tooltip

# At most ten updates a second reach the browser; charts (a redraw of SVG each) at most
# twice a second, as the browser shares the machine with training.
FLUSH_INTERVAL = 0.1
CHART_INTERVAL = 0.5
TRAIN_COLOUR, TEST_COLOUR = "#1f77b4", "#ff7f0e"
ROC_COLOURS = [
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


def _fmt_seconds(s: float) -> str:
    s = int(max(0, s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def _line_chart(title: str, y_label: str) -> tuple[Figure, Lines, Lines]:
    x, y = LinearScale(), LinearScale()
    train = Lines(
        x=[],
        y=[],
        scales={"x": x, "y": y},
        colors=[TRAIN_COLOUR],
        labels=["train"],
        display_legend=True,
        marker="circle",
        marker_size=16,
    )
    test = Lines(
        x=[],
        y=[],
        scales={"x": x, "y": y},
        colors=[TEST_COLOUR],
        labels=["test"],
        display_legend=True,
        marker="circle",
        marker_size=16,
    )
    fig = Figure(
        marks=[train, test],
        axes=[Axis(scale=x, label="epoch", tick_format="d"), Axis(scale=y, orientation="vertical", label=y_label)],
        title=title,
        legend_location="top-right",
        layout=W.Layout(width="360px", height="260px"),
        fig_margin={"top": 40, "bottom": 40, "left": 50, "right": 10},
        animation_duration=0,
    )
    return fig, train, test


class TrainingDashboard(W.VBox):
    """Live view of a run. ``TrainingDashboard(run)`` attaches to a running or finished run."""

    def __init__(self, run: Any = None, **kwargs: Any) -> None:
        self.run = None
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._last_flush = 0.0
        self._last_chart = 0.0
        self._history: list[dict[str, Any]] = []
        self._task = "classification"
        self._classes: list[str] = []
        self._started = time.monotonic()

        self.title = W.HTML(layout=W.Layout(margin="0 0 4px 0"))
        self.status = W.HTML(value=self._badge("waiting"))
        self.progress = W.FloatProgress(value=0.0, min=0.0, max=1.0, layout=W.Layout(width="320px"))
        self.progress_text = W.HTML()
        self.stop_button = W.Button(
            description="Stop", button_style="danger", icon="stop", tooltip="Stop after the current batch"
        )
        self.stop_button.add_class("dlp-stop")
        self.stop_button.on_click(lambda _: self.run.stop() if self.run is not None else None)
        self.message = W.HTML()
        self.loss_fig, self.loss_train, self.loss_test = _line_chart("Loss", "loss")
        self.score_fig, self.score_train, self.score_test = _line_chart("Accuracy", "accuracy")
        rows, cols, colour = OrdinalScale(reverse=True), OrdinalScale(), ColorScale(scheme="Blues")
        self.confusion = GridHeatMap(
            color=np.zeros((2, 2)),
            row=["", " "],
            column=["", " "],
            scales={"row": rows, "column": cols, "color": colour},
            tooltip=Tooltip(fields=["row", "column", "color"], labels=["true", "predicted", "count"]),
        )
        self.confusion_fig = Figure(
            marks=[self.confusion],
            title="Confusion matrix (test split)",
            axes=[
                Axis(scale=rows, orientation="vertical", label="true", label_offset="66px"),
                Axis(scale=cols, label="predicted"),
            ],
            layout=W.Layout(width="360px", height="300px"),
            fig_margin={"top": 40, "bottom": 50, "left": 80, "right": 10},
            animation_duration=0,
        )
        fx, fy = LinearScale(min=0.0, max=1.0), LinearScale(min=0.0, max=1.0)
        chance = Lines(x=[0.0, 1.0], y=[0.0, 1.0], scales={"x": fx, "y": fy}, colors=["#999999"], line_style="dashed")
        self.roc = Lines(
            x=np.zeros((1, 0)), y=np.zeros((1, 0)), scales={"x": fx, "y": fy}, labels=[""], display_legend=True
        )
        self.roc_fig = Figure(
            marks=[chance, self.roc],
            title="ROC curves and AUC (test split)",
            legend_location="bottom-right",
            axes=[
                Axis(scale=fx, label="false positive rate"),
                Axis(scale=fy, orientation="vertical", label="true positive rate"),
            ],
            layout=W.Layout(width="360px", height="300px"),
            fig_margin={"top": 40, "bottom": 40, "left": 50, "right": 10},
            animation_duration=0,
        )
        self.export_buttons = {
            fmt: W.Button(description=label, disabled=True, tooltip=f"write {label} into the run's folder")
            for fmt, label in (("onnx", "ONNX"), ("pt", ".pt"), ("code", "code"), ("script", "training script"))
        }
        for fmt, button in self.export_buttons.items():
            button.add_class(f"dlp-export-{fmt}")
            button.on_click(lambda _, fmt=fmt: self._export(fmt))
        self.export_result = W.HTML()
        self.classification_box = W.HBox([self.confusion_fig, self.roc_fig])
        super().__init__(
            children=[
                self.title,
                W.HBox([self.status, self.progress, self.stop_button], layout=W.Layout(align_items="center")),
                self.progress_text,
                self.message,
                W.HBox([self.loss_fig, self.score_fig]),
                self.classification_box,
                W.HBox(
                    [W.HTML("<b>Export:</b>"), *self.export_buttons.values()], layout=W.Layout(align_items="center")
                ),
                self.export_result,
            ],
            **kwargs,
        )
        self.add_class("dlp-dashboard")
        if run is not None:
            self.attach(run)

    # -- wiring

    def attach_header(self, run: Any) -> None:
        self.run = run
        self.title.value = (
            f"<b>{html.escape(run.name)}</b> <span style='opacity:.7'>{html.escape(run.id)} · "
            f"{html.escape(str(run.device))}</span>"
        )

    def attach(self, run: Any) -> None:
        """Follow ``run``: its past epochs at once, its future events as they come."""
        self.attach_header(run)
        self._history = list(run._history)
        self._task = run.task or "classification"
        self._classes = list(run.classes or [])
        run.subscribe(self.on_event)
        if run.done:
            self.on_event({"type": "finished", "status": run.status, "error": run.error, "metrics": run.metrics})
        self._pending["curves"] = True
        self.flush()

    def on_event(self, event: dict[str, Any]) -> None:
        """Record an event; send to the browser at most every FLUSH_INTERVAL seconds."""
        kind = event["type"]
        with self._lock:
            if kind == "started":
                self._started = time.monotonic()
                self._task = event.get("task") or self._task
                self._classes = list(event.get("classes") or [])
                self._pending["started"] = event
            elif kind == "progress":
                self._pending["progress"] = event
            elif kind == "epoch_end":
                self._history.append(event["metrics"])
                self._pending["curves"] = True
                if "confusion" in event:
                    self._pending["confusion"] = event["confusion"]
                if "roc" in event:
                    self._pending["roc"] = event["roc"]
            elif kind == "finished":
                metrics = event.get("metrics") or {}
                self._pending["finished"] = event
                self._pending["curves"] = True
                if "confusion" in metrics:
                    self._pending["confusion"] = metrics["confusion"]
                if "roc" in metrics:
                    self._pending["roc"] = metrics["roc"]
            due = kind in ("finished", "started") or time.monotonic() - self._last_flush >= FLUSH_INTERVAL
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            now = time.monotonic()
            pending, self._pending = self._pending, {}
            if "finished" not in pending and now - self._last_chart < CHART_INTERVAL:
                for key in ("curves", "confusion", "roc"):  # keep chart changes for a later flush
                    if key in pending:
                        self._pending[key] = pending.pop(key)
            elif any(key in pending for key in ("curves", "confusion", "roc")):
                self._last_chart = now
            history = list(self._history)
            self._last_flush = now
        if not pending:
            return
        if "started" in pending:
            ev = pending["started"]
            self.status.value = self._badge("running")
            self.stop_button.disabled = False
            self.score_fig.title = "Accuracy" if self._task == "classification" else "R²"
            self.score_fig.axes[1].label = "accuracy" if self._task == "classification" else "R²"
            self.classification_box.layout.display = None if self._task == "classification" else "none"
            warnings = "".join(f"<div class='dlp-warning'>⚠ {html.escape(w)}</div>" for w in ev.get("warnings", []))
            self.message.value = warnings
        if "progress" in pending:
            ev = pending["progress"]
            done = (ev["epoch"] - 1 + ev["batch"] / ev["batches"]) / ev["epochs"]
            rate = ev["samples"] / ev["elapsed"] if ev["elapsed"] > 0 else 0
            with self.progress.hold_sync():
                self.progress.value = done
            self.progress_text.value = (
                f"epoch {ev['epoch']}/{ev['epochs']} · batch {ev['batch']}/{ev['batches']} · loss {ev['loss']:.4f} · "
                f"elapsed {_fmt_seconds(time.monotonic() - self._started)} · ETA {_fmt_seconds(ev['eta'])} · {rate:,.0f} samples/s"
            )
        if pending.get("curves") and history:
            self._draw_curves(history)
        if "confusion" in pending and self._classes:
            with self.confusion.hold_sync():
                self.confusion.row = self._classes
                self.confusion.column = self._classes
                self.confusion.color = np.asarray(pending["confusion"], dtype=float)
        if "roc" in pending:
            self._draw_roc(pending["roc"])
        if "finished" in pending:
            ev = pending["finished"]
            self.status.value = self._badge(ev["status"])
            self.stop_button.disabled = True
            if self.run is not None:
                total = len(history)
                if total:
                    self.progress.value = 1.0 if ev["status"] == "finished" else self.progress.value
            if ev.get("error"):
                self.message.value += f"<div class='dlp-error' style='color:var(--jp-error-color1,#d32f2f)'>✖ {html.escape(ev['error'])}</div>"
            m = ev.get("metrics") or {}
            summary = ", ".join(
                f"{k} {m[k]:.4f}"
                for k in ("test_accuracy", "test_r2", "test_mae", "test_rmse", "test_loss")
                if isinstance(m.get(k), (int, float))
            )
            if summary:
                self.progress_text.value = f"{ev['status']} after {m.get('epochs', len(history))} epoch(s): {summary}"
            for button in self.export_buttons.values():
                button.disabled = not history

    def _draw_curves(self, history: list[dict[str, Any]]) -> None:
        epochs = [row["epoch"] for row in history]
        key = "accuracy" if self._task == "classification" else "r2"
        for line, column in (
            (self.loss_train, "train_loss"),
            (self.loss_test, "test_loss"),
            (self.score_train, f"train_{key}"),
            (self.score_test, f"test_{key}"),
        ):
            with line.hold_sync():
                line.x = epochs
                line.y = [row.get(column, float("nan")) for row in history]

    def _draw_roc(self, roc: dict[str, Any]) -> None:
        names = list(roc)
        if not names:
            return
        curves = [(roc[n]["fpr"], roc[n]["tpr"]) for n in names]
        width = max(len(x) for x, _ in curves)

        def pad(values: list[float]) -> list[float]:  # one rectangular array: repeat the end point
            return list(values) + [values[-1]] * (width - len(values))

        with self.roc.hold_sync():
            self.roc.x = np.array([pad(x) for x, _ in curves])
            self.roc.y = np.array([pad(y) for _, y in curves])
            self.roc.labels = [f"{n[:12]} {roc[n]['auc']:.3f}" for n in names]
            self.roc.colors = [ROC_COLOURS[k % len(ROC_COLOURS)] for k in range(len(names))]

    def _export(self, fmt: str) -> None:
        if self.run is None or not self.run.done:
            self.export_result.value = "✖ nothing to export yet: the run has not ended"
            return
        try:
            path = self.run.export(fmt)
        except Exception as exc:  # shown in the dashboard; the kernel carries on
            self.export_result.value = (
                f"<span style='color:var(--jp-error-color1,#d32f2f)'>✖ {html.escape(str(exc))}</span>"
            )
            return
        size = path.stat().st_size
        self.export_result.value = (
            f"✔ wrote <code class='dlp-export-path'>{html.escape(str(path))}</code> ({size:,} bytes)"
        )

    @staticmethod
    def _badge(status: str) -> str:
        colours = {
            "running": "#1976d2",
            "finished": "#2e7d32",
            "stopped": "#ef6c00",
            "diverged": "#c62828",
            "failed": "#c62828",
            "interrupted": "#6d4c41",
            "waiting": "#757575",
        }
        return (
            f"<span class='dlp-status' data-status='{status}' style='background:{colours.get(status, '#757575')};"
            f"color:white;padding:2px 8px;border-radius:10px'>{status}</span>"
        )
