"""The Playground's data step: choose a source (built-in, your DataFrame, an upload, a URL),
see its columns, confirm the guessed target, pick the features, and for images edit the
transforms. Columns a model cannot use as they are (ids, free text, dates, too many
categories, mostly empty) are left out of the features by default, each with its reason,
so a real table reaches a trained run without a detour through pandas."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import pandas as pd

from ..data import DataError, load_table, summarize
from ..data.sources import source_kind
from ..data.summary import summarize_table
from ..spec.data_section import DEFAULT_MAX_CATEGORIES, MAX_CATEGORIES, MIN_CATEGORIES, DataSpec
from .data_html import (
    columns_table,
    image_preview_html,
    image_summary_html,
    overview_html,
    preview_table,
    target_note_html,
)
from .data_source import BUILTIN_CHOICES, BUILTIN_SOURCES, SourcePicker, is_toy_source, own_target_of
from .html_bits import error_html, hint_html, warnings_html
from .transforms import TransformList

__all__ = ["BUILTIN_CHOICES", "DataStep"]


class DataStep(W.VBox):
    """The data step. ``on_change()`` is called whenever the data (or its summary) changes;
    ``summary`` is None while there is no usable data. Nothing is read until ``reload()``."""

    def __init__(self, frame: pd.DataFrame | None = None, *, on_change: Callable[[], None] | None = None) -> None:
        self.summary: dict[str, Any] | None = None
        self.problem = "choose the data"  # why there is no summary, for the Train button
        self._on_change = on_change or (lambda: None)
        self._loaded: tuple[Any, pd.DataFrame, str] | None = None  # (key, table, label): one table kept

        self.sources = picker = SourcePicker(frame, on_pick=self.reload)
        # the source's controls, where scripts and tests have always found them
        self.source_kind, self.builtin, self.upload = picker.source_kind, picker.builtin, picker.upload
        self.url, self.url_load = picker.url, picker.url_load
        self.upload_row, self.url_row = picker.upload_row, picker.url_row
        self.target = W.Dropdown(description="Target", options=[])
        self.target.add_class("dlp-target")
        self.target_note = W.HTML()
        self.features = W.SelectMultiple(description="Features", options=[], rows=8)
        self.features.add_class("dlp-features")
        self.max_categories = W.BoundedIntText(
            description="Category cap",
            value=DEFAULT_MAX_CATEGORIES,
            min=MIN_CATEGORIES,
            max=MAX_CATEGORIES,
            tooltip="a text column with at most this many values is one-hot encoded (one input per value)",
            style={"description_width": "initial"},
            layout=W.Layout(width="200px"),
        )
        self.max_categories.add_class("dlp-max-categories")
        self.scale = W.Checkbox(
            value=True,
            description="Standardise numeric columns",
            tooltip="subtract the training rows' mean and divide by their standard deviation, column by column",
            indent=False,
        )
        self.scale.add_class("dlp-scale")
        self.task = W.ToggleButtons(
            options=[("auto", None), ("classification", "classification"), ("regression", "regression")],
            description="Task",
        )
        self.message = W.HTML()
        self.preview = W.HTML()
        self.columns_view = W.HTML()
        self.train_transforms = TransformList("train")
        self.test_transforms = TransformList("test")
        self.transforms_box = W.HBox([self.train_transforms, self.test_transforms], layout=W.Layout(display="none"))
        self.table_controls = W.VBox(
            [
                W.HBox([self.target, self.target_note], layout=W.Layout(align_items="center", flex_flow="row wrap")),
                self.features,
                self.max_categories,
                self.scale,
                self.task,
            ]
        )
        super().__init__(
            [
                self.sources,
                self.table_controls,
                self.message,
                self.preview,
                self.columns_view,
                self.transforms_box,
            ]
        )
        self.target.observe(self._on_target, "value")
        self.features.observe(self._on_features, "value")
        self.max_categories.observe(self._on_cap, "value")
        self.task.observe(self._on_features, "value")  # keeps the features picked
        self.scale.observe(lambda _: self._on_change(), "value")
        # the owner calls reload() once it is ready for on_change

    # -- where the data comes from: the picker's

    @property
    def kind(self) -> str:
        return self.sources.kind

    def source(self) -> Any:
        """What the engine is given: a DataFrame, uploaded bytes, or a source string."""
        return self.sources.source()

    def source_string(self) -> str | None:
        """The spec's ``data.source``: None for data passed from Python or uploaded."""
        return self.sources.source_string()

    @property
    def passed_data(self) -> Any:
        """The data to hand the engine beside the spec (a DataFrame or an upload), or None."""
        return self.sources.passed_data

    @property
    def upload_name(self) -> str:
        return self.sources.upload_name

    @property
    def is_tabular(self) -> bool:
        return bool(self.summary) and self.summary.get("kind") == "tabular"

    def set_upload(self, name: str, content: bytes) -> None:
        """Data from a file, as if uploaded (reopening a run keeps its upload)."""
        self.sources.set_upload(name, content)

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.sources.set_frame(frame)

    def show_absent(self, message: str) -> None:
        """The data a spec or run names is not here (a DataFrame that is gone): say so, and
        keep no other data in its place."""
        self.sources.show_absent(message)

    # -- reading it

    def _table(self, source: Any) -> tuple[pd.DataFrame, str]:
        """The table ``source`` names, read once and kept while the source stays the same."""
        if isinstance(source, pd.DataFrame):
            key: Any = ("frame", id(source))
        elif isinstance(source, bytes):
            key = ("upload", hashlib.sha256(source).hexdigest())
        else:
            key = ("source", source)
        if self._loaded is None or self._loaded[0] != key:
            name = self.upload_name if isinstance(source, bytes) else None
            frame, label = load_table(source, name=name or None)
            self._loaded = (key, frame, label)
        return self._loaded[1], self._loaded[2]

    def _summarize(self, source: Any) -> dict[str, Any]:
        if source_kind(source) == "image" or (isinstance(source, str) and source == "builtin:digits_images"):
            return summarize(source)
        frame, label = self._table(source)
        summary = summarize_table(frame, label, max_categories=self.max_categories.value)
        own_target = own_target_of(source)
        if own_target is not None:  # a built-in or toy set's own target beats any guess
            summary["suggested_target"] = own_target
            summary["suggested_target_why"] = "the data set's own target"
            summary["default_features"] = [
                c["name"] for c in summary["columns"] if c["name"] != own_target and c["usable"]
            ]
        return summary

    def reload(self, *_: Any) -> None:
        """Read the chosen source again and show it; the guessed target and the usable
        columns are chosen as defaults."""
        self.sources.show_controls()
        source = self.source()
        if source is None:
            absent = self.sources.absent
            self._forget(absent or "choose the data", error=bool(absent))
            return
        try:
            summary = self._summarize(source)
        except Exception as exc:  # noqa: BLE001 - whatever the source, the widget shows it, not raise
            self._forget(_message(exc), error=True)
            return
        if summary["kind"] == "image":
            self._show_images(summary)
        else:
            self._show_table(summary)

    def _show_table(self, summary: dict[str, Any]) -> None:
        self.table_controls.layout.display = None
        self.transforms_box.layout.display = "none"
        columns = [c["name"] for c in summary["columns"]]
        guess = summary.get("suggested_target") or columns[-1]
        self._quietly(self.target, options=columns, value=guess)
        self.target.disabled = False
        self.target_note.value = target_note_html(summary.get("suggested_target_why", ""))
        self._default_features(summary)
        self._on_features()

    def _default_features(self, summary: dict[str, Any]) -> None:
        target = self.target.value
        others = [c["name"] for c in summary["columns"] if c["name"] != target]
        usable = {c["name"] for c in summary["columns"] if c.get("usable", True)}
        self._quietly(self.features, options=others, value=tuple(c for c in others if c in usable))
        self.features.rows = max(4, min(10, len(others)))

    def _show_images(self, summary: dict[str, Any]) -> None:
        self._quietly(self.target, options=[], value=None)
        self._quietly(self.features, options=[], value=())
        self.table_controls.layout.display = "none"
        self.preview.value = image_preview_html(summary)
        self.columns_view.value = image_summary_html(summary)
        self.transforms_box.layout.display = None
        for box in (self.train_transforms, self.test_transforms):
            box.set_image_shape(summary["image_shape"])
        self._ready(summary)

    def _on_target(self, *_: Any) -> None:
        if self._loaded is None or self.target.value is None:
            return
        self.target_note.value = ""
        frame, label = self._loaded[1], self._loaded[2]
        self._default_features(summarize_table(frame, label, max_categories=self.max_categories.value))
        self._on_features()

    def _on_cap(self, change: dict[str, Any]) -> None:
        """Raising the cap brings in the columns it held back; lowering it leaves out those
        it now refuses."""
        if self._loaded is None or self.target.value is None:
            return
        frame, label = self._loaded[1], self._loaded[2]
        old = {c["name"]: c for c in summarize_table(frame, label, max_categories=change["old"])["columns"]}
        new = {c["name"]: c for c in summarize_table(frame, label, max_categories=change["new"])["columns"]}
        chosen = list(self.features.value)
        for name in self.features.options:
            was, now = old[name], new[name]
            if now["usable"] and was["reason"] == "categories" and name not in chosen:
                chosen.append(name)
            elif not now["usable"] and now["reason"] == "categories" and was["usable"] and name in chosen:
                chosen.remove(name)
        self._quietly(self.features, value=tuple(c for c in self.features.options if c in chosen))
        self._on_features()

    def _on_features(self, *_: Any) -> None:
        if self._loaded is None or self.target.value is None or self.target.disabled:
            return
        frame, label = self._loaded[1], self._loaded[2]
        try:
            summary = summarize_table(
                frame,
                label,
                target=self.target.value,
                features=list(self.features.value),
                task=self.task.value,
                max_categories=self.max_categories.value,
            )
        except Exception as exc:  # noqa: BLE001 - shown in the widget, never a traceback in the cell
            self._show_problem(_message(exc), frame, label)
            return
        self.preview.value = preview_table(summary["examples"])
        self.columns_view.value = overview_html(summary) + columns_table(summary)
        self._ready(summary)

    def _show_problem(self, message: str, frame: pd.DataFrame, label: str) -> None:
        """The chosen target and features cannot be prepared: say why, keep the columns on
        screen (so the choice can be fixed here), and hold the data back from training."""
        self.summary = None
        self.problem = message
        self.message.value = error_html(message, "dlp-data-error")
        try:
            overview = summarize_table(
                frame, label, features=list(self.features.value), max_categories=self.max_categories.value
            )
            for c in overview["columns"]:
                if c["name"] == self.target.value:
                    c["role"] = "target"
            self.columns_view.value = columns_table(overview)
        except Exception:  # noqa: BLE001 - the message above is what matters
            self.columns_view.value = ""
        self._on_change()

    def _forget(self, message: str, *, error: bool) -> None:
        """Say what is wrong (or missing) and forget the previous data: nothing stale stays
        on screen (its columns, preview, a Train button that would train on it)."""
        self.summary = None
        self.problem = message
        self.message.value = error_html(message, "dlp-data-error") if error else hint_html(message, "dlp-data-hint")
        self._loaded = None
        self._quietly(self.target, options=[], value=None)
        self._quietly(self.features, options=[], value=())
        self.target_note.value = ""
        self.table_controls.layout.display = "none"
        self.preview.value = self.columns_view.value = ""
        self.transforms_box.layout.display = "none"
        self._on_change()

    def _ready(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        self.problem = ""
        self.message.value = warnings_html(summary.get("warnings", []), "dlp-data-warning")
        self._on_change()

    def _quietly(self, widget: W.Widget, **values: Any) -> None:
        """Set a control without running its observers (which would summarise half-set state)."""
        handlers = {self.target: self._on_target, self.features: self._on_features}
        handler = handlers.get(widget)
        if handler is not None:
            widget.unobserve(handler, "value")
        try:
            with widget.hold_sync():  # options and selection in one message, or the browser
                for key, value in values.items():  # selects an option it does not have yet
                    setattr(widget, key, value)
        finally:
            if handler is not None:
                widget.observe(handler, "value")

    # -- images

    def transforms(self) -> dict[str, list[dict[str, Any]]] | None:
        """The validated train and test transform lists (None for tables)."""
        if self.transforms_box.layout.display == "none":
            return None
        return {"train": self.train_transforms.value, "test": self.test_transforms.value}

    # -- the spec's data section

    def data_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source_string(), "task": self.task.value}
        transforms = self.transforms()
        if transforms is not None:
            data["transforms"] = transforms
        if self.is_tabular:
            data["target"] = self.target.value
            chosen = list(self.features.value)
            # every column but the target is what null means: the spec stays as written
            data["features"] = None if not chosen or set(chosen) == set(self.features.options) else chosen
            if self.max_categories.value != DEFAULT_MAX_CATEGORIES:
                data["max_categories"] = self.max_categories.value
            if not self.scale.value:
                data["scale"] = False
        return data

    def apply(self, data: DataSpec, image_model: bool) -> None:
        """Show the data a spec names: its source, target, features and transforms. A spec
        whose data came from Python (no source) keeps the data shown, if it is such data."""
        source = data.source
        if source == "builtin:digits" and image_model:
            source = "builtin:digits_images"  # runs saved before the image choice had its own name
        self.max_categories.unobserve(self._on_cap, "value")
        self.max_categories.value = data.max_categories
        self.max_categories.observe(self._on_cap, "value")
        self.scale.value = data.scale
        if source in BUILTIN_SOURCES or is_toy_source(source):
            self.sources.set_builtin(source)
        elif source:
            self.sources.set_url(source)
        elif self.sources.absent:
            pass  # the owner has already said which data is missing, better than we can here
        elif self.kind not in ("DataFrame", "Upload") or self.source() is None:
            self.show_absent(
                "this spec's data came from Python (a DataFrame or an uploaded file) and is not here: "
                "upload the file, or pass the table, dlp.Playground(df, spec=...)"
            )
        else:
            self.reload()
        if data.task in (None, "classification", "regression"):
            self.task.value = data.task
        if data.target and data.target in self.target.options:
            self.target.value = data.target
        if data.features:
            self.features.value = tuple(f for f in data.features if f in self.features.options)
        if data.transforms:
            self.train_transforms.items = list(data.transforms.get("train", []))
            self.test_transforms.items = list(data.transforms.get("test", []))


def _message(exc: Exception) -> str:
    return exc.message if isinstance(exc, DataError) else f"could not read the data: {type(exc).__name__}: {exc}"
