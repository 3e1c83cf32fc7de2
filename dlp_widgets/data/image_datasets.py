"""What every image source produces: the datasets (``TensorImages`` for a set held in memory,
``FileImages`` for files opened one at a time), the ``ImageData`` that carries them with their
classes and shapes, and the random train/test split. Separate from the loaders so that the
engine, the summaries and each loader can use these without importing one another."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError
from .pixels import ImageRefused, open_image, to_8bit, to_array


class TensorImages:
    """A dataset over images already in memory: uint8 or float [N, C, H, W]."""

    def __init__(self, images, labels, transform: Callable) -> None:  # noqa: ANN001
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):  # noqa: ANN204
        import torch

        x = self.images[i]
        x = x.float().div(255) if x.dtype == torch.uint8 else x
        return self.transform(x), int(self.labels[i])


class FileImages:
    """A dataset over image files, opened one at a time. ``mode`` is "L" or "RGB";
    ``float_scale`` divides the set's float images (see :mod:`.pixels`)."""

    def __init__(
        self, files: list[Path], labels: list[int], mode: str, transform: Callable, float_scale: float = 1.0
    ) -> None:
        self.files, self.labels, self.mode, self.transform = files, labels, mode, transform
        self.float_scale = float_scale

    def __len__(self) -> int:
        return len(self.files)

    def _read(self, i: int, how: Callable) -> Any:
        try:
            with open_image(self.files[i]) as img:
                return how(img, 1 if self.mode == "L" else 3, self.float_scale)
        except ImageRefused as exc:  # the file was changed after the folder was checked
            raise DataError(f"{self.files[i]} {exc.reason}") from None

    def pixels(self, i: int) -> np.ndarray:
        """Image i as float32 [C, H, W] in [0, 1], before the transforms."""
        return self._read(i, to_array)

    def preview(self, i: int) -> Any:
        """Image i as an 8-bit PIL image, scaled as the model sees it."""
        return self._read(i, to_8bit)

    def __getitem__(self, i: int):  # noqa: ANN204
        import torch

        return self.transform(torch.from_numpy(self.pixels(i))), self.labels[i]


@dataclass
class ImageData:
    train: Any
    test: Any
    classes: list[str]
    image_shape: tuple[int, int, int]  # as stored, before transforms
    input_shape: list[int]  # what the model receives, after the transforms
    source: str
    transforms: dict[str, list[dict[str, Any]]]
    split: str  # "given" (the set's own train/test) or "random"
    skipped_files: int = 0
    warnings: list[str] = field(default_factory=list)
    kind: str = "image"
    task: str = "classification"

    @property
    def n_outputs(self) -> int:
        return len(self.classes)

    @property
    def preprocessor(self) -> dict[str, Any]:
        """What a prediction on a new image needs (plain JSON)."""
        return {
            "kind": "image",
            "classes": self.classes,
            "image_shape": list(self.image_shape),
            "transforms": self.transforms["test"],
            "mode": "L" if self.image_shape[0] == 1 else "RGB",
        }

    def class_counts(self) -> dict[str, dict[str, int]]:
        out = {}
        for split, ds in (("train", self.train), ("test", self.test)):
            labels = ds.labels.tolist() if hasattr(ds.labels, "tolist") else list(ds.labels)
            counts = Counter(labels)
            out[split] = {self.classes[k]: int(counts.get(k, 0)) for k in range(len(self.classes))}
        return out


def split_random(labels: np.ndarray, classes: list[str], test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from .tabular import split_positions

    return split_positions(len(labels), labels, classes, test_size=test_size, shuffle=True, seed=seed)
