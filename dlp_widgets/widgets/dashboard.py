"""The training dashboard: progress, Stop, live curves, confusion matrix, ROC curves and
export buttons for one run.

Events come from the training thread. Whatever their rate, events only record what changed,
and a flush sends it every FLUSH_INTERVAL (charts every CHART_INTERVAL, from one interval into
the run, with the loop's pictures), and once at the end.

Whatever goes wrong in one chart, the rest keeps working: each chart shows its own error
in its place, while the status, Stop and the exports carry on (``charts.ChartView``).
"""

from __future__ import annotations

import html
import threading
import time
from pathlib import Path
from typing import Any

import ipywidgets as W

from ..engine.events import EpochEnd, Event, Finished, Progress, Started
from ..engine.run_text import file_stem
from .charts import ConfusionView, CurvesView, RocView
from .coach_panel import Apply, CoachPanel
from .html_bits import badge_html, error_html, view_error_html, warnings_html
from .plane_view import BoundaryView, NeuronView

# At most four updates a second reach the browser; charts (a redraw of SVG or a picture each)
# at most once a second, as the browser shares the machine with training: at twice a second
# the dashboard cost the spiral's training 1.15 times its headless time, at once 1.05.
FLUSH_INTERVAL = 0.25  # the status and progress bar four times a second: smooth, and the browser keeps up
CHART_INTERVAL = 1.0
PICTURES = ("confusion", "roc", "plane")  # what the loop makes for an epoch only now and then
# label, tooltip; "onnx_pipeline" and "script" only for tables
EXPORTS = {
    "onnx_pipeline": ("ONNX with preprocessing", "raw rows in, class names or values out: scaling, one-hot inside"),
    "onnx": ("ONNX (model only)", "the network alone: its input is the preprocessed features"),
    "pt": (".pt", "weights, spec and preprocessing, for torch.load(weights_only=True)"),
    "code": ("code", "the model as PyTorch source"),
    "script": ("training script", "a standalone script that trains this run again (its data file beside it)"),
}
TABLE_ONLY = frozenset({"onnx_pipeline", "script"})
SUFFIXES = {"onnx_pipeline": "_pipeline.onnx", "onnx": ".onnx", "pt": ".pt", "code": ".py", "script": "_train.py"}
COLOURS = {
    "running": "#1976d2",
    "finished": "#2e7d32",
    "stopped": "#ef6c00",
    "diverged": "#c62828",
    "failed": "#c62828",
    "interrupted": "#6d4c41",
    "waiting": "#757575",
}


