"""The pooling layers of the catalogue: torch's names, parameters and defaults, each with the
words of its page. ``layer_table`` puts them after the convolutions, in this order."""

from __future__ import annotations

from . import rules, rules_1d
from .layer_type import LayerType
from .params import SIZE_MAX, Param

_ONE_D = (
    "No data set gives [C, L] directly, so the palette leaves it out: use it in graphs, imported "
    "networks and specs (after a Conv1d)."
)


def _stride1d() -> Param:
    return Param(
        "stride", "opt_int", None, "step between windows (empty = kernel_size)", 1, SIZE_MAX, default_from="kernel_size"
    )


POOLS: list[LayerType] = [
    LayerType(
        name="MaxPool2d",
        category="pooling",
        kinds=("image",),
        params=(
            Param("kernel_size", "size2", None, "height and width of the window", 1, SIZE_MAX, required=True),
            Param(
                "stride",
                "opt_size2",
                None,
                "step between windows (empty = kernel_size)",
                1,
                SIZE_MAX,
                default_from="kernel_size",
            ),
            Param("padding", "size2", 0, "padding on each side (at most half the window)", 0, SIZE_MAX // 2),
            Param("dilation", "size2", 1, "spacing between window taps", 1, SIZE_MAX),
            Param("ceil_mode", "bool", False, "round the output size up instead of down"),
        ),
        summary="Keeps the largest value in each window, shrinking the image.",
        formula="y[c, i, j] = max over the window at (i·stride, j·stride) of x[c, ·, ·].",
        shape_rule=(
            "[C, H, W] → [C, H', W'], H' = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1; "
            "stride defaults to kernel_size, so kernel 2 halves H and W."
        ),
        when="After convolution blocks, to shrink the image and make features tolerate small shifts.",
        rule=rules.maxpool2d,
    ),
    LayerType(
        name="AvgPool2d",
        category="pooling",
        kinds=("image",),
        params=(
            Param("kernel_size", "size2", None, "height and width of the window", 1, SIZE_MAX, required=True),
            Param(
                "stride",
                "opt_size2",
                None,
                "step between windows (empty = kernel_size)",
                1,
                SIZE_MAX,
                default_from="kernel_size",
            ),
            Param("padding", "size2", 0, "padding on each side (at most half the window)", 0, SIZE_MAX // 2),
            Param("ceil_mode", "bool", False, "round the output size up instead of down"),
            Param("count_include_pad", "bool", True, "count padded zeros in the average"),
        ),
        summary="Averages each window, shrinking the image smoothly.",
        formula="y[c, i, j] = mean over the window at (i·stride, j·stride) of x[c, ·, ·].",
        shape_rule="[C, H, W] → [C, H', W'], H' = ⌊(H + 2·padding − kernel) / stride⌋ + 1.",
        when="Downsampling that keeps every value's contribution (max pooling keeps only the strongest).",
        rule=rules.avgpool2d,
    ),
    LayerType(
        name="AdaptiveAvgPool2d",
        category="pooling",
        kinds=("image",),
        params=(
            Param(
                "output_size",
                "size2",
                None,
                "height and width of the output, whatever the input",
                1,
                1024,
                required=True,
            ),
        ),
        summary="Averages over windows chosen so that the output has a fixed size.",
        formula="y[c, i, j] = mean of x[c] over rows ⌊i·H/h⌋ … ⌈(i+1)·H/h⌉ and the same for columns.",
        shape_rule="[C, H, W] → [C, output_h, output_w]; no trainable parameters.",
        when="Before the classifier head, so the model accepts images of any size (output_size=1: global average pooling).",
        rule=rules.adaptive_avgpool2d,
    ),
    LayerType(
        name="MaxPool1d",
        category="pooling",
        kinds=(),
        params=(
            Param("kernel_size", "int", None, "length of the window", 1, SIZE_MAX, required=True),
            _stride1d(),
            Param("padding", "int", 0, "padding at each end (at most half the window)", 0, SIZE_MAX // 2),
            Param("dilation", "int", 1, "spacing between window taps", 1, SIZE_MAX),
            Param("ceil_mode", "bool", False, "round the output length up instead of down"),
        ),
        summary="Keeps the largest value in each window of a sequence, shortening it.",
        formula="y[c, i] = max over the window at i·stride of x[c, ·].",
        shape_rule=(
            "[C, L] → [C, L'], L' = ⌊(L + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1; stride defaults "
            "to kernel_size. " + _ONE_D
        ),
        when="After Conv1d blocks, to shorten a sequence and keep its strongest responses.",
        rule=rules_1d.maxpool1d,
        example_input=(4, 32),
    ),
    LayerType(
        name="AvgPool1d",
        category="pooling",
        kinds=(),
        params=(
            Param("kernel_size", "int", None, "length of the window", 1, SIZE_MAX, required=True),
            _stride1d(),
            Param("padding", "int", 0, "padding at each end (at most half the window)", 0, SIZE_MAX // 2),
            Param("ceil_mode", "bool", False, "round the output length up instead of down"),
            Param("count_include_pad", "bool", True, "count padded zeros in the average"),
        ),
        summary="Averages each window of a sequence, shortening it smoothly.",
        formula="y[c, i] = mean over the window at i·stride of x[c, ·].",
        shape_rule="[C, L] → [C, L'], L' = ⌊(L + 2·padding − kernel) / stride⌋ + 1. " + _ONE_D,
        when="Smoothing and shortening a sequence while keeping every value's contribution.",
        rule=rules_1d.avgpool1d,
        example_input=(4, 32),
    ),
]
