"""The Playground's data step: choose a source (built-in, your DataFrame, an upload, a URL),
see its columns, confirm the guessed target, pick the features, and for images edit the
transforms. Columns a model cannot use as they are (ids, free text, dates, too many
categories, mostly empty) are left out of the features by default, each with its reason,
so a real table reaches a trained run without a detour through pandas."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import pandas as pd

from ..data import BUILTINS, DataError, load_table, summarize
from ..data.images import TORCHVISION_SETS
from ..data.sources import source_kind
from ..data.summary import summarize_table
from ..spec.data_section import DEFAULT_MAX_CATEGORIES, MAX_CATEGORIES, MIN_CATEGORIES, DataSpec
from .transforms import TransformList

BUILTIN_CHOICES = (
    [(f"{name} — {b.description}", f"builtin:{name}") for name, b in BUILTINS.items()]
    + [("digits as 8×8 images", "builtin:digits_images")]
    + [(f"{name} (images, downloaded once)", f"builtin:{name}") for name in TORCHVISION_SETS]
)
BUILTIN_SOURCES = {value for _, value in BUILTIN_CHOICES}
ERROR_STYLE = "color:var(--jp-error-color1,#d32f2f)"


def _table(frame_records: list[dict[str, Any]], limit: int = 5) -> str:
    if not frame_records:
        return ""
    cols = list(frame_records[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td style='white-space:nowrap'>{'' if r.get(c) is None else html.escape(str(r.get(c)))}</td>"
            for c in cols
        )
        + "</tr>"
        for r in frame_records[:limit]
    )
    return (
        "<div style='overflow-x:auto;max-width:100%'>"
        f"<table class='dlp-preview'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _role(c: dict[str, Any]) -> str:
    if c["role"] != "unused":
        return c["role"]
    return "left out" if not c.get("usable", True) else "not chosen"


def _note(c: dict[str, Any]) -> str:
    if c.get("problem"):
        return f"<span style='{ERROR_STYLE}'>✖ {html.escape(c['problem'])}</span>"
    if c["role"] == "unused" and not c.get("usable", True):
        hint = (
            " (choose it in Features to use it anyway)"
            if c.get("switchable") and c.get("reason") != "categories"
            else ""
        )
        return html.escape(f"{c.get('note', '')}{hint}")
    return ""


def columns_table(summary: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr data-column='{html.escape(c['name'], quote=True)}' data-role='{_role(c)}'>"
        f"<td>{html.escape(c['name'])}</td><td>{c['kind']}</td><td>{c['missing']:,}</td><td>{c['distinct']:,}</td>"
        f"<td>{_role(c)}</td><td>{_note(c)}</td></tr>"
        for c in summary["columns"]
    )
    return (
        "<div style='overflow-x:auto;max-width:100%'><table class='dlp-columns'><tr><th>column</th><th>kind</th>"
        f"<th>missing</th><th>distinct</th><th>role</th><th></th></tr>{rows}</table></div>"
    )


class DataStep(W.VBox):
    """The data step. ``on_change()`` is called whenever the data (or its summary) changes;
    ``summary`` is None while there is no usable data. Nothing is read until ``reload()``."""

    def __init__(self, frame: pd.DataFrame | None = None, *, on_change: Callable[[], None] | None = None) -> None:
        self.frame = frame
        self.upload_bytes: bytes | None = None
        self.upload_name = ""
        self.summary: dict[str, Any] | None = None
        self.problem = "choose the data"  # why there is no summary, for the Train button
        self._on_change = on_change or (lambda: None)
        self._loaded: tuple[Any, pd.DataFrame, str] | None = None  # (key, table, label): one table kept
        self._absent = ""  # a note that the data a spec names is not here

        kinds = (["DataFrame"] if frame is not None else []) + ["Built-in", "Upload", "URL"]
        self.source_kind = W.ToggleButtons(options=kinds, value=kinds[0], description="Data")
        self.source_kind.add_class("dlp-source-kind")
        self.builtin = W.Dropdown(
            options=BUILTIN_CHOICES,
            value="builtin:iris",
            description="Built-in",
            layout=W.Layout(width="min(560px, 100%)"),
        )
        self.builtin.add_class("dlp-builtin")
        self.upload = W.FileUpload(accept=".csv,.tsv,.txt,.zip", multiple=False, description="CSV or zip")
        self.upload.add_class("dlp-upload")
        self.upload_label = W.HTML()
        self.url = W.Text(
            placeholder="https://…/data.csv", description="URL", layout=W.Layout(width="min(560px, 100%)")
        )
        self.url_load = W.Button(description="Load")
        self.frame_label = W.HTML()
        self.upload_row = W.HBox([self.upload, self.upload_label], layout=W.Layout(align_items="center"))
        self.url_row = W.HBox([self.url, self.url_load])
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
                self.task,
            ]
        )
        super().__init__(
            [
                self.source_kind,
                self.builtin,
                self.frame_label,
                self.upload_row,
                self.url_row,
                self.table_controls,
                self.message,
                self.preview,
                self.columns_view,
                self.transforms_box,
            ]
        )
        self.source_kind.observe(self.reload, "value")
        self.builtin.observe(self.reload, "value")
        self.upload.observe(self._on_upload, "value")
        self.url_load.on_click(lambda _: self.reload())
        self.target.observe(self._on_target, "value")
        self.features.observe(self._on_features, "value")
        self.max_categories.observe(self._on_cap, "value")
        self.task.observe(self._on_features, "value")  # keeps the features picked
        # the owner calls reload() once it is ready for on_change

    # -- where the data comes from

    @property
    def kind(self) -> str:
        return self.source_kind.value

    def source(self) -> Any:
        """What the engine is given: a DataFrame, uploaded bytes, or a source string."""
        kind = self.kind
        if kind == "DataFrame":
            return self.frame
        if kind == "Upload":
            return self.upload_bytes
        if kind == "URL":
            return self.url.value.strip() or None
        return self.builtin.value

    def source_string(self) -> str | None:
        """The spec's ``data.source``: None for data passed from Python or uploaded."""
        if self.kind == "Built-in":
            return self.builtin.value
        if self.kind == "URL":
            return self.url.value.strip() or None
        return None

    @property
    def passed_data(self) -> Any:
        """The data to hand the engine beside the spec (a DataFrame or an upload), or None."""
        return self.source() if self.kind in ("DataFrame", "Upload") else None

    @property
    def is_tabular(self) -> bool:
        return bool(self.summary) and self.summary.get("kind") == "tabular"

    def set_upload(self, name: str, content: bytes) -> None:
        """Data from a file, as if uploaded (reopening a run keeps its upload)."""
        self.upload_bytes, self.upload_name = bytes(content), name
        self.upload_label.value = f"{html.escape(name)} ({len(content):,} bytes)"
        self._absent = ""
        if self.kind == "Upload":
            self.reload()
        else:
            self.source_kind.value = "Upload"

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        if "DataFrame" not in self.source_kind.options:
            self.source_kind.options = ["DataFrame", *self.source_kind.options]
        self._absent = ""
        if self.kind == "DataFrame":
            self.reload()
        else:
            self.source_kind.value = "DataFrame"

    def show_absent(self, message: str) -> None:
        """The data a spec or run names is not here (a DataFrame that is gone): say so, and
        keep no other data in its place."""
        self._absent = message
        self.upload_bytes, self.upload_name = None, ""
        self.upload_label.value = ""
        if self.kind == "Upload":
            self.reload()
        else:
            self.source_kind.value = "Upload"

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if files:
            item = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
            self.set_upload(str(item.get("name", "upload")), bytes(item["content"]))

    def _show_controls(self) -> None:
        kind = self.kind
        self.builtin.layout.display = None if kind == "Built-in" else "none"
        self.upload_row.layout.display = None if kind == "Upload" else "none"
        self.url_row.layout.display = None if kind == "URL" else "none"
        self.frame_label.layout.display = None if kind == "DataFrame" else "none"
        if kind == "DataFrame" and self.frame is not None:
            self.frame_label.value = f"your DataFrame: {len(self.frame):,} rows × {self.frame.shape[1]:,} columns"

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

    def reload(self, *_: Any) -> None:
        """Read the chosen source again and show it; the guessed target and the usable
        columns are chosen as defaults."""
        self._show_controls()
        source = self.source()
        if source is None:
            self._forget(self._absent or "choose the data", error=bool(self._absent))
            return
        try:
            if source_kind(source) == "image" or (isinstance(source, str) and source == "builtin:digits_images"):
                summary = summarize(source)
            else:
                frame, label = self._table(source)
                summary = summarize_table(frame, label, max_categories=self.max_categories.value)
                builtin = BUILTINS.get(source[len("builtin:") :]) if isinstance(source, str) else None
                if builtin is not None:
                    summary["suggested_target"] = builtin.target
                    summary["suggested_target_why"] = "the data set's own target"
                    summary["default_features"] = [
                        c["name"] for c in summary["columns"] if c["name"] != builtin.target and c["usable"]
                    ]
        except Exception as exc:  # noqa: BLE001 - whatever the source, the widget shows it, not raise
            self._forget(_message(exc), error=True)
            return
        if summary["kind"] == "image":
            self._show_images(summary)
            return
        self.table_controls.layout.display = None
        self.transforms_box.layout.display = "none"
        columns = [c["name"] for c in summary["columns"]]
        guess = summary.get("suggested_target") or columns[-1]
        self._quietly(self.target, options=columns, value=guess)
        self.target.disabled = False
        self.target_note.value = (
            f"<span class='dlp-target-note'>guessed: {html.escape(summary.get('suggested_target_why', ''))} — "
            "check it, or pick another</span>"
        )
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
        figures = "".join(
            f"<figure style='display:inline-block;margin:4px'><img src='{e['png']}' width=48>"
            f"<figcaption>{html.escape(e['label'])}</figcaption></figure>"
            for e in summary["examples"]
        )
        self.preview.value = f"<div class='dlp-preview dlp-image-preview'>{figures}</div>"
        self.columns_view.value = (
            f"<div class='dlp-image-summary'>{summary['rows']:,} images of {html.escape(str(summary['source']))} · "
            f"classes {', '.join(map(html.escape, summary['classes']))} · "
            f"image {summary['image_shape']} → model input {summary['input_shape']}</div>"
        )
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
        self.preview.value = _table(summary["examples"])
        self.columns_view.value = self._overview(summary) + columns_table(summary)
        self._ready(summary)

    def _overview(self, summary: dict[str, Any]) -> str:
        balance = summary.get("class_balance")
        shown = list(balance.items())[:20] if balance else []
        more = f", … ({len(balance) - 20} more)" if balance and len(balance) > 20 else ""
        classes = (
            (f"<br>{len(balance)} classes: " + ", ".join(f"{html.escape(k)} ({v})" for k, v in shown) + more)
            if balance
            else ""
        )
        left_out = [c["name"] for c in summary["columns"] if c["role"] == "unused" and not c.get("usable", True)]
        note = (
            f"<br><span class='dlp-left-out'>Left out of the features: {html.escape(', '.join(left_out))} "
            "(reasons below)</span>"
            if left_out
            else ""
        )
        return f"<b>{summary['rows']:,} rows</b>, task <b>{summary['task']}</b>{classes}{note}"

    def _show_problem(self, message: str, frame: pd.DataFrame, label: str) -> None:
        """The chosen target and features cannot be prepared: say why, keep the columns on
        screen (so the choice can be fixed here), and hold the data back from training."""
        self.summary = None
        self.problem = message
        self.message.value = f"<div class='dlp-data-error' style='{ERROR_STYLE}'>✖ {html.escape(message)}</div>"
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
        style = ERROR_STYLE if error else "opacity:.8"
        css = "dlp-data-error" if error else "dlp-data-hint"
        self.message.value = f"<div class='{css}' style='{style}'>{'✖ ' if error else ''}{html.escape(message)}</div>"
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
        self.message.value = "".join(
            f"<div class='dlp-data-warning'>⚠ {html.escape(w)}</div>" for w in summary.get("warnings", [])
        )
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
        if source in BUILTIN_SOURCES:
            self.builtin.unobserve(self.reload, "value")
            self.builtin.value = source
            self.builtin.observe(self.reload, "value")
            if self.kind == "Built-in":
                self.reload()
            else:
                self.source_kind.value = "Built-in"
        elif source:
            self.url.value = source
            if self.kind == "URL":
                self.reload()
            else:
                self.source_kind.value = "URL"
        elif self._absent:
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
