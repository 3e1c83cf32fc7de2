"""``Playground``: the original trainspace in one cell — data, parameters, model, review,
train — ending in a live dashboard. It edits a spec; the engine runs it."""

from __future__ import annotations

import html
import warnings
from typing import Any

import ipywidgets as W
import pandas as pd

from ..data import DataError
from ..spec import Spec, SpecError
from ..spec.defaults import default_model
from ..spec.graph import GraphSpec
from .builder import LayerBuilder
from .data_source import BUILTIN_CHOICES
from .data_step import DataStep
from .html_bits import error_html, warnings_html
from .settings_step import SettingsStep

__all__ = ["BUILTIN_CHOICES", "Playground"]


class Playground(W.VBox):
    """Pick data, set parameters, build the model, review, train.

    ``Playground()`` starts on a built-in set; ``Playground(df)`` on your DataFrame;
    ``Playground.from_run(run)`` reopens a run as it was (its upload included).
    """

    def __init__(
        self, data: pd.DataFrame | str | None = None, *, target: str | None = None, spec: Spec | dict | None = None
    ) -> None:
        self._fit_problem = ""  # why the model does not fit the data ("" when it does)
        self._settings_problem = ""  # a training setting the spec refuses
        self.run = None
        self.dashboard = None
        self.preset = None  # the toy preset's bar (Playground.toy), which then owns the model

        # -- 1. data
        self.data = DataStep(data if isinstance(data, pd.DataFrame) else None, on_change=self._on_data)

        # -- 2. parameters: one control per training setting, from the settings table
        self.settings = SettingsStep(on_change=self._refresh_review)
        self.settings_message = self.settings.message
        for name, control in self.settings.controls.items():  # pg.lr, pg.epochs, ... for scripts and tests
            setattr(self, name, control)

        # -- 3. model
        self.builder = LayerBuilder(input_shape=[4])
        model_step = W.VBox(
            [
                W.HTML(
                    "Drag layers from the palette into the model, or focus the palette and press Enter. "
                    "<i>Clear</i> empties the model."
                ),
                self.builder,
            ]
        )

        # -- 4. review
        self.review = W.HTML()
        self.train_button = W.Button(description="Train", button_style="success", icon="play")
        self.train_button.add_class("dlp-train")
        self.train_button.on_click(lambda _: self.train())
        self.train_reason = W.HTML()
        self.train_reason.add_class("dlp-train-reason")
        self.output = W.VBox()
        review_step = W.VBox([self.review])

        self.steps = W.Tab(children=[self.data, self.settings, model_step, review_step])
        for i, title in enumerate(["1 · Data", "2 · Parameters", "3 · Model", "4 · Review"]):
            self.steps.set_title(i, title)
        super().__init__(
            [
                self.steps,
                W.HBox([self.train_button, self.train_reason], layout=W.Layout(align_items="center")),
                self.output,
            ]
        )
        self.add_class("dlp-playground")

        self.steps.observe(lambda _: self._refresh_review(), "selected_index")
        self.builder.observe(lambda _: self._refresh_review(), "report")
        self.data.train_transforms.observe(self._on_transforms, "items")
        self.data.test_transforms.observe(self._on_transforms, "items")
        self.data.reload()
        if target is not None and target in self.data.target.options:
            self.data.target.value = target
        if spec is not None:
            self.spec = spec

    @classmethod
    def from_run(cls, run: Any, data: pd.DataFrame | None = None) -> Playground:
        """A Playground showing ``run`` as it was trained: its spec, and its data — the
        uploaded file kept with the run, or ``data`` for a run trained on a DataFrame
        (without it, the Playground says which table to pass)."""
        from ..engine.run_data import describe_dataframe

        record = run.data_record or {}
        playground = cls(data if isinstance(data, pd.DataFrame) else None)
        upload = run.stored_data()
        if upload is not None:
            playground.data.set_upload(*upload)
        elif record.get("kind") == "dataframe" and data is None:
            playground.data.show_absent(
                f"run {run.name!r} trained on {describe_dataframe(record)}, passed from Python, which is not "
                "here: pass it, dlp.Playground.from_run(run, data=df)"
            )
        elif record.get("kind") == "upload":
            playground.data.show_absent(f"the file {record.get('name')} this run trained on is missing from its folder")
        playground.spec = run.spec
        return playground

    @classmethod
    def toy(cls, name: str = "spiral", *, noise: float = 0.0) -> Playground:
        """The "playground" preset: the toy set ``name`` (``toy:spiral`` …), a small MLP with
        sliders for its hidden layers and units per layer above the steps, and settings that
        learn in under a minute; press Train, and watch the decision boundary."""
        from .playground_preset import PresetBar, preset_spec

        playground = cls(spec=preset_spec(name, noise))
        playground.preset = PresetBar(playground)
        playground.children = [playground.preset, *playground.children]
        return playground

    # -- the data

    def _on_data(self) -> None:
        summary = self.data.summary
        if summary is None:
            self._refresh_review()
            return
        task = summary.get("task", "classification")
        self.settings.set_task(task)
        n_outputs = len(summary["classes"]) if task == "classification" and summary.get("classes") else 1
        shape = summary["input_shape"]
        current = self.builder.report
        same_outputs = current.get("output_shape") == [n_outputs]
        if self.preset is not None:
            self.preset.apply()  # the preset's own network, sized for these inputs and outputs
        elif _shape(self.builder.input_shape) == list(shape) and same_outputs:
            pass
        elif self.data.sources.is_toy and same_outputs and len(shape) == 1:
            self.builder.input_shape = list(shape)  # a derived feature switched on or off: the network stays
        else:
            self.builder.spec = default_model(shape, n_outputs)  # a model that fits the data, ready to edit
        self._refresh_review()

    def _on_transforms(self, *_: Any) -> None:
        summary = self.data.summary
        image_data = bool(summary) and summary.get("kind") == "image"
        if self.data.train_transforms.error or self.data.test_transforms.error or not image_data:
            self._refresh_review()
            return
        from ..spec.transforms import transformed_shape

        shape = transformed_shape(self.data.test_transforms.value, tuple(summary["image_shape"]), "test")
        summary["input_shape"] = list(shape)
        if _shape(self.builder.input_shape) != list(shape):
            self.builder.input_shape = list(shape)  # the model keeps its layers; shapes update in place
        self._refresh_review()

    def transforms(self) -> dict[str, list[dict[str, Any]]] | None:
        return self.data.transforms()

    # -- the spec

    @property
    def spec(self) -> Spec:
        """The spec the Playground describes (raises SpecError while the model is invalid)."""
        model = self.builder.spec
        return Spec.from_dict(
            {
                "version": 2 if isinstance(model, GraphSpec) else 1,
                "model": model.to_dict(),
                "data": self.data.data_dict(),
                "training": self.settings.values(),
            }
        )

    @spec.setter
    def spec(self, value: Any) -> None:
        from ..spec.io import load_spec

        spec = load_spec(value, check_shapes=False)  # refused before anything is changed
        model = spec.model  # a chain or a graph: the builder draws both
        self.data.apply(spec.data, image_model=len(model.input_shape) == 3)
        self.settings.set_values(spec.training)
        self.builder.spec = model

    # -- review and train

    def _refresh_review(self) -> None:
        summary = self.data.summary
        try:
            spec = self.spec
        except SpecError as exc:
            self._fit_problem = ""
            self._settings_problem = exc.message
            self.settings_message.value = (
                error_html(exc.message, "dlp-settings-error") if (exc.path or "").startswith("training") else ""
            )
            self.review.value = error_html(exc.message, "dlp-review-error")
            self._update_train_button()
            return
        self._settings_problem = ""
        self.settings_message.value = ""
        problems = self._fit_problems(spec)
        t = spec.training
        report = self.builder.report
        items = [("Data", html.escape(str(spec.data.source or self.data.upload_name or "DataFrame")))]
        if self.data.is_tabular:
            features = spec.data.features or []
            items += [
                ("Target", html.escape(str(spec.data.target))),
                (
                    "Features",
                    f"{len(features)}: " + html.escape(", ".join(features[:12]) + ("…" if len(features) > 12 else "")),
                ),
            ]
        elif summary:
            items.append(("Classes", html.escape(", ".join(summary.get("classes", [])[:20]))))
        items += [
            ("Task", html.escape(str(summary.get("task") if summary else ""))),
            (
                "Model",
                f"{_size_words(spec.model)}, {report.get('total_params', 0):,} trainable parameters, "
                f"output {report.get('output_shape')}",
            ),
            (
                "Training",
                f"{t.loss or 'loss by the task'}, {t.optimizer} lr {t.lr:g}, {t.epochs} epochs, batch {t.batch_size}, "
                f"test split {t.test_size:g}, seed {t.seed}",
            ),
            ("Device", html.escape(self._device_name(t.device))),
        ]
        rows = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{k}</th><td>{v}</td></tr>" for k, v in items)
        self.review.value = f"<table class='dlp-review'>{rows}</table>" + problems
        self._update_train_button()

    def _fit_problems(self, spec: Spec) -> str:
        from ..engine.objective import check_fit
        from ..spec import infer

        summary = self.data.summary
        self._fit_problem = ""
        if not summary:
            return ""
        task = summary.get("task", "classification")
        classes = summary.get("classes")
        try:
            warnings = check_fit(
                spec, infer(spec.model), task, len(classes) if classes else None, summary["input_shape"]
            )
        except SpecError as exc:
            self._fit_problem = exc.message
            return error_html(exc.message, "dlp-review-error")
        return warnings_html(warnings, "dlp-review-warning")

    def _device_name(self, requested: str) -> str:
        try:
            from ..engine.device import describe, pick_device

            return describe(pick_device(requested))
        except SpecError as exc:
            return exc.message

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.done

    def train_blocked(self) -> str:
        """Why Train cannot start now ("" when it can): shown beside the button on every step."""
        if self.running:
            return "a run is training: stop it or let it finish"
        if self.data.summary is None:
            return f"data: {self.data.problem}"
        if not self.builder.ok:
            error = self.builder.error or {}
            return f"model: {error.get('message', 'the model is not valid')}"
        if self._settings_problem:
            return self._settings_problem
        if self._fit_problem:
            return self._fit_problem
        return ""

    def _update_train_button(self) -> None:
        reason = self.train_blocked()
        self.train_button.disabled = bool(reason)
        self.train_reason.value = (
            error_html(reason, "dlp-train-blocked", tag="span", mark=False, style="margin-left:8px") if reason else ""
        )

    def train(self) -> Any:
        """Start training in the background and show its dashboard below."""
        from ..engine import runner
        from .dashboard import TrainingDashboard

        reason = self.train_blocked()
        if reason:
            self._update_train_button()
            return None
        try:
            spec = self.spec
        except SpecError as exc:
            self.review.value = error_html(exc.message, "dlp-review-error")
            self.steps.selected_index = 3
            return None
        board = TrainingDashboard(on_apply=self._retrain)
        self.output.children = [board]
        try:
            with warnings.catch_warnings():  # the dashboard shows them, where the run is
                warnings.simplefilter("ignore", runner.DLPWarning)
                run = runner.start(
                    spec,
                    self.data.passed_data,
                    subscribe=board.on_event,
                    data_name=self.data.upload_name or None,
                    displayed=True,
                )
        except (SpecError, DataError) as exc:
            board.message.value = error_html(exc.message)
            return None
        board.attach_header(run)
        self.run, self.dashboard = run, board
        run.subscribe(self._on_run_event)
        self._update_train_button()  # after subscribing: a run that already ended is seen here
        return run

    def _retrain(self, spec: dict[str, Any]) -> Any:
        """A coach's fix: the patched spec shown in the Playground's steps, then trained (a
        run still training is stopped first: the fix is meant to replace it)."""
        if self.running:
            self.run.stop()
            self.run.wait(60)
        self.spec = spec
        return self.train()

    def _on_run_event(self, event: Any) -> None:
        from ..engine.events import Finished

        if isinstance(event, Finished):
            self._update_train_button()

    _on_run_event.saved_first = False  # it waits for the ending only


def _shape(value: Any) -> list[Any] | None:
    """The builder's input shape as a list, or None while the browser has sent something else."""
    return list(value) if isinstance(value, (list, tuple)) else None


def _size_words(model: Any) -> str:
    """ "5 layers" for a chain, "13 nodes" for a graph."""
    layers = getattr(model, "layers", None)
    return f"{len(layers)} layers" if layers is not None else f"{len(model.nodes)} nodes"
