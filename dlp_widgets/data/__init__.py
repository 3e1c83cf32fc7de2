"""The data layer: sources to training-ready tensors, and summaries for people."""

from __future__ import annotations

from typing import Any

from ..spec import Spec
from .builtin import BUILTINS
from .errors import DataError
from .images import IMAGE_BUILTINS, ImageData, load_images, summarize_images
from .preprocessor import Preprocessor
from .sources import load_table, source_kind
from .summary import summarize_table
from .tabular import TabularData, prepare_tabular

__all__ = [
    "BUILTINS",
    "IMAGE_BUILTINS",
    "DataError",
    "ImageData",
    "Preprocessor",
    "TabularData",
    "load_images",
    "load_table",
    "prepare",
    "prepare_tabular",
    "summarize",
]


def default_target(source: Any) -> str | None:
    """The target a built-in or toy data set names, for a spec that names none."""
    if isinstance(source, str) and source.startswith("builtin:") and source[len("builtin:") :] in BUILTINS:
        return BUILTINS[source[len("builtin:") :]].target
    if isinstance(source, str) and source.startswith("toy:"):
        from .toy import parse_toy

        return parse_toy(source).toy.target
    return None


def wants_images(spec: Spec, source: Any) -> bool:
    """Images for image sources, and for digits when the model takes [C, H, W] input."""
    if source_kind(source) == "image":
        return True
    return isinstance(source, str) and source == "builtin:digits" and len(spec.model.input_shape) == 3


def prepare(spec: Spec, data: Any = None, **options: Any) -> TabularData | ImageData:
    """The data a spec describes, split and prepared. ``data`` overrides ``spec.data.source``
    (a DataFrame, uploaded bytes, or another source string)."""
    source = data if data is not None else spec.data.source
    if source is None:
        raise DataError("the spec names no data source: set data.source or pass data=")
    t = spec.training
    if wants_images(spec, source):
        return load_images(source, spec.data.transforms, test_size=t.test_size, seed=t.seed)
    frame, name = load_table(source, **options)
    target = spec.data.target
    target = target if target is not None else default_target(source)
    return prepare_tabular(
        frame,
        target,
        spec.data.features,
        task=spec.data.task,
        test_size=t.test_size,
        shuffle=t.shuffle,
        seed=t.seed,
        batch_size=t.batch_size,
        max_categories=spec.data.max_categories,
        scale=spec.data.scale,
    )


def summarize(
    source: Any,
    *,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    images: bool = False,
    transforms: dict | None = None,
    **options: Any,
) -> dict[str, Any]:
    """A JSON-ready summary of a data source (raises ``DataError`` on bad data)."""
    if images or source_kind(source) == "image":
        if isinstance(source, str) and source == "builtin:digits":
            source = "builtin:digits_images"
        return summarize_images(load_images(source, transforms))
    frame, name = load_table(source, **options)
    target = target if target is not None else default_target(source)
    return summarize_table(frame, name, target=target, features=features, task=task)
