"""``Playground``: the original trainspace in one cell — data, parameters, model, review,
train — ending in a live dashboard. It edits a spec; the engine runs it."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W
import pandas as pd

from ..data import BUILTINS, DataError, summarize
from ..data.images import TORCHVISION_SETS
from ..spec import LOSSES, OPTIMIZERS, Spec, SpecError, TrainingSpec
from ..spec.defaults import default_model
from .builder import LayerBuilder
from .transforms import TransformList

BUILTIN_CHOICES = (
    [(f"{name} — {b.description}", f"builtin:{name}") for name, b in BUILTINS.items()]
    + [("digits as 8×8 images", "builtin:digits_images")]
    + [(f"{name} (images, downloaded once)", f"builtin:{name}") for name in TORCHVISION_SETS]
)


def _table(frame_records: list[dict[str, Any]], limit: int = 5) -> str:
    if not frame_records:
        return ""
    cols = list(frame_records[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c)))}</td>" for c in cols) + "</tr>"
        for r in frame_records[:limit]
    )
    return f"<table class='dlp-preview'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


class Playground(W.VBox):
    """Pick data, set parameters, build the model, review, train.

    ``Playground()`` starts on a built-in set; ``Playground(df)`` on your DataFrame.
    """

    def __init__(
        self, data: pd.DataFrame | str | None = None, *, target: str | None = None, spec: Spec | dict | None = None
    ) -> None:
        self._frame: pd.DataFrame | None = data if isinstance(data, pd.DataFrame) else None
        self._upload: bytes | None = None
        self._upload_name = ""
        self._summary: dict[str, Any] | None = None
        self._fit_ok = True  # the model fits the data (set by the review)
        self.run = None
        self.dashboard = None

        # -- 1. data
        kinds = (["DataFrame"] if self._frame is not None else []) + ["Built-in", "Upload", "URL"]
        self.source_kind = W.ToggleButtons(options=kinds, value=kinds[0], description="Data")
        self.builtin = W.Dropdown(
            options=BUILTIN_CHOICES, value="builtin:iris", description="Built-in", layout=W.Layout(width="560px")
        )
        self.upload = W.FileUpload(accept=".csv,.tsv,.txt,.zip", multiple=False, description="CSV or zip")
        self.url = W.Text(placeholder="https://…/data.csv", description="URL", layout=W.Layout(width="560px"))
        self.url_load = W.Button(description="Load")
        self.target = W.Dropdown(description="Target", options=[])
        self.features = W.SelectMultiple(description="Features", options=[], rows=6)
        self.task = W.ToggleButtons(
            options=[("auto", None), ("classification", "classification"), ("regression", "regression")],
            description="Task",
        )
        self.data_message = W.HTML()
        self.preview = W.HTML()
        self.columns_view = W.HTML()
        self.train_transforms = TransformList("train")
        self.test_transforms = TransformList("test")
        self.transforms_box = W.HBox([self.train_transforms, self.test_transforms], layout=W.Layout(display="none"))
        data_step = W.VBox(
            [
                self.source_kind,
                self.builtin,
                W.HBox([self.upload]),
                W.HBox([self.url, self.url_load]),
                self.target,
                self.features,
                self.task,
                self.data_message,
                self.preview,
                self.columns_view,
                self.transforms_box,
            ]
        )

        # -- 2. parameters
        fields = TrainingSpec.fields()
        self.loss = W.Dropdown(description="Loss")
        self.optimizer = W.Dropdown(description="Optimizer", options=list(OPTIMIZERS), value="Adam")
        self.lr = W.BoundedFloatText(description="Learning rate", value=fields["lr"][1], min=1e-7, max=10.0, step=0.001)
        self.epochs = W.BoundedIntText(description="Epochs", value=fields["epochs"][1], min=1, max=100_000)
        self.batch_size = W.BoundedIntText(
            description="Batch size", value=fields["batch_size"][1], min=1, max=1_000_000
        )
        self.test_size = W.FloatSlider(description="Test split", value=0.2, min=0.05, max=0.5, step=0.05)
        self.shuffle = W.Checkbox(description="Shuffle", value=True)
        self.seed = W.BoundedIntText(description="Seed", value=0, min=0, max=2**32 - 1)
        self.device = W.Dropdown(
            description="Device", options=["auto", "cpu"] + (["cuda"] if self._cuda() else []), value="auto"
        )
        self.device_note = W.HTML()
        # every training setting, in the order shown; each change refreshes the review
        self._settings = (
            self.loss,
            self.optimizer,
            self.lr,
            self.epochs,
            self.batch_size,
            self.test_size,
            self.shuffle,
            self.seed,
            self.device,
        )
        for w in self._settings:
            if w is not self.shuffle:
                w.style.description_width = "110px"
        params_step = W.VBox([*self._settings[:-1], W.HBox([self.device, self.device_note])])

        # -- 3. model
        self.builder = LayerBuilder(input_shape=[4])
        model_step = W.VBox(
            [W.HTML("Drag layers from the palette into the model, or focus the palette and press Enter."), self.builder]
        )

        # -- 4. review
        self.review = W.HTML()
        self.train_button = W.Button(description="Train", button_style="success", icon="play")
        self.train_button.add_class("dlp-train")
        self.train_button.on_click(lambda _: self.train())
        self.output = W.VBox()
        review_step = W.VBox([self.review])

        self.steps = W.Tab(children=[data_step, params_step, model_step, review_step])
        for i, title in enumerate(["1 · Data", "2 · Parameters", "3 · Model", "4 · Review"]):
            self.steps.set_title(i, title)
        super().__init__([self.steps, W.HBox([self.train_button]), self.output])
        self.add_class("dlp-playground")

        self.source_kind.observe(self._on_source, "value")
        self.builtin.observe(self._on_source, "value")
        self.upload.observe(self._on_upload, "value")
        self.url_load.on_click(lambda _: self._on_source())
        self.target.observe(self._on_target, "value")
        self.features.observe(lambda _: self._refresh_review(), "value")
        self.task.observe(lambda _: self._on_features(), "value")  # keeps the features picked
        self.steps.observe(lambda _: self._refresh_review(), "selected_index")
        for w in self._settings:
            w.observe(lambda _: self._refresh_review(), "value")
        self.builder.observe(lambda _: self._refresh_review(), "report")
        self.train_transforms.observe(self._on_transforms, "items")
        self.test_transforms.observe(self._on_transforms, "items")
        self._on_source()
        if target is not None and target in self.target.options:
            self.target.value = target
        if spec is not None:
            self.spec = spec

    @staticmethod
    def _cuda() -> bool:
        try:
            import torch

            return torch.cuda.is_available()
        except ImportError:
            return False

    # -- the data step

    def _source(self) -> Any:
        kind = self.source_kind.value
        if kind == "DataFrame":
            return self._frame
        if kind == "Upload":
            return self._upload
        if kind == "URL":
            return self.url.value.strip() or None
        return self.builtin.value

    def _source_string(self) -> str | None:
        kind = self.source_kind.value
        if kind == "Built-in":
            return self.builtin.value
        if kind == "URL":
            return self.url.value.strip() or None
        return None

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if files:
            item = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
            self._upload = bytes(item["content"])
            self._upload_name = item.get("name", "upload")
            self.source_kind.value = "Upload"
            self._on_source()

    def _on_source(self, *_: Any) -> None:
        self.builtin.layout.display = None if self.source_kind.value == "Built-in" else "none"
        source = self._source()
        if source is None:
            self.data_message.value = "<i>Choose the data.</i>"
            return
        try:
            summary = summarize(source)
        except Exception as exc:  # noqa: BLE001 - whatever the source, the widget must show it, not raise
            self._show_data_error(exc)
            return
        self._summary = summary
        if summary["kind"] == "tabular":
            self.transforms_box.layout.display = "none"
            columns = [c["name"] for c in summary["columns"]]
            default_target = summary.get("target") or summary.get("suggested_target") or columns[-1]
            self.target.unobserve(self._on_target, "value")
            self.target.options = columns
            self.target.value = default_target
            self.target.observe(self._on_target, "value")
            self.target.disabled = False
            self._on_target()
        else:
            self.target.options, self.features.options = [], []
            self.target.disabled = True
            self.preview.value = "".join(
                f"<figure style='display:inline-block;margin:4px'><img src='{e['png']}' width=48><figcaption>{html.escape(e['label'])}</figcaption></figure>"
                for e in summary["examples"]
            )
            self.columns_view.value = (
                f"{summary['rows']:,} images · classes {', '.join(map(html.escape, summary['classes']))} · "
                f"image {summary['image_shape']} → model input {summary['input_shape']}"
            )
            self.transforms_box.layout.display = None
            for box in (self.train_transforms, self.test_transforms):
                box.set_image_shape(summary["image_shape"])
            self._data_ready(summary)

    def transforms(self) -> dict[str, list[dict[str, Any]]] | None:
        """The validated train and test transform lists (None for tables)."""
        if self.transforms_box.layout.display == "none":
            return None
        return {"train": self.train_transforms.value, "test": self.test_transforms.value}

    def _on_transforms(self, *_: Any) -> None:
        image_data = bool(self._summary) and self._summary.get("kind") == "image"
        if self.train_transforms.error or self.test_transforms.error or not image_data:
            self._refresh_review()
            return
        from ..spec.transforms import transformed_shape

        shape = transformed_shape(self.test_transforms.value, tuple(self._summary["image_shape"]), "test")
        self._summary["input_shape"] = list(shape)
        if _shape(self.builder.input_shape) != list(shape):
            self.builder.input_shape = list(shape)  # the model keeps its layers; shapes update in place
        self._refresh_review()

    def _on_target(self, *_: Any) -> None:
        source = self._source()
        target = self.target.value
        if source is None or target is None or not self._summary or "columns" not in self._summary:
            return
        others = [c for c in self.target.options if c != target]
        self.features.unobserve_all("value")
        usable = [
            c["name"]
            for c in self._summary["columns"]
            if c["name"] != target and c["kind"] in ("numeric", "categorical", "boolean")
        ]
        self.features.options = others
        self.features.value = tuple(c for c in others if c in usable)
        self.features.observe(lambda _: self._on_features(), "value")
        self._on_features()

    def _on_features(self) -> None:
        if self._source() is None or self.target.value is None or self.target.disabled:
            return
        try:
            summary = summarize(
                self._source(),
                target=self.target.value,
                features=list(self.features.value) or None,
                task=self.task.value,
            )
        except Exception as exc:  # noqa: BLE001 - shown in the widget, never a traceback in the cell
            self._show_data_error(exc)
            return
        self._summary = summary
        self.preview.value = _table(summary["examples"])
        rows = "".join(
            f"<tr><td>{html.escape(c['name'])}</td><td>{c['kind']}</td><td>{c['missing']}</td><td>{c['distinct']}</td>"
            f"<td>{c['role']}</td><td>{html.escape(c.get('problem', ''))}</td></tr>"
            for c in summary["columns"]
        )
        balance = summary.get("class_balance")
        balance_text = (
            ("<br>Classes: " + ", ".join(f"{html.escape(k)} ({v})" for k, v in balance.items())) if balance else ""
        )
        self.columns_view.value = (
            f"<b>{summary['rows']:,} rows</b>, task <b>{summary['task']}</b>{balance_text}"
            "<table class='dlp-columns'><tr><th>column</th><th>kind</th><th>missing</th><th>distinct</th>"
            f"<th>role</th><th></th></tr>{rows}</table>"
        )
        self._data_ready(summary)

    def _show_data_error(self, exc: Exception) -> None:
        """Say what is wrong and forget the previous data: nothing stale stays on screen
        (its columns, preview, a Train button that would train on it)."""
        message = exc.message if isinstance(exc, DataError) else f"could not read the data: {type(exc).__name__}: {exc}"
        self.data_message.value = (
            f"<div class='dlp-data-error' style='color:var(--jp-error-color1,#d32f2f)'>✖ {html.escape(message)}</div>"
        )
        self._summary = None
        self.target.unobserve(self._on_target, "value")
        self.features.unobserve_all("value")
        self.target.options, self.features.options = [], []
        self.target.observe(self._on_target, "value")
        self.preview.value = self.columns_view.value = ""
        self.transforms_box.layout.display = "none"
        self._update_train_button()

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.done

    def _update_train_button(self) -> None:
        self.train_button.disabled = self._summary is None or not self._fit_ok or self.running

    def _data_ready(self, summary: dict[str, Any]) -> None:
        warnings = "".join(f"<div>⚠ {html.escape(w)}</div>" for w in summary.get("warnings", []))
        self.data_message.value = warnings
        task = summary.get("task", "classification")
        losses = [name for name, t in LOSSES.items() if t == task]
        self.loss.options = losses
        self.loss.value = losses[0]
        n_outputs = len(summary["classes"]) if task == "classification" and summary.get("classes") else 1
        shape = summary["input_shape"]
        current = self.builder.report
        if _shape(self.builder.input_shape) != list(shape) or current.get("output_shape") != [n_outputs]:
            self.builder.spec = default_model(shape, n_outputs)  # a model that fits the data, ready to edit
        self._refresh_review()
        self._update_train_button()

    # -- the spec

    @property
    def spec(self) -> Spec:
        """The spec the Playground describes (raises SpecError while the model is invalid)."""
        data: dict[str, Any] = {"source": self._source_string(), "task": self.task.value}
        transforms = self.transforms()
        if transforms is not None:
            data["transforms"] = transforms
        if self._summary and self._summary.get("kind") == "tabular":
            data["target"] = self.target.value
            data["features"] = list(self.features.value) or None
        return Spec.from_dict(
            {
                "model": self.builder.spec.to_dict(),
                "data": data,
                "training": {
                    "loss": self.loss.value,
                    "optimizer": self.optimizer.value,
                    "lr": self.lr.value,
                    "epochs": self.epochs.value,
                    "batch_size": self.batch_size.value,
                    "test_size": self.test_size.value,
                    "shuffle": self.shuffle.value,
                    "seed": self.seed.value,
                    "device": self.device.value,
                },
            }
        )

    @spec.setter
    def spec(self, value: Spec | dict[str, Any]) -> None:
        spec = value if isinstance(value, Spec) else Spec.from_dict(value)
        source = spec.data.source
        if source == "builtin:digits" and len(spec.model.input_shape) == 3:
            source = "builtin:digits_images"  # runs saved before the image choice had its own name
        if source and source in dict((v, k) for k, v in BUILTIN_CHOICES):
            self.source_kind.value = "Built-in"
            self.builtin.value = source
        elif source:
            self.source_kind.value = "URL"
            self.url.value = source
            self._on_source()
        d = spec.data
        if d.task in (None, "classification", "regression"):
            self.task.value = d.task
        if d.target and d.target in self.target.options:
            self.target.value = d.target
        if d.features:
            self.features.value = tuple(f for f in d.features if f in self.features.options)
        if d.transforms:
            self.train_transforms.items = list(d.transforms.get("train", []))
            self.test_transforms.items = list(d.transforms.get("test", []))
        t = spec.training
        if t.loss in self.loss.options:
            self.loss.value = t.loss
        if t.device in self.device.options:
            self.device.value = t.device
        self.optimizer.value, self.lr.value, self.epochs.value = t.optimizer, t.lr, t.epochs
        self.batch_size.value, self.test_size.value, self.shuffle.value, self.seed.value = (
            t.batch_size,
            t.test_size,
            t.shuffle,
            t.seed,
        )
        self.builder.spec = spec.model

    # -- review and train

    def _refresh_review(self) -> None:
        try:
            spec = self.spec
        except SpecError as exc:
            self.review.value = f"<div style='color:var(--jp-error-color1,#d32f2f)'>✖ {html.escape(exc.message)}</div>"
            return
        problems = self._fit_problems(spec)
        t = spec.training
        report = self.builder.report
        items = [
            ("Data", html.escape(str(spec.data.source or self._upload_name or "DataFrame"))),
            ("Target", html.escape(str(spec.data.target))),
            ("Task", html.escape(str(self._summary.get("task") if self._summary else ""))),
            (
                "Model",
                f"{len(spec.model.layers)} layers, {report.get('total_params', 0):,} trainable parameters, output {report.get('output_shape')}",
            ),
            (
                "Training",
                f"{t.loss}, {t.optimizer} lr {t.lr:g}, {t.epochs} epochs, batch {t.batch_size}, test split {t.test_size:g}, seed {t.seed}",
            ),
            ("Device", html.escape(self._device_name(t.device))),
        ]
        rows = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{k}</th><td>{v}</td></tr>" for k, v in items)
        self.review.value = f"<table class='dlp-review'>{rows}</table>" + problems

    def _fit_problems(self, spec: Spec) -> str:
        from ..engine.objective import check_fit
        from ..spec import infer

        if not self._summary:
            return ""
        task = self._summary.get("task", "classification")
        classes = self._summary.get("classes")
        try:
            warnings = check_fit(
                spec, infer(spec.model), task, len(classes) if classes else None, self._summary["input_shape"]
            )
        except SpecError as exc:
            self._fit_ok = False
            self._update_train_button()
            return f"<div class='dlp-review-error' style='color:var(--jp-error-color1,#d32f2f)'>✖ {html.escape(exc.message)}</div>"
        self._fit_ok = True
        self._update_train_button()
        return "".join(f"<div class='dlp-review-warning'>⚠ {html.escape(w)}</div>" for w in warnings)

    def _device_name(self, requested: str) -> str:
        try:
            from ..engine.device import describe, pick_device

            return describe(pick_device(requested))
        except SpecError as exc:
            return exc.message

    def train(self) -> Any:
        """Start training in the background and show its dashboard below."""
        from ..engine import runner
        from .dashboard import TrainingDashboard

        if self.running:
            self.review.value = (
                "<div class='dlp-review-error'>✖ a run is still going: stop it (or let it finish) first</div>"
            )
            return None
        if self._summary is None:
            self.steps.selected_index = 0
            return None
        try:
            spec = self.spec
        except SpecError as exc:
            self.review.value = f"<div style='color:var(--jp-error-color1,#d32f2f)'>✖ {html.escape(exc.message)}</div>"
            self.steps.selected_index = 3
            return None
        data = self._source() if self.source_kind.value in ("DataFrame", "Upload") else None
        board = TrainingDashboard()
        self.output.children = [board]
        try:
            run = runner.start(spec, data, subscribe=board.on_event)
        except (SpecError, DataError) as exc:
            board.message.value = (
                f"<div style='color:var(--jp-error-color1,#d32f2f)'>✖ {html.escape(exc.message)}</div>"
            )
            return None
        board.attach_header(run)
        self.run, self.dashboard = run, board
        run.subscribe(self._on_run_event)
        self._update_train_button()  # after subscribing: a run that already ended is seen here
        return run

    def _on_run_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "finished":
            self._update_train_button()


def _shape(value: Any) -> list[Any] | None:
    """The builder's input shape as a list, or None while the browser has sent something else."""
    return list(value) if isinstance(value, (list, tuple)) else None
