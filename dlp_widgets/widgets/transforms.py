"""``TransformList``: one ordered list of image transforms (train or test), edited in the
browser, validated in Python like every other browser payload."""

from __future__ import annotations

from typing import Any

import traitlets

from ..spec import SpecError
from ..spec.transforms import TRANSFORMS, parse_transforms, transformed_shape
from .base import DLPWidget


class TransformList(DLPWidget):
    _asset = "transforms"
    _python_owned = frozenset({"shape", "error", "title", "catalogue"})

    catalogue = traitlets.List().tag(sync=True)
    title = traitlets.Unicode("Transforms").tag(sync=True)
    items = traitlets.Any([]).tag(sync=True)  # untrusted: checked by parse_transforms
    error = traitlets.Unicode("").tag(sync=True)
    shape = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        split: str = "train",
        image_shape: tuple[int, int, int] | None = None,
        items: list | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            catalogue=[t.to_dict() for t in TRANSFORMS.values()], title=f"{split.capitalize()} transforms", **kwargs
        )
        self.split = split
        self.image_shape = image_shape
        self.items = list(items or [])
        self._check()

    @traitlets.observe("items")
    def _check(self, change: dict[str, Any] | None = None) -> None:
        try:
            valid = parse_transforms(self.items, self.split)
            shape = transformed_shape(valid, self.image_shape, self.split) if self.image_shape else None
        except SpecError as exc:
            self.error, self.shape = exc.message, ""
            return
        self.error = ""
        self.shape = f"model input {list(shape)}" if shape else ""

    @property
    def value(self) -> list[dict[str, Any]]:
        """The validated list (raises SpecError while it is invalid)."""
        return parse_transforms(self.items, self.split)

    def set_image_shape(self, shape: tuple[int, int, int] | list[int]) -> None:
        self.image_shape = tuple(shape)
        self._check()
