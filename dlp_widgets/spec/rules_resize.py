"""Shape rules of the layers that make an image larger: ConvTranspose2d (learned) and
Upsample (interpolated). Same arithmetic as torch's, as in ``rules``."""

from __future__ import annotations

from math import floor
from typing import Any

from .params import pair
from .rules import RuleResult, Shape, ShapeError, Where, check_groups, check_inferred, fmt_shape, need_image, sizes


def conv_transpose2d(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    c, h, w = need_image(shape, at)
    check_inferred(p, "in_channels", c, at)
    check_groups(p, c, at)
    groups, out_c = p["groups"], p["out_channels"]
    k, s, pad = pair(p["kernel_size"]), pair(p["stride"]), pair(p["padding"])
    extra, d = pair(p["output_padding"]), pair(p["dilation"])
    for axis, e, si, di in zip(("height", "width"), extra, s, d, strict=True):
        if e >= si and e >= di:  # torch: it would add rows no input position reaches
            raise ShapeError(
                f"{at.layer} has output_padding {e} on the {axis}, which must be smaller than the stride ({si}) "
                f"or the dilation ({di}).",
                param="output_padding",
            )
    out = tuple(
        (size - 1) * si - 2 * pi + di * (ki - 1) + ei + 1
        for size, si, pi, di, ki, ei in zip((h, w), s, pad, d, k, extra, strict=True)
    )
    if min(out) < 1:
        raise ShapeError(
            f"{at.layer} would produce {fmt_shape((out_c, *out))}: its padding {p['padding']} removes more than "
            f"the {k[0]}×{k[1]} kernel adds to {at.source}. Use less padding.",
            param="padding",
        )
    n_params = c * (out_c // groups) * k[0] * k[1] + (out_c if p["bias"] else 0)
    return (out_c, *out), n_params, None


# interpolation modes and the spatial axes each works on (torch refuses other inputs)
_AXES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")
_INPUT_WORDS = {1: "[channels, length]", 2: "[channels, height, width]", 3: "[channels, depth, height, width]"}


def upsample(p: dict[str, Any], shape: Shape, at: Where) -> RuleResult:
    size, scale, mode = p["size"], p["scale_factor"], p["mode"]
    if size is None and scale is None:
        raise ShapeError(f"{at.layer} needs either size or scale_factor (exactly one of them).", param="size")
    if size is not None and scale is not None:
        raise ShapeError(
            f"{at.layer} has both size and scale_factor; give exactly one of them (torch refuses both).",
            param="scale_factor",
        )
    if p["align_corners"] is not None and mode not in _INTERPOLATING:
        raise ShapeError(
            f'{at.layer} sets align_corners with mode="{mode}"; only the interpolating modes '
            f"({', '.join(_INTERPOLATING)}) take it: leave it out.",
            param="align_corners",
        )
    if p["recompute_scale_factor"] and size is not None:
        raise ShapeError(
            f"{at.layer} sets recompute_scale_factor with a size, where it means nothing: leave it out.",
            param="recompute_scale_factor",
        )
    n = len(shape) - 1
    if n not in (1, 2):
        raise ShapeError(
            f"{at.layer} needs [channels, length] or [channels, height, width], but {at.source}."
            + (" On [features] torch would read the batch as channels." if n == 0 else "")
        )
    wanted = _AXES.get(mode)
    if wanted is not None and wanted != n:
        raise ShapeError(f'{at.layer} with mode="{mode}" needs {_INPUT_WORDS[wanted]}, but {at.source}.', param="mode")
    spatial = shape[1:]
    name, given = ("size", size) if size is not None else ("scale_factor", scale)
    if isinstance(given, list) and len(given) != n:
        raise ShapeError(
            f"{at.layer} has {name}={given}, {len(given)} values for the {n} spatial "
            f"dimension{'s' if n > 1 else ''} of its input ({at.source}).",
            param=name,
        )
    if size is not None:
        out = sizes(size, n)
    else:
        factors = [float(scale)] * n if not isinstance(scale, list) else [float(f) for f in scale]
        out = tuple(floor(d * f) for d, f in zip(spatial, factors, strict=True))
        if min(out) < 1:
            raise ShapeError(
                f"{at.layer} scales {at.source} by scale_factor={scale} to {fmt_shape((shape[0], *out))}: "
                "every size must stay at least 1.",
                param="scale_factor",
            )
    return (shape[0], *out), 0, None
