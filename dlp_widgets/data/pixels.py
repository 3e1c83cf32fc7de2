"""Image files read into pixels in [0, 1], whatever their depth.

Every image ends up where an 8-bit image does: each value divided by the largest value its
depth can hold. A 16-bit pixel at 40,000 becomes 40000/65535 ≈ 0.61, as an 8-bit pixel at 156
becomes 156/255. The rule for each Pillow mode:

* 8-bit modes (1, L, P, PA, LA, RGB, RGBA, RGBa, RGBX, CMYK, YCbCr, HSV): Pillow converts them
  to L or RGB, then each value is divided by 255. Alpha is dropped, keeping the colour stored
  under a transparent pixel (as before). Palette images take their palette's colours, and
  1-bit pixels become 0 or 1.
* 16-bit grey (I;16, I;16B, I;16L, I;16N; also I from a PNG, which older Pillows use for
  16-bit grey): divided by 65,535.
* 16-bit colour (48- or 64-bit PNG): Pillow has no 16-bit colour mode. It opens these as
  RGB or RGBA and keeps the high byte of each sample (value // 256). That is the same scale
  at 8-bit precision (within one 8-bit step of value / 65535), so they take the 8-bit path.
* Signed or 32-bit integers (I, except from a PNG): refused. These pixels have no standard
  range (12-bit sensor data, 16-bit data in a 32-bit file, counts), so no divisor is right.
* Float (F): floats have no fixed range either, so the values in the files decide, once for
  the whole set. If every float image lies in [0, 1] (the usual convention), the values are
  used as they are. If some go above 1 and all stay in [0, 255] (8-bit pictures stored as
  floats), every float image is divided by 255; one rule per set keeps a dark picture on the
  same scale as its neighbours. Negative values, values over 255, NaN and infinity are refused.

:func:`open_image` refuses images over :func:`pixel_limit` pixels, with a message in place of
Pillow's decompression-bomb warning or error.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Pillow's default MAX_IMAGE_PIXELS: over it Pillow warns, and over twice as many it raises.
# The same limit means Pillow never warns about an image this loader accepts.
MAX_PIXELS = 89_478_485
EIGHT_BIT_MODES = frozenset({"1", "L", "P", "PA", "LA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "HSV"})
GREY_8BIT_MODES = frozenset({"1", "L", "LA"})
FLOAT_RANGES = (1.0, 255.0)  # the float ranges with a known meaning: [0, 1] and [0, 255]

# warnings.catch_warnings swaps a process-wide filter list; without the lock, two threads
# opening images at once could leave each other's filter in place
_warnings_lock = threading.Lock()


class ImageRefused(Exception):
    """An image file that opens but cannot be used. ``reason`` follows the file's name:
    "cats/a.png <reason>"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImageInfo:
    """What the loader needs to know about one file before reading its pixels."""

    height: int
    width: int
    grey: bool
    float_max: float | None = None  # the largest value of a float image


def pixel_limit() -> int:
    """The largest image accepted, in pixels: MAX_PIXELS, or less if Pillow's own limit was lowered."""
    from PIL import Image

    pillow = Image.MAX_IMAGE_PIXELS
    return min(MAX_PIXELS, pillow) if pillow else MAX_PIXELS


def _too_big(pixels: int | None, limit: int) -> ImageRefused:
    size = f"has {pixels:,} pixels" if pixels else f"has more than {limit:,} pixels"
    return ImageRefused(
        f"{size}, and images over {limit:,} pixels are refused as possible decompression bombs (shrink it first)"
    )


@contextmanager
def open_image(path: Path | str) -> Iterator[Any]:
    """``PIL.Image.open`` that raises ImageRefused for an image over the pixel limit, where
    Pillow would print a warning or raise its DecompressionBombError."""
    from PIL import Image

    limit = pixel_limit()
    try:
        with _warnings_lock, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        # Pillow gives the size only in its message: "Image size (400000000 pixels) exceeds …"
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise _too_big(int(found.group(1)) if found else None, limit) from None
    with img:
        if img.width * img.height > limit:
            raise _too_big(img.width * img.height, limit)
        yield img


