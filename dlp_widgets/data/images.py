"""Image data: built-in sets, folders of images, uploaded zips, and the transforms.

Images become float tensors in [0, 1] of shape [C, H, W] (the implicit ToTensor), then go
through the spec's transform list. In-memory sets (digits, MNIST, …) stay one tensor; files
are opened lazily, one at a time, so a few thousand pictures do not fill the memory. How each
pixel depth (16-bit, float, palette, …) is scaled into [0, 1], and which files are refused,
is in :mod:`.pixels`.

Symbolic links inside a folder (to files or to folders) are skipped and reported, since a
link can lead anywhere on the machine. An uploaded zip is extracted once into the cache, and
safely when several kernels load it at the same time (see :mod:`.zip_cache`).

This module holds the entry points (``load_images``, ``load_zip``); the parts live in their
own modules: image_datasets (the datasets and ``ImageData``), image_transforms (the transform
pipeline and input shape), image_builtins (built-in sets), image_folders (folders and their
class layout), zip_cache (extracting a zip into the cache) and image_summary (summaries and
thumbnails). What other modules and the tests import from here is re-exported (``__all__``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import DataError
from .image_builtins import IMAGE_BUILTINS, TORCHVISION_SETS, load_builtin_images
from .image_datasets import ImageData, TensorImages
from .image_folders import load_folder
from .image_summary import summarize_images
from .image_transforms import build_transforms
from .zip_cache import cached_extraction

__all__ = [
    "IMAGE_BUILTINS",
    "TORCHVISION_SETS",
    "ImageData",
    "TensorImages",
    "build_transforms",
    "load_images",
    "load_zip",
    "summarize_images",
]


def load_zip(
    data: bytes | Path,
    transforms: dict | None = None,
    *,
    test_size: float = 0.2,
    seed: int = 0,
    name: str = "the uploaded zip",
) -> ImageData:
    raw = data.read_bytes() if isinstance(data, Path) else data
    dest = cached_extraction(raw, str(data) if isinstance(data, Path) else "the upload")
    return load_folder(dest, transforms, test_size=test_size, seed=seed, name=name)


def load_images(source: Any, transforms: dict | None = None, *, test_size: float = 0.2, seed: int = 0) -> ImageData:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return load_zip(bytes(source), transforms, test_size=test_size, seed=seed)
    if not isinstance(source, str):
        raise DataError("an image source is builtin:NAME, folder:PATH, zip:PATH or uploaded zip bytes")
    if source.startswith("builtin:"):
        return load_builtin_images(source[len("builtin:") :], transforms, test_size=test_size, seed=seed)
    if source.startswith("folder:"):
        return load_folder(source[len("folder:") :], transforms, test_size=test_size, seed=seed)
    if source.startswith("zip:"):
        path = Path(source[len("zip:") :]).expanduser()
        if not path.is_file():
            raise DataError(f"no such file: {path}", source=source)
        return load_zip(path, transforms, test_size=test_size, seed=seed, name=source)
    raise DataError(f"{source[:80]!r} is not an image source (builtin:NAME, folder:PATH or zip:PATH)")
