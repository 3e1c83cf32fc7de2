"""A folder of images held in memory for training. Opened one file at a time, every epoch
decodes every image again (with no worker processes on a small machine, in the training
thread); a set of 8-bit images of one size that fits ``MAX_HELD_BYTES`` is decoded once, in
threads (Pillow releases the GIL while it decodes), into one uint8 tensor. Training then
batches it by index, on the GPU when there is one, as it does a built-in set. The values
are those the files give one at a time (a test compares every image)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from .errors import DataError
from .image_datasets import FileImages, TensorImages
from .pixels import EIGHT_BIT_MODES, ImageRefused, depth_problem, open_image

# 1 GiB of uint8: about 350,000 images of 32 × 32 × 3, 5,000 of 224 × 224 × 3
MAX_HELD_BYTES = 2**30


class _NotEightBit(Exception):
    pass


def _decode_into(images: FileImages, out: np.ndarray, start: int, stop: int) -> None:
    channels = out.shape[1]
    for i in range(start, stop):
        try:
            with open_image(images.files[i]) as img:
                problem = depth_problem(img)
                if problem:
                    raise ImageRefused(problem)
                if img.mode not in EIGHT_BIT_MODES:
                    raise _NotEightBit
                pixels = np.asarray(img.convert("L" if channels == 1 else "RGB"))
        except ImageRefused as exc:  # the file was changed after the folder was checked
            raise DataError(f"{images.files[i]} {exc.reason}") from None
        if pixels.shape[:2] != out.shape[2:]:
            raise _NotEightBit  # a size that differs: the set stays on file, resized per image
        out[i] = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def held_in_memory(images: Any, image_shape: tuple[int, int, int]) -> Any:
    """``images`` as ``TensorImages`` when they are files of 8-bit pixels, all of
    ``image_shape``, that fit ``MAX_HELD_BYTES``; anything else comes back as it is."""
    if not isinstance(images, FileImages) or not len(images):
        return images
    n = len(images)
    if n * int(np.prod(image_shape)) > MAX_HELD_BYTES:
        return images
    out = np.empty((n, *image_shape), dtype=np.uint8)
    workers = max(1, min(8, os.cpu_count() or 1))
    step = -(-n // workers)
    try:
        with ThreadPoolExecutor(workers) as pool:
            for job in [pool.submit(_decode_into, images, out, s, min(s + step, n)) for s in range(0, n, step)]:
                job.result()
    except _NotEightBit:
        return images
    return TensorImages(torch.from_numpy(out), np.asarray(images.labels), images.transform)