def _is_16bit_grey(img: Any) -> bool:
    return img.mode.startswith("I;16") or (img.mode == "I" and img.format == "PNG")


def is_grey(img: Any) -> bool:
    return img.mode in GREY_8BIT_MODES or img.mode in ("I", "F") or _is_16bit_grey(img)


def depth_problem(img: Any) -> str | None:
    """Why this image's pixels cannot be scaled into [0, 1] (a reason after the file's name),
    or None. Float images are checked by their values, in :func:`inspect_image`."""
    if img.mode in EIGHT_BIT_MODES or img.mode == "F" or _is_16bit_grey(img):
        return None
    if img.mode == "I":
        return (
            "holds signed or 32-bit integer pixels, which have no standard brightness range "
            "(save it as 8-bit or 16-bit unsigned PNG or TIFF)"
        )
    return f"has pixel format {img.mode}, which the loader does not read (save it as an 8-bit RGB PNG)"


def _float_max(img: Any) -> float:
    values = np.asarray(img, dtype=np.float32)
    if not np.isfinite(values).all():
        raise ImageRefused("holds float pixels that are NaN or infinite")
    low, high = float(values.min()), float(values.max())
    if low < 0 or high > FLOAT_RANGES[-1]:
        raise ImageRefused(
            f"holds float pixels from {low:g} to {high:g}, but float images are read as 0–1 or "
            "0–255 (save it scaled into one of those)"
        )
    return high


def inspect_image(path: Path) -> ImageInfo:
    """Size and kind of a whole, usable image file. Raises ImageRefused for one that cannot be
    used, and lets Pillow's own errors through for one that cannot be read."""
    with open_image(path) as img:
        img.verify()
    with open_image(path) as img:  # verify() leaves the image unusable: open it again
        problem = depth_problem(img)
        if problem:
            raise ImageRefused(problem)
        float_max = _float_max(img) if img.mode == "F" else None
        return ImageInfo(img.height, img.width, is_grey(img), float_max)


def float_scale(infos: list[ImageInfo]) -> float:
    """The divisor for a set's float images: 1 if all lie in [0, 1], else 255."""
    highest = max((i.float_max for i in infos if i.float_max is not None), default=0.0)
    return FLOAT_RANGES[0] if highest <= FLOAT_RANGES[0] else FLOAT_RANGES[1]


def to_array(img: Any, channels: int, scale: float = 1.0) -> np.ndarray:
    """The image's pixels as float32 [channels, H, W] in [0, 1] (channels 1 or 3), by the
    module's rule; ``scale`` is the set's divisor for float images (:func:`float_scale`)."""
    problem = depth_problem(img)
    if problem:
        raise ImageRefused(problem)
    if img.mode == "F":
        grey = np.asarray(img, dtype=np.float32) / np.float32(scale)
    elif _is_16bit_grey(img):
        grey = np.asarray(img).astype(np.float32) / np.float32(65535)
    else:
        pixels = np.asarray(img.convert("L" if channels == 1 else "RGB"), dtype=np.float32) / np.float32(255)
        return pixels[None] if pixels.ndim == 2 else np.ascontiguousarray(pixels.transpose(2, 0, 1))
    return np.repeat(grey[None], channels, axis=0)


def to_8bit(img: Any, channels: int, scale: float = 1.0) -> Any:
    """The image as an 8-bit L or RGB PIL image (for previews), scaled as :func:`to_array`
    scales it. 8-bit images skip the float array, which would take four times the memory."""
    from PIL import Image

    if img.mode in EIGHT_BIT_MODES:
        return img.convert("L" if channels == 1 else "RGB")
    pixels = (to_array(img, channels, scale) * 255).round().astype(np.uint8)
    return Image.fromarray(pixels[0] if channels == 1 else pixels.transpose(1, 2, 0))
