"""Fixed transforms done once, not every epoch. The steps at the head of a transform list
that involve no chance (Resize, CenterCrop, Grayscale, Normalize before the first random
step) give every image the same result each time, so for a set held in memory they are
applied once, to whole batches of images, and each epoch repeats only the random steps —
or, when none are left, trains on plain tensors. The values are those of applying the
list image by image (a test checks it against torchvision on each image)."""

from __future__ import annotations

from math import prod
from typing import Any

import torch

from ..spec.transforms import TRANSFORMS, transformed_shape
from .image_datasets import TensorImages
from .image_transforms import build_transforms

# A precomputed set larger than this stays as it is, transformed image by image: memory
# matters more than the time saved.
MAX_PRECOMPUTED_BYTES = 512 * 2**20
CHUNK = 1024  # images transformed at once


def fixed_head(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``items`` split before its first random step: (the fixed head, the rest)."""
    k = next((i for i, item in enumerate(items) if TRANSFORMS[item["type"]].random), len(items))
    return items[:k], items[k:]


def with_fixed_steps_done(images: TensorImages, items: list[dict[str, Any]]) -> tuple[TensorImages, list[dict]]:
    """``images`` with the fixed head of ``items`` applied once, and the steps still to do
    per image. Unchanged (with every step still to do) when there is no fixed head or the
    result would pass ``MAX_PRECOMPUTED_BYTES``."""
    head, rest = fixed_head(items)
    if not head or not len(images):
        return images, items
    stored = tuple(images.images.shape[1:])
    out_shape = transformed_shape(head, stored, "train")
    if len(images) * prod(out_shape) * 4 > MAX_PRECOMPUTED_BYTES:
        return images, items
    steps = build_transforms(head)
    done = torch.empty((len(images), *out_shape), dtype=torch.float32)
    for i in range(0, len(images), CHUNK):
        block = images.images[i : i + CHUNK]
        block = block.float().div(255) if block.dtype == torch.uint8 else block.float()
        done[i : i + CHUNK] = steps(block)
    return TensorImages(done, images.labels, build_transforms(rest)), rest
