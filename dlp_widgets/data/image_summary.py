"""What the data step shows of an image set: its split, classes and their balance, shapes,
warnings, and a few training images as small PNG thumbnails. Separate because only summaries
need PIL's encoder and the summary's shape; training never does."""

from __future__ import annotations

import base64
import io
from typing import Any

from .image_datasets import FileImages, ImageData


def thumbnails(data: ImageData, n: int = 6) -> list[dict[str, str]]:
    """A few training images as small PNG data URLs with their class, for summaries."""
    from PIL import Image

    out = []
    ds = data.train
    step = max(1, len(ds) // n)
    for i in range(0, min(len(ds), step * n), step):
        if isinstance(ds, FileImages):
            pic = ds.preview(i)
            pic.thumbnail((64, 64))
            label = ds.labels[i]
        else:
            x = ds.images[i]
            arr = (x.numpy() * 255).clip(0, 255) if x.dtype.is_floating_point else x.numpy()
            arr = arr.astype("uint8")
            pic = Image.fromarray(arr[0] if arr.shape[0] == 1 else arr.transpose(1, 2, 0))
            label = int(ds.labels[i])
        buf = io.BytesIO()
        pic.save(buf, format="PNG")
        out.append(
            {"label": data.classes[label], "png": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()}
        )
    return out


def summarize_images(data: ImageData) -> dict[str, Any]:
    counts = data.class_counts()
    return {
        "source": data.source,
        "kind": "image",
        "rows": len(data.train) + len(data.test),
        "split": {"train": len(data.train), "test": len(data.test), "how": data.split},
        "classes": data.classes,
        "class_balance": counts["train"],
        "test_class_balance": counts["test"],
        "image_shape": list(data.image_shape),
        "input_shape": data.input_shape,
        "task": "classification",
        "skipped_files": data.skipped_files,
        "warnings": data.warnings,
        "examples": thumbnails(data),
    }