def _fmt_seconds(s: float) -> str:
    s = int(max(0, s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


class TrainingDashboard(W.VBox):
    """Live view of a run. ``TrainingDashboard(run)`` attaches to a running or finished run."""

    def __init__(
        self,
        run: Any = None,
        *,
        export_folder: str | Path | None = None,
        on_apply: Apply | None = None,
        **kwargs: Any,
    ) -> None:
        self.run = None
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._last_flush = 0.0
        self._last_chart = 0.0
        self._last_coach = 0.0
        self._pictures = False  # whether the run's loop makes pictures (confusion, ROC, plane)
        self._history: list[dict[str, Any]] = []
        self._task = "classification"
        self._classes: list[str] = []
        self._started = time.monotonic()

        self.name = W.Text(
            placeholder="run name",
            continuous_update=False,
            layout=W.Layout(width="auto", flex="1 1 240px", max_width="420px"),
            tooltip="the run's name: edit it and press Enter",
        )
        self.name.add_class("dlp-run-name")
        self.name.observe(self._on_rename, "value")
        self.meta = W.HTML()
        self.status = W.HTML(value=self._badge("waiting"))
        self.progress = W.FloatProgress(value=0.0, min=0.0, max=1.0, layout=W.Layout(flex="1 1 160px", width="auto"))
        self.progress_text = W.HTML()
        self.stop_button = W.Button(
            description="Stop", button_style="danger", icon="stop", tooltip="Stop after the current batch"
        )
        self.stop_button.add_class("dlp-stop")
        self.stop_button.on_click(lambda _: self.run.stop() if self.run is not None else None)
        self.message = W.HTML()
        self.loss_view = CurvesView("Loss", "loss", ".4~g", log_option=True)
        self.score_view = CurvesView("Accuracy", "accuracy", ".2~%")
        self.confusion_view = ConfusionView()
        self.roc_view = RocView()
        self.boundary_view, self.neuron_view = BoundaryView(), NeuronView()  # hidden until a run draws them
        self.views = (
            self.loss_view,
            self.score_view,
            self.confusion_view,
            self.roc_view,
            self.boundary_view,
            self.neuron_view,
        )
        self.charts = W.Box(
            [view.box for view in self.views],
            layout=W.Layout(flex_flow="row wrap", width="100%", align_items="flex-start"),
        )
        self.export_folder = W.Text(
            value=str(Path(export_folder) if export_folder is not None else Path.cwd()),
            description="Export to",
            tooltip="the folder exports are written to (default: the notebook's folder)",
            layout=W.Layout(width="auto", flex="1 1 260px", max_width="560px"),
        )
        self.export_folder.add_class("dlp-export-folder")
        self.export_buttons = {
            fmt: W.Button(description=label, disabled=True, tooltip=tip) for fmt, (label, tip) in EXPORTS.items()
        }
        for fmt, button in self.export_buttons.items():
            button.add_class(f"dlp-export-{fmt.replace('_', '-')}")
            button.layout.width = "auto"
            button.on_click(lambda _, fmt=fmt: self.export(fmt))
        self.export_result = W.HTML()
        # the Playground trains a coach's fix itself; alone, the dashboard starts it and shows it below
        self.coach = CoachPanel(on_apply or self._retrain)
        wrap = W.Layout(flex_flow="row wrap", align_items="center", width="100%")
        super().__init__(
            children=[
                W.Box([self.name, self.meta], layout=wrap),
                W.Box([self.status, self.progress, self.stop_button], layout=wrap),
                self.progress_text,
                self.message,
                self.charts,
                self.coach,
                W.HTML("<b>Export</b>"),
                W.Box([self.export_folder], layout=wrap),
                W.Box(list(self.export_buttons.values()), layout=wrap),
                self.export_result,
            ],
            **kwargs,
        )
        self.layout.max_width = "100%"
        self.add_class("dlp-dashboard")
        if run is not None:
            self.attach(run)

    # -- wiring

    def attach_header(self, run: Any) -> None:
        self.run = run
        self.name.unobserve(self._on_rename, "value")
        self.name.value = run.name
        self.name.observe(self._on_rename, "value")
        self.meta.value = (
            f"<span class='dlp-run-meta' style='opacity:.7;margin-left:8px'>{html.escape(run.id)} · "
            f"{html.escape(str(run.device))}</span>"
        )
        for view, drawn in zip((self.boundary_view, self.neuron_view), run.plane_views, strict=True):
            if drawn:
                view.open()
        if run.plane_ground is not None:  # the data, drawn before the training begins, as TF Playground shows it
            self.boundary_view.update(run.plane_ground)
        if len(run.history):  # epochs that ended before the dashboard knew its run: coach them now
            self._coach()

    def attach(self, run: Any) -> None:
        """Follow ``run``: its past epochs at once, its future events as they come."""
        self.attach_header(run)
        self._history = run.history.to_dict("records")
        self._task = run.task or "classification"
        self._classes = list(run.classes or [])
        self._show_task()
        run.subscribe(self.on_event)
        if run.done:
            self.on_event(Finished(run_id=run.id, status=run.status, error=run.error, metrics=run.metrics))
        self._pending["curves"] = True
        self.flush()

    def _on_rename(self, change: dict[str, Any]) -> None:
        if self.run is None:
            return
        try:
            self.run.rename(change["new"])
        except ValueError as exc:
            self.export_result.value = view_error_html(str(exc))
            self.name.unobserve(self._on_rename, "value")
            self.name.value = change["old"]
            self.name.observe(self._on_rename, "value")

    def on_event(self, event: Event) -> None:
        """Record an event; send to the browser at most every FLUSH_INTERVAL seconds.
        Never raises: a subscriber that raises is dropped by the run, and the dashboard
        would stop following it."""
        try:
            self._record(event)
        except Exception as exc:  # noqa: BLE001 - shown, never lost
            self.message.value += view_error_html(
                f"the dashboard could not follow an event: {type(exc).__name__}: {exc}"
            )

    on_event.saved_first = False  # it only draws: an epoch is shown without waiting for its record

    def _record(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, Started):
                # the first charts an interval into the run, with the loop's first pictures
                self._started = self._last_chart = time.monotonic()
                self._task = event.task or self._task
                self._classes = list(event.classes or [])
                plane = self.run is not None and self.run.plane_views[0]
                self._pictures = self._task == "classification" or plane  # the loop makes some
                self._pending["started"] = event
            elif isinstance(event, Progress):
                self._pending["progress"] = event
            elif isinstance(event, EpochEnd):
                self._history.append(event.metrics)
                self._pending["curves"] = True
                for key in PICTURES:
                    if getattr(event, key) is not None:
                        self._pending[key] = getattr(event, key)
            elif isinstance(event, Finished):
                metrics = event.metrics or {}
                self._pending["finished"] = event
                self._pending["curves"] = True
                for key in ("confusion", "roc"):
                    if key in metrics:
                        self._pending[key] = metrics[key]
            else:
                raise TypeError(f"{type(event).__name__} is not one of the run's events")
            due = isinstance(event, (Finished, Started)) or time.monotonic() - self._last_flush >= FLUSH_INTERVAL
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            now = time.monotonic()
            pending, self._pending = self._pending, {}
            # charts at most once an interval, and with the loop's pictures when it makes them (it
            # makes them once an interval too): curves drawn a moment before would hold them back
            since = now - self._last_chart
            fresh = not self._pictures or any(key in pending for key in PICTURES) or since >= 2 * CHART_INTERVAL
            if "finished" not in pending and (since < CHART_INTERVAL or not fresh):
                for key in ("curves", *PICTURES):  # keep chart changes for a later flush
                    if key in pending:
                        self._pending[key] = pending.pop(key)
            elif any(key in pending for key in ("curves", *PICTURES)):
                self._last_chart = now
            history = list(self._history)
            self._last_flush = now
        if not pending:
            return
        # the run's own state first: whatever a chart does below, the status, Stop and the
        # exports are already right
        if "started" in pending:
            self._on_started(pending["started"])
        if "progress" in pending:
            self._on_progress(pending["progress"])
        if "finished" in pending:
            self._on_finished(pending["finished"], history)
        if pending.get("curves") and history:
            self._draw_curves(history)
            if "finished" in pending or now - self._last_coach >= 2 * CHART_INTERVAL:  # it reads the whole run
                self._last_coach = now
                self._coach()
        if "confusion" in pending and self._classes:
            self.confusion_view.update(pending["confusion"], self._classes)
        if "roc" in pending:
            self.roc_view.update(pending["roc"])
        if "plane" in pending:
            self._draw_plane(pending["plane"])

    def _draw_plane(self, plane: dict[str, Any]) -> None:
        self.boundary_view.update(plane)
        if plane.get("neurons"):
            self.neuron_view.update(plane["neurons"])

    def _show_task(self) -> None:
        classification = self._task == "classification"
        if classification:
            self.score_view.set_labels("Accuracy", "accuracy", ".2~%")
        else:
            self.score_view.set_labels("R²", "R²", ".3~f")
        for view in (self.confusion_view, self.roc_view):
            view.box.layout.display = None if classification else "none"
        tables = self.run is None or (self.run.preprocessing or {}).get("kind") != "image"
        for fmt in TABLE_ONLY:
            self.export_buttons[fmt].layout.display = None if tables else "none"

    def _on_started(self, event: Started) -> None:
        self.status.value = self._badge("running")
        self.stop_button.disabled = False
        self._show_task()
        for view in (self.loss_view, self.score_view):
            view.plan(event.epochs)
        self.message.value = warnings_html(event.warnings)

    def _on_progress(self, ev: Progress) -> None:
        done = (ev.epoch - 1 + ev.batch / ev.batches) / ev.epochs
        rate = ev.samples / ev.elapsed if ev.elapsed > 0 else 0
        self.progress.value = min(1.0, max(0.0, done))
        self.progress_text.value = (
            f"epoch {ev.epoch}/{ev.epochs} · batch {ev.batch}/{ev.batches} · loss {ev.loss:.4f} · "
            f"elapsed {_fmt_seconds(time.monotonic() - self._started)} · ETA {_fmt_seconds(ev.eta)} · "
            f"{rate:,.0f} samples/s"
        )

    def _on_finished(self, ev: Finished, history: list[dict[str, Any]]) -> None:
        self.status.value = self._badge(ev.status)
        self.stop_button.disabled = True
        if history and ev.status == "finished":
            self.progress.value = 1.0
        if ev.error:
            self.message.value += error_html(ev.error)
        m = ev.metrics or {}
        summary = ", ".join(
            f"{k} {m[k]:.4f}"
            for k in ("test_accuracy", "test_r2", "test_mae", "test_rmse", "test_loss")
            if isinstance(m.get(k), (int, float))
        )
        if summary:
            self.progress_text.value = f"{ev.status} after {m.get('epochs', len(history))} epoch(s): {summary}"
        self._show_task()
        for button in self.export_buttons.values():
            button.disabled = not history

    def _draw_curves(self, history: list[dict[str, Any]]) -> None:
        epochs = [row["epoch"] for row in history]
        key = "accuracy" if self._task == "classification" else "r2"

        def column(name: str) -> list[float]:
            return [row.get(name, float("nan")) for row in history]

        self.loss_view.update(epochs, column("train_loss"), column("test_loss"))
        self.score_view.update(epochs, column(f"train_{key}"), column(f"test_{key}"))

    # -- the coach

    def _coach(self) -> None:
        if self.run is None:
            return
        try:
            self.coach.show(self.run.diagnose(), self.run.spec.to_dict())
        except Exception as exc:  # noqa: BLE001 - the coach must never cost the run its dashboard
            self.coach.result.value = view_error_html(f"the coach could not read this run: {exc}")

    def _retrain(self, spec: dict[str, Any]) -> Any:
        from ..engine.runner import start

        run = start(spec, self.run.training_frame, displayed=True)
        board = TrainingDashboard(run, export_folder=self.export_folder.value)
        self.coach.children = [*self.coach.children, board]
        return run

    # -- exports

    def export_path(self, fmt: str) -> Path:
        """Where ``fmt`` goes: the export folder, named after the run; a file there that this
        run did not write is never replaced (a number is added instead)."""
        folder = Path(self.export_folder.value.strip() or ".").expanduser()
        stem = file_stem(self.run.name)
        ours = {Path(a["path"]).resolve() for a in self.run.artefacts()}
        for n in range(1, 1000):
            path = folder / f"{stem}{'' if n == 1 else f'-{n}'}{SUFFIXES[fmt]}"
            if not path.exists() or path.resolve() in ours:
                return path
        raise ValueError(f"too many exports named {stem} in {folder}")

    def export(self, fmt: str) -> list[Path] | None:
        """Write ``fmt`` into the export folder; shows (and returns) every file written."""
        if self.run is None or not self.run.done:
            self.export_result.value = view_error_html("nothing to export yet: the run has not ended")
            return None
        try:
            paths = self.run.export_files(fmt, self.export_path(fmt))
        except Exception as exc:  # noqa: BLE001 - shown in the dashboard; the kernel carries on
            self.export_result.value = view_error_html(str(exc))
            return None
        items = "".join(
            f"<li><code class='dlp-export-path' style='user-select:all;cursor:copy' "
            f"title='click to select the path, then copy it'>{html.escape(str(p.resolve()))}</code> "
            f"({p.stat().st_size:,} bytes)</li>"
            for p in paths
        )
        label = EXPORTS[fmt][0]
        self.export_result.value = f"<div class='dlp-export-result'>✔ {html.escape(label)}: wrote<ul>{items}</ul></div>"
        return paths

    @staticmethod
    def _badge(status: str) -> str:
        return badge_html(status, COLOURS.get(status, "#757575"), "dlp-status", status=status)
