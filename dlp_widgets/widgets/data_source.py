"""Where the Playground's data comes from: a built-in set, the DataFrame passed in, an
uploaded file or a URL. ``SourcePicker`` holds the choice and its controls; reading and
summarising the data is the data step's."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import pandas as pd

from ..data import BUILTINS
from ..data.errors import DataError
from ..data.images import TORCHVISION_SETS
from ..data.toy import TOY_SETS, parse_toy
from .toy_controls import ToyControls

BUILTIN_CHOICES = (
    [(f"{name} — {b.description}", f"builtin:{name}") for name, b in BUILTINS.items()]
    + [("digits as 8×8 images", "builtin:digits_images")]
    + [(f"{name} (images, downloaded once)", f"builtin:{name}") for name in TORCHVISION_SETS]
    + [(f"toy: {name} — {t.description} (x1, x2)", f"toy:{name}") for name, t in TOY_SETS.items()]
)
BUILTIN_SOURCES = {value for _, value in BUILTIN_CHOICES}


def is_toy_source(source: Any) -> bool:
    """A valid toy source, settings and all, which the toy set's own controls show; an
    invalid one goes to the URL box, where its error is shown."""
    if not isinstance(source, str) or not source.startswith("toy:"):
        return False
    try:
        parse_toy(source)
    except DataError:
        return False
    return True


def own_target_of(source: Any) -> str | None:
    """The target a built-in or toy set names itself, or None."""
    if isinstance(source, str) and source.startswith("builtin:"):
        builtin = BUILTINS.get(source[len("builtin:") :])
        return builtin.target if builtin is not None else None
    return parse_toy(source).toy.target if is_toy_source(source) else None


def _wide() -> W.Layout:
    # one Layout per control: they are shown and hidden through it
    return W.Layout(width="min(560px, 100%)")


class SourcePicker(W.VBox):
    """The source controls. ``on_pick()`` is called whenever another source is picked (a
    kind, a built-in set, a file, a URL's Load); the owner then reads ``source()``."""

    def __init__(self, frame: pd.DataFrame | None, *, on_pick: Callable[[], None]) -> None:
        self.frame = frame
        self.upload_bytes: bytes | None = None
        self.upload_name = ""
        self.absent = ""  # a note that the data a spec names is not here
        self._on_pick = on_pick

        kinds = (["DataFrame"] if frame is not None else []) + ["Built-in", "Upload", "URL"]
        self.source_kind = W.ToggleButtons(options=kinds, value=kinds[0], description="Data")
        self.source_kind.add_class("dlp-source-kind")
        self.builtin = W.Dropdown(options=BUILTIN_CHOICES, value="builtin:iris", description="Built-in", layout=_wide())
        self.builtin.add_class("dlp-builtin")
        self.toy = ToyControls(on_change=self._on_pick)
        self.upload = W.FileUpload(accept=".csv,.tsv,.txt,.zip", multiple=False, description="CSV or zip")
        self.upload.add_class("dlp-upload")
        self.upload_label = W.HTML()
        self.url = W.Text(placeholder="https://…/data.csv", description="URL", layout=_wide())
        self.url_load = W.Button(description="Load")
        self.frame_label = W.HTML()
        self.upload_row = W.HBox([self.upload, self.upload_label], layout=W.Layout(align_items="center"))
        self.url_row = W.HBox([self.url, self.url_load])
        super().__init__([self.source_kind, self.builtin, self.toy, self.frame_label, self.upload_row, self.url_row])

        self.source_kind.observe(self._picked, "value")
        self.builtin.observe(self._picked, "value")
        self.upload.observe(self._on_upload, "value")
        self.url_load.on_click(self._picked)

    def _picked(self, *_: Any) -> None:
        self._on_pick()

    @property
    def kind(self) -> str:
        return self.source_kind.value

    def source(self) -> Any:
        """What the engine is given: a DataFrame, uploaded bytes, or a source string."""
        if self.kind == "DataFrame":
            return self.frame
        if self.kind == "Upload":
            return self.upload_bytes
        if self.kind == "URL":
            return self.url.value.strip() or None
        if self.is_toy:
            return self.toy.source(self.builtin.value)
        return self.builtin.value

    @property
    def is_toy(self) -> bool:
        return self.kind == "Built-in" and str(self.builtin.value).startswith("toy:")

    def source_string(self) -> str | None:
        """The spec's ``data.source``: None for data passed from Python or uploaded."""
        return self.source() if self.kind in ("Built-in", "URL") else None

    @property
    def passed_data(self) -> Any:
        """The data to hand the engine beside the spec (a DataFrame or an upload), or None."""
        return self.source() if self.kind in ("DataFrame", "Upload") else None

    def show_controls(self) -> None:
        """Only the chosen kind's controls are shown."""
        owners = (
            (self.builtin, "Built-in"),
            (self.upload_row, "Upload"),
            (self.url_row, "URL"),
            (self.frame_label, "DataFrame"),
        )
        for control, kind in owners:
            control.layout.display = None if self.kind == kind else "none"
        self.toy.layout.display = None if self.is_toy else "none"
        if self.kind == "DataFrame" and self.frame is not None:
            self.frame_label.value = f"your DataFrame: {len(self.frame):,} rows × {self.frame.shape[1]:,} columns"

    # -- picking from Python (a spec, a reopened run)

    def _switch_to(self, kind: str) -> None:
        if self.kind == kind:
            self._on_pick()
        else:
            self.source_kind.value = kind  # picked by its observer

    def set_upload(self, name: str, content: bytes) -> None:
        """Data from a file, as if uploaded (reopening a run keeps its upload)."""
        self.upload_bytes, self.upload_name = bytes(content), name
        self.upload_label.value = f"{html.escape(name)} ({len(content):,} bytes)"
        self.absent = ""
        self._switch_to("Upload")

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        if "DataFrame" not in self.source_kind.options:
            self.source_kind.options = ["DataFrame", *self.source_kind.options]
        self.absent = ""
        self._switch_to("DataFrame")

    def set_builtin(self, source: str) -> None:
        """A built-in set by its source string; a toy set's settings (``toy:spiral?noise=0.1``)
        go to its controls. Raises DataError for a toy source that is not valid."""
        if source.startswith("toy:"):
            request = self.toy.show(source)
            source = f"toy:{request.name}"
        self.builtin.unobserve(self._picked, "value")  # picked once, below, whatever the kind was
        self.builtin.value = source
        self.builtin.observe(self._picked, "value")
        self._switch_to("Built-in")

    def set_url(self, url: str) -> None:
        self.url.value = url
        self._switch_to("URL")

    def show_absent(self, message: str) -> None:
        """The data a spec or run names is not here (a DataFrame that is gone): keep no other
        data in its place; ``absent`` says why."""
        self.absent = message
        self.upload_bytes, self.upload_name = None, ""
        self.upload_label.value = ""
        self._switch_to("Upload")

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if files:
            item = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
            self.set_upload(str(item.get("name", "upload")), bytes(item["content"]))
