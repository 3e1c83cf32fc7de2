"""The image transform catalogue: names and parameters exactly as in
``torchvision.transforms.v2``, validated like layers, with shape rules so the model's input
shape follows from the images and the transforms. ToTensor is implicit (first, always)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .params import Param, ParamError, describe_value, pair

Shape = tuple[int, int, int]


@dataclass(frozen=True)
class TransformType:
    name: str
    params: tuple[Param, ...]
    summary: str
    random: bool  # augmentation: meant for the training list
    rule: Callable[[dict[str, Any], Shape, str], Shape]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "random": self.random,
            "params": [p.to_dict() for p in self.params],
        }


def _same(p: dict[str, Any], shape: Shape, where: str) -> Shape:
    return shape


def _resize(p: dict[str, Any], shape: Shape, where: str) -> Shape:
    c, h, w = shape
    size = p["size"]
    if isinstance(size, int):  # the shorter side becomes `size`, keeping the aspect ratio
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = size, int(size * long / short)
        return (c, new_short, new_long) if h <= w else (c, new_long, new_short)
    return (c, *pair(size))


def _center_crop(p: dict[str, Any], shape: Shape, where: str) -> Shape:
    return (shape[0], *pair(p["size"]))


def _random_crop(p: dict[str, Any], shape: Shape, where: str) -> Shape:
    h, w = pair(p["size"])
    pad = p["padding"]
    if h > shape[1] + 2 * pad or w > shape[2] + 2 * pad:
        raise SpecError(
            f"{where}: a {h}×{w} crop does not fit {shape[1]}×{shape[2]} images padded by {pad}; "
            "lower size or raise padding",
            param="size",
        )
    return (shape[0], h, w)


def _grayscale(p: dict[str, Any], shape: Shape, where: str) -> Shape:
    if p["num_output_channels"] not in (1, 3):  # torchvision's own limit
        raise SpecError(
            f"{where}: num_output_channels must be 1 or 3, not {p['num_output_channels']}", param="num_output_channels"
        )
    return (p["num_output_channels"], shape[1], shape[2])


def _normalize(p: dict[str, Any], shape: Shape, where: str) -> Shape:
    c = shape[0]
    for name in ("mean", "std"):
        if len(p[name]) not in (1, c):
            raise SpecError(
                f"{where}: {name} lists {len(p[name])} values, but the images have {c} channel(s)", param=name
            )
    return shape


def _blur(p: dict[str, Any], shape: Shape, where: str) -> Shape:
    kx, ky = pair(p["kernel_size"])  # torchvision's order: width, then height
    for k in (kx, ky):
        if k % 2 == 0:
            raise SpecError(f"{where}: kernel_size must be odd, not {k}", param="kernel_size")
    # the blur pads by reflection, which needs the half window inside the image
    if kx // 2 >= shape[2] or ky // 2 >= shape[1]:
        raise SpecError(
            f"{where}: a {kx}×{ky} window is too large for {shape[1]}×{shape[2]} images; "
            f"use at most {2 * min(shape[1], shape[2]) - 1}",
            param="kernel_size",
        )
    lo, hi = p["sigma"] if len(p["sigma"]) == 2 else (p["sigma"][0], p["sigma"][0])
    if lo > hi:
        raise SpecError(f"{where}: sigma must be [min, max] with min ≤ max", param="sigma")
    return shape


def _color_jitter(p: dict[str, Any], shape: Shape, where: str) -> Shape:
    if shape[0] not in (1, 3):
        raise SpecError(f"{where} needs 1 or 3 channels, not {shape[0]}")
    return shape


_SIZE = dict(min=1, max=4096)

TRANSFORMS: dict[str, TransformType] = {
    t.name: t
    for t in [
        TransformType(
            "Resize",
            (Param("size", "size2", 32, "new [height, width]; one number sets the shorter side", **_SIZE),),
            "Scale the image to a new size.",
            False,
            _resize,
        ),
        TransformType(
            "CenterCrop",
            (Param("size", "size2", 28, "[height, width] of the centre kept", **_SIZE),),
            "Keep the centre of the image (padding with zeros if it is smaller).",
            False,
            _center_crop,
        ),
        TransformType(
            "Grayscale",
            (Param("num_output_channels", "int", 1, "1 for grey, 3 to repeat grey in three channels", 1, 3),),
            "Turn colour into grey.",
            False,
            _grayscale,
        ),
        TransformType(
            "Normalize",
            (
                Param("mean", "floats", [0.5], "per-channel mean subtracted", -1e6, 1e6),
                Param("std", "floats", [0.5], "per-channel standard deviation divided by", 1e-6, 1e6),
            ),
            "Subtract a mean and divide by a standard deviation, per channel.",
            False,
            _normalize,
        ),
        TransformType(
            "RandomHorizontalFlip",
            (Param("p", "float", 0.5, "probability of a flip", 0.0, 1.0),),
            "Mirror left-right at random (augmentation).",
            True,
            _same,
        ),
        TransformType(
            "RandomVerticalFlip",
            (Param("p", "float", 0.5, "probability of a flip", 0.0, 1.0),),
            "Mirror top-bottom at random (augmentation).",
            True,
            _same,
        ),
        TransformType(
            "RandomRotation",
            (Param("degrees", "float", 10.0, "rotate by up to ± this many degrees", 0.0, 180.0),),
            "Rotate by a random angle (augmentation).",
            True,
            _same,
        ),
        TransformType(
            "RandomCrop",
            (
                Param("size", "size2", 32, "[height, width] of the crop taken at a random place", **_SIZE),
                Param(
                    "padding", "int", 0, "zeros added on every side first (4 on 32 × 32 images, as for CIFAR)", 0, 1024
                ),
            ),
            "Crop at a random place, after padding with zeros (augmentation: small shifts).",
            True,
            _random_crop,
        ),
        TransformType(
            "GaussianBlur",
            (
                Param("kernel_size", "size2", 3, "odd size of the blur window", 1, 99),
                Param("sigma", "floats", [0.1, 2.0], "[min, max] blur strength, drawn at random", 0.001, 100.0),
            ),
            "Blur with a Gaussian window of random strength.",
            True,
            _blur,
        ),
        TransformType(
            "ColorJitter",
            (
                Param("brightness", "float", 0.0, "random brightness change, ± fraction", 0.0, 10.0),
                Param("contrast", "float", 0.0, "random contrast change, ± fraction", 0.0, 10.0),
                Param("saturation", "float", 0.0, "random saturation change, ± fraction", 0.0, 10.0),
                Param("hue", "float", 0.0, "random hue shift, at most 0.5", 0.0, 0.5),
            ),
            "Change brightness, contrast, saturation and hue at random (augmentation).",
            True,
            _color_jitter,
        ),
    ]
}


def parse_transforms(raw: Any, split: str) -> list[dict[str, Any]]:
    """Validate one transform list (``split`` is "train" or "test"); return it normalised."""
    path = f"data.transforms.{split}"
    if not isinstance(raw, list):
        raise SpecError(f"{path} must be a list, not {describe_value(raw)}", path=path)
    if len(raw) > 50:
        raise SpecError(f"{path} lists {len(raw)} transforms; at most 50", path=path)
    out = []
    for i, item in enumerate(raw):
        where = f"transform at position {i + 1} of the {split} list"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise SpecError(f"{where} must be an object with a type, not {describe_value(item)}", path=f"{path}[{i}]")
        extra = set(item) - {"type", "params"}
        if extra:
            raise SpecError(f'{where} has an unknown key "{sorted(map(str, extra))[0]}"', path=f"{path}[{i}]")
        entry = TRANSFORMS.get(item["type"])
        if entry is None:
            from .parsing import suggest

            raise SpecError(
                f'{where} has an unknown type "{item["type"][:40]}".{suggest(item["type"], list(TRANSFORMS))} '
                f"Choose from {', '.join(TRANSFORMS)}.",
                path=f"{path}[{i}].type",
            )
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise SpecError(f"{entry.name} in the {split} list: params must be an object", path=f"{path}[{i}].params")
        checked = {}
        for name, value in params.items():
            param = entry.param(name) if isinstance(name, str) else None
            if param is None:
                raise SpecError(
                    f'{entry.name} in the {split} list has no parameter "{str(name)[:40]}" '
                    f"(it has: {', '.join(p.name for p in entry.params) or 'none'})",
                    param=str(name)[:40],
                    path=f"{path}[{i}].params",
                )
            try:
                checked[name] = param.check(value)
            except ParamError as exc:
                raise SpecError(
                    f"{entry.name} at position {i + 1} of the {split} list: {exc}",
                    param=name,
                    path=f"{path}[{i}].params.{name}",
                ) from None
        out.append({"type": entry.name, "params": checked} if checked else {"type": entry.name})
    return out


def transformed_shape(transforms: list[dict[str, Any]], shape: Shape, split: str) -> Shape:
    """The image shape after a transform list (shape errors raise ``SpecError``)."""
    for i, item in enumerate(transforms):
        entry = TRANSFORMS[item["type"]]
        where = f"{entry.name} at position {i + 1} of the {split} transforms"
        try:
            shape = entry.rule({**entry.defaults(), **item.get("params", {})}, shape, where)
        except SpecError as exc:
            exc.path = f"data.transforms.{split}[{i}]"
            raise
    return shape
